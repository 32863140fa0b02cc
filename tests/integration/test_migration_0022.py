"""Migration 0022 (issue 16): the role column accepts the forum organisers; no account changes, and the other
rules of the table (a known role, a liaison's department) still hold."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

NOW = "2026-12-01 02:00:00+00:00"


def _add(connection, user_id: int, role: str, department_id=None) -> None:
    connection.execute(text(
        "INSERT INTO users (id, username, display_name, password_hash, role, department_id, active, created_at) "
        "VALUES (:id, :name, '', 'x', :role, :dept, :yes, :now)"),
        {"id": user_id, "name": f"user{user_id}", "role": role, "dept": department_id, "yes": True, "now": NOW})


def _refused(role: str, department_id=None) -> bool:
    try:
        with db.engine.begin() as connection:
            _add(connection, 99, role, department_id)
    except IntegrityError:
        return True
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE id = 99"))
    return False


def _accounts() -> list[tuple]:
    """The accounts, and what is deleted with an account (SQLite rebuilds the table: these must come back)."""
    queries = ("SELECT id, username, role, department_id FROM users ORDER BY id",
               "SELECT user_id, token_hash FROM user_known_devices ORDER BY id",
               "SELECT user_id, code_hash FROM user_recovery_codes ORDER BY id")
    with db.engine.connect() as connection:
        return [tuple(row) for query in queries for row in connection.execute(text(query))]


def test_migration_0022_admits_the_forum_role_and_keeps_every_account_and_rule(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0021")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO departments (id, code, name, kind, active, sort_order, created_at, updated_at) "
                    "VALUES (1, 'D01', '市场监管局', 'service', :yes, 1, :now, :now)"), {"yes": True, "now": NOW})
                _add(connection, 1, "admin")
                _add(connection, 2, "liaison", 1)
                _add(connection, 3, "complaints")
                connection.execute(text(
                    "INSERT INTO user_known_devices (user_id, token_hash, fingerprint, created_at, last_used_at, "
                    "expires_at) VALUES (1, 'device-of-admin', 'f', :now, :now, :now)"), {"now": NOW})
                connection.execute(text("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (3, 'code')"))
            before = _accounts()
            assert _refused("forum")
            upgrade()
            assert _accounts() == before
            assert not _refused("forum")
            assert _refused("emperor") and _refused("liaison") and _refused("forum", 1)
            # Back while a forum account exists: refused, nothing lost.
            with db.engine.begin() as connection:
                _add(connection, 4, "forum")
            with pytest.raises(SystemExit):  # Flask-Migrate reports the refusal and exits
                downgrade(revision="0021")
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM users WHERE id = 4"))
            downgrade(revision="0021")
            assert _accounts() == before and _refused("forum")
        finally:
            db.engine.dispose()
