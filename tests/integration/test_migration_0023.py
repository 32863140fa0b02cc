"""Migration 0023 (issue 17): the policy catalogue's tables, and the role column accepts the policy officer; no
account changes (SQLite rebuilds ``users``: what is deleted with an account must come back), and back down is
refused while a policy officer exists."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migration_0022 import NOW, _accounts, _add, _refused
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

TABLES = {"policies", "policy_items", "policy_item_versions", "policy_windows", "enterprise_profiles",
          "policy_match_runs", "policy_match_results", "policy_pushes", "policy_notices", "investment_promises"}


def test_migration_0023_adds_the_catalogue_and_the_policy_role_and_keeps_every_account(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0022")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO departments (id, code, name, kind, active, sort_order, created_at, updated_at) "
                    "VALUES (1, 'D01', '市场监管局', 'service', :yes, 1, :now, :now)"), {"yes": True, "now": NOW})
                _add(connection, 1, "admin")
                _add(connection, 2, "liaison", 1)
                _add(connection, 3, "forum")
                connection.execute(text(
                    "INSERT INTO user_known_devices (user_id, token_hash, fingerprint, created_at, last_used_at, "
                    "expires_at) VALUES (1, 'device-of-admin', 'f', :now, :now, :now)"), {"now": NOW})
                connection.execute(text("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (3, 'code')"))
            before = _accounts()
            assert _refused("policy")
            upgrade(revision="0023")
            assert _accounts() == before
            assert TABLES <= set(inspect(db.engine).get_table_names())
            assert not _refused("policy")
            assert _refused("emperor") and _refused("policy", 1)
            with db.engine.begin() as connection:
                _add(connection, 4, "policy")
            with pytest.raises(SystemExit):  # Flask-Migrate reports the refusal and exits
                downgrade(revision="0022")
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM users WHERE id = 4"))
            downgrade(revision="0022")
            assert _accounts() == before and _refused("policy")
            assert not TABLES & set(inspect(db.engine).get_table_names())
        finally:
            db.engine.dispose()
