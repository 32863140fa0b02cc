"""Migration 0025 (兑现回访): a check gets a purpose, a call its follow-up flag, delivery answers their own table — on a
database holding a call-back check with its frame, calls, sealed and released answers, nothing is lost on the way
up (every existing check is a resolution check, no call asked for a follow-up) or back down; the way back is
refused while a delivery check exists."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migration_0018 import _seed as seed_complaints
from tests.integration.test_migration_0022 import NOW
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

NEW_COLUMNS = {"callback_checks": {"purpose"}, "callback_calls": {"follow_up_requested"}}


def _check(connection, check_id: int, purpose: str | None = None) -> None:
    columns = "id, period_start, period_end, minimum, maximum, status, stratum_sizes, allocation, without_phone, " \
              "frame_size, commitment, created_at, seed, seed_source, selected_count"
    values = ":id, '2026-11-01', '2026-11-30', 1, 5, 'closed', '{\"SCJG|solved\": 2}', '{\"SCJG|solved\": 2}', " \
             "'{}', 2, :commitment, :now, 'seed', 'typed', 2"
    if purpose:
        columns, values = columns + ", purpose", values + ", :purpose"
    connection.execute(text(f"INSERT INTO callback_checks ({columns}) VALUES ({values})"),
                       {"id": check_id, "commitment": "ab" * 32, "now": NOW, "purpose": purpose})


def _seed_check(connection) -> None:
    """A closed resolution check of two cases: its frame, both calls (one used), a released and a sealed answer."""
    cases = [row[0] for row in connection.execute(text("SELECT id FROM cases ORDER BY id LIMIT 2"))]
    department = connection.scalar(text("SELECT id FROM departments ORDER BY id LIMIT 1"))
    _check(connection, 1)
    for n, case in enumerate(cases, start=1):
        connection.execute(text(
            "INSERT INTO callback_frame_members (check_id, case_id, key, stratum, department_id, claimed_solved) "
            "VALUES (1, :case, :key, 'SCJG|solved', :dept, :yes)"), {"case": case, "key": f"TS2026110{n}-0001",
                                                                     "dept": department, "yes": True})
        connection.execute(text(
            "INSERT INTO callback_calls (id, check_id, case_id, department_id, stratum, claimed_solved, "
            "inclusion_probability, token_hash, sent_at, send_failures, used) VALUES (:id, 1, :case, :dept, "
            "'SCJG|solved', :yes, 1.0, :hash, :now, 0, :used)"),
            {"id": n, "case": case, "dept": department, "yes": True, "hash": f"{n}" * 64, "now": NOW,
             "used": n == 1})
    connection.execute(text(
        "INSERT INTO callback_answers (id, check_id, department_id, claimed_solved, solved, satisfied, returns) "
        "VALUES (:id, 1, :dept, :yes, 'partly', 'basically', 2)"), {"id": "f" * 32, "dept": department, "yes": True})
    connection.execute(text("INSERT INTO callback_sealed_answers (id, check_id, payload) VALUES (:id, 1, :payload)"),
                       {"id": "e" * 32, "payload": '{"solved": "yes"}'})


def _callback_rows(columns_of=None) -> dict[str, list[tuple]]:
    """Every row of the call-back tables (and of cases), in the columns they had before 0025."""
    tables = ["cases", "callback_checks", "callback_frame_members", "callback_calls", "callback_answers",
              "callback_sealed_answers"]
    inspector = inspect(db.engine)
    found = {}
    with db.engine.connect() as connection:
        for table in tables:
            names = [c["name"] for c in inspector.get_columns(table) if c["name"] not in NEW_COLUMNS.get(table, ())]
            found[table] = sorted(tuple(str(v) for v in row) for row in connection.execute(
                text(f"SELECT {', '.join(names)} FROM {table}")))
    return found


def test_0025_keeps_every_check_call_and_answer_and_makes_them_resolution_checks(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0017")
            with db.engine.begin() as connection:
                seed_complaints(connection)
            upgrade(revision="0024")
            with db.engine.begin() as connection:
                _seed_check(connection)
            before = _callback_rows()
            assert all(before[table] for table in before)

            upgrade(revision="0025")
            assert _callback_rows() == before
            with db.engine.connect() as connection:
                assert connection.execute(text("SELECT purpose FROM callback_checks")).scalars().all() == [
                    "resolution"]
                assert [bool(v) for v in connection.execute(text(
                    "SELECT follow_up_requested FROM callback_calls")).scalars()] == [False, False]
            inspector = inspect(db.engine)
            assert "callback_delivery_answers" in inspector.get_table_names()
            assert {"ix_callback_checks_purpose"} <= {i["name"] for i in inspector.get_indexes("callback_checks")}
            with pytest.raises(Exception):  # the purpose is one of the two
                with db.engine.begin() as connection:
                    _check(connection, 3, "grant")

            # A delivery check blocks the way back; without it, back down loses nothing either.
            with db.engine.begin() as connection:
                _check(connection, 2, "delivery")
            with pytest.raises(SystemExit):  # Flask-Migrate reports the refusal and exits
                downgrade(revision="0024")
            with db.engine.begin() as connection:
                connection.execute(text("DELETE FROM callback_checks WHERE id = 2"))
            downgrade(revision="0024")
            assert _callback_rows() == before
            inspector = inspect(db.engine)
            assert "callback_delivery_answers" not in inspector.get_table_names()
            assert "purpose" not in {c["name"] for c in inspector.get_columns("callback_checks")}
            assert "follow_up_requested" not in {c["name"] for c in inspector.get_columns("callback_calls")}

            upgrade(revision="0025")  # and up again
            assert _callback_rows() == before
        finally:
            db.session.remove()
            db.engine.dispose()
