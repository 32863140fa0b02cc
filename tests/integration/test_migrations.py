"""The migrations build exactly the schema the models describe, and can be undone."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

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


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, for running the migrations from the start."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS beikaobei_migration_test"))
        connection.execute(text("CREATE DATABASE beikaobei_migration_test"))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/beikaobei_migration_test"
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS beikaobei_migration_test WITH (FORCE)"))
    admin.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_database_url):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        assert {"users", "departments", "audit_log"} <= set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_differences(db.engine) == []
        db.engine.dispose()
