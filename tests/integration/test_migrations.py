"""The migrations build exactly the schema the models describe, and can be undone."""
import os
import re
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.conftest import POSTGRES_URL, on_postgres


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_do_not_drift(app):
    """After `upgrade`, autogenerate finds nothing to add: every model change has its migration."""
    assert schema_differences(db.engine) == []


def test_the_drift_check_notices_a_missing_column(app):
    """The check above can fail: a column the models have but the database lacks is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        extended = MetaData()
        for table in db.metadata.sorted_tables:
            table.to_metadata(extended)
        Table("departments", extended, Column("extra", Integer), extend_existing=True)
        assert compare_metadata(context, extended) != []


SAFE_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # interpolated into SQL: nothing to quote, ≤ 63 bytes


def migration_database_name() -> str:
    """A database name of this run alone, so that two runs on one server never drop each other's database."""
    name = f"beikaobei_migration_test_{os.getpid()}_{secrets.token_hex(4)}"
    assert SAFE_DATABASE_NAME.fullmatch(name), name
    return name


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, for running the migrations from the start; dropped afterwards."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    name = migration_database_name()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        # Also after a failed test or a failed CREATE: FORCE ends any connection the test left open.
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_database_url):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade()
            assert {"users", "departments", "audit_log"} <= set(inspect(db.engine).get_table_names())
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert schema_differences(db.engine) == []
        finally:
            db.engine.dispose()


def test_0016_adds_known_devices_and_keeps_the_accounts(empty_database_url):
    """Issue 24, finding 4: the known devices' table comes on top of a database that holds accounts."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0015")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO users (username, display_name, password_hash, role, active, created_at, "
                    "session_epoch, must_change_password) VALUES ('wang', '王', 'x', 'hr', true, "
                    "CURRENT_TIMESTAMP, 3, false)"))
            upgrade(revision="0016")
            with db.engine.begin() as connection:
                assert connection.execute(text("SELECT username, session_epoch FROM users")).all() == [("wang", 3)]
                connection.execute(text(
                    "INSERT INTO user_known_devices (user_id, token_hash, fingerprint, created_at, last_used_at, "
                    "expires_at) SELECT id, 'h', 'f', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
                    "FROM users"))
            downgrade(revision="0015")
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT username FROM users")).scalars().all() == ["wang"]
            assert "user_known_devices" not in inspect(db.engine).get_table_names()
        finally:
            db.engine.dispose()
