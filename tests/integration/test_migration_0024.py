"""Migration 0024 (issue 18): the policy window's tables, ``cases.kind`` may be ``policy`` and ``users.role`` may be
``window`` — and no row of any table changes on the way up or back down (SQLite rebuilds ``cases`` and ``users``:
what cascades from them must come back). Back down is refused while a window account or an application exists."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migration_0018 import _seed as seed_complaints
from tests.integration.test_migration_0022 import NOW, _add
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

NEW_TABLES = {"policy_window_posts", "policy_consultations", "policy_cases", "policy_payments",
              "policy_automatic_batches"}


def _everything() -> dict[str, list[tuple]]:
    """Every row of every table but Alembic's, as sorted tuples of text."""
    names = sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"} - NEW_TABLES)
    with db.engine.connect() as connection:
        return {name: sorted(tuple(str(v) for v in row) for row in connection.execute(text(f"SELECT * FROM {name}")))
                for name in names}


def _insert_case(kind: str) -> bool:
    """Whether a case of this kind is accepted (then removed again)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO cases (id, kind, tracking_number, subject, status, identity_shared, submitted_at, "
                "decline_reason, public_reply, confirmation_note, contact_attempts, reopen_count) VALUES (999, :kind, "
                "'ZC00000000-0001', 'x', 'submitted', :no, :now, '', '', '', 0, 0)"), {"kind": kind, "no": False,
                                                                                       "now": NOW})
    except IntegrityError:
        return False
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM cases WHERE id = 999"))
    return True


def test_0024_keeps_every_row_and_admits_window_staff_and_policy_applications(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0017")
            with db.engine.begin() as connection:
                seed_complaints(connection)  # complaints in every state, their assignments, events and files
            upgrade(revision="0023")
            with db.engine.begin() as connection:
                _add(connection, 1, "admin")
                _add(connection, 2, "policy")
                connection.execute(text(
                    "INSERT INTO user_known_devices (user_id, token_hash, fingerprint, created_at, last_used_at, "
                    "expires_at) VALUES (1, 'device-of-admin', 'f', :now, :now, :now)"), {"now": NOW})
                connection.execute(text("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (2, 'code')"))
            before = _everything()
            assert before["case_assignments"] and before["complaint_departments"] and before["case_attachments"]
            assert not _insert_case("policy")

            upgrade(revision="0024")
            assert _everything() == before
            assert NEW_TABLES <= set(inspect(db.engine).get_table_names())
            assert _insert_case("policy") and not _insert_case("grant")
            with db.engine.begin() as connection:
                _add(connection, 3, "window")
            with pytest.raises(SystemExit):  # Flask-Migrate reports the refusal and exits
                downgrade(revision="0023")
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM users WHERE id = 3"))

            downgrade(revision="0023")
            assert _everything() == before
            assert not NEW_TABLES & set(inspect(db.engine).get_table_names())
            assert not _insert_case("policy")
        finally:
            db.session.remove()
            db.engine.dispose()
