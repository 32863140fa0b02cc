"""The audit log is append-only and hash-chained."""
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from app.audit import service as audit
from app.audit.models import AuditEntry, AuditLogImmutable
from app.extensions import db
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


def anchor_of(runner) -> str:
    result = runner.invoke(args=["audit", "head"])
    assert result.exit_code == 0, result.output
    return next(line.split(": ", 1)[1] for line in result.output.splitlines() if line.startswith("anchor: "))


def test_head_prints_the_count_and_newest_hash_and_older_anchors_keep_holding(app, runner):
    write_entries(3)
    newest = db.session.scalars(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc())).first()
    anchor = anchor_of(runner)
    assert anchor == f"3:{newest}"
    write_entries(2)  # the log grows after the anchor was published: the anchor still holds
    result = runner.invoke(args=["audit", "verify", "--anchor", anchor, "--anchor", anchor_of(runner)])
    assert result.exit_code == 0, result.output
    assert "5 entries verified" in result.output and result.output.count("holds") == 2


def test_an_anchor_shows_that_the_newest_entries_were_deleted(app, runner):
    write_entries(4)
    anchor = anchor_of(runner)
    with db.engine.begin() as connection:  # someone with database access removes the last two entries
        disable_protection(connection)
        connection.execute(text("DELETE FROM audit_log WHERE id > 2"))
        enable_protection(connection)
    db.session.expire_all()
    plain = runner.invoke(args=["audit", "verify"])
    assert plain.exit_code == 0  # the shortened chain is still a valid chain: this is why anchors exist
    anchored = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert anchored.exit_code == 1
    assert "FAILED" in anchored.output and "holds 2 entries" in anchored.output and "deleted" in anchored.output


def test_an_anchor_shows_a_chain_rewritten_from_a_changed_entry(app, runner):
    write_entries(4)
    anchor = anchor_of(runner)
    table = AuditEntry.__table__
    rows = [dict(row._mapping) for row in db.session.execute(table.select().order_by(table.c.id))]
    prev = rows[0]["entry_hash"]
    with db.engine.begin() as connection:  # change entry 2 and recompute every hash after it
        disable_protection(connection)
        for row in rows[1:]:
            forged = AuditEntry(**{**row, "prev_hash": prev})  # transient: only used to compute the hash
            if row["id"] == 2:
                forged.details = {"n": 99}
            prev = forged.compute_hash()
            connection.execute(update(table).where(table.c.id == row["id"])
                               .values(details=forged.details, prev_hash=forged.prev_hash, entry_hash=prev))
        enable_protection(connection)
    db.session.expire_all()
    assert audit.verify_chain().ok  # a consistent forgery: the chain alone cannot tell
    anchored = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert anchored.exit_code == 1 and "entry 4 does not have the anchored hash" in anchored.output


@pytest.mark.parametrize("anchor", ["3", "x:abc", "3:" + "g" * 64, "3:abc"])
def test_a_malformed_anchor_is_a_usage_error(app, runner, anchor):
    write_entries(3)
    result = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert result.exit_code == 2 and ("COUNT:HASH" in result.output or "hexadecimal" in result.output)
    assert "verified" not in result.output
