"""The rows the migrations seeded in the PostgreSQL test database, and putting them back after a test.

Kept apart from conftest.py on purpose: pytest loads conftest.py as the module ``conftest``, while a test module
that reads ``from tests.conftest import restore_postgres_tables`` loads a second copy of it as ``tests.conftest``.
A dict defined in conftest.py would then exist twice — filled in one copy, empty in the other, and a restore
through the empty one would leave the respondent categories out for the next test. Both copies import this module,
which Python loads once.
"""
from __future__ import annotations

from sqlalchemy import text

from app.extensions import db

SEEDED_ROWS: dict[str, list[dict]] = {}


def remember_seeded_rows() -> None:
    """Keep what the migrations inserted (call once, on the freshly migrated database)."""
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in connection.execute(table.select())]
            if rows:
                SEEDED_ROWS[table.name] = rows


def restore_postgres_tables() -> None:
    """Empty every table, then put back the migrations' seed rows and move the id sequences past them."""
    assert SEEDED_ROWS, "the migrated database's seed rows were not kept (remember_seeded_rows)"
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for table in db.metadata.sorted_tables:
            if table.name in SEEDED_ROWS:
                connection.execute(table.insert(), SEEDED_ROWS[table.name])
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"))
