"""The audit log is append-only and hash-chained."""
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from app.extensions import db
from app.models import AuditEntry, AuditLogImmutable
from app.services import audit
from tests.conftest import on_postgres


def write_entries(n: int = 3):
    for i in range(n):
        audit.record("test.action", f"thing:{i}", {"n": i, "说明": "中文"})
    db.session.commit()


def test_entries_chain_to_each_other(app):
    write_entries()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert entries[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    assert audit.verify_chain().ok and audit.verify_chain().checked == 3


def test_model_layer_refuses_update_and_delete(app):
    write_entries(1)
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.action = "forged"
    with pytest.raises(AuditLogImmutable):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AuditLogImmutable):
        db.session.delete(entry)
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditLogImmutable):
        db.session.execute(update(AuditEntry).values(action="forged"))
    db.session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"])
def test_database_refuses_raw_update_and_delete(app, statement):
    write_entries(1)
    with pytest.raises(DatabaseError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(statement))
    assert db.session.scalars(select(AuditEntry.action)).all() == ["test.action"]


def disable_protection(connection):
    if on_postgres():
        connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        connection.execute(text("DROP TRIGGER audit_log_no_update"))
        connection.execute(text("DROP TRIGGER audit_log_no_delete"))


def enable_protection(connection):
    if on_postgres():
        connection.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


@pytest.mark.parametrize("tamper,broken", [
    ("UPDATE audit_log SET details = '{\"n\": 99}' WHERE id = 2", 2),
    ("DELETE FROM audit_log WHERE id = 2", 3),
])
def test_verify_reports_the_first_tampered_entry(app, runner, tamper, broken):
    write_entries(4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "4 entries verified" in result.output
    with db.engine.begin() as connection:  # an attacker with database access, bypassing the triggers
        disable_protection(connection)
        connection.execute(text(tamper))
        enable_protection(connection)
    db.session.expire_all()
    report = audit.verify_chain()
    assert not report.ok and report.broken_id == broken
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"entry {broken}" in result.output
