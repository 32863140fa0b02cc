"""`flask backup create` / `flask backup restore`: what was backed up comes back, and the audit chain verifies.

On SQLite the backup is SQLite's online backup of the test's database file; on PostgreSQL it is pg_dump's custom
format, restored with pg_restore into the test database itself (the command disposes of the app's connections
first, as it must in production).
"""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.departments import service as departments
from app.departments.models import Department
from app.extensions import db
from app.pool.models import Respondent
from tests.conftest import on_postgres
from tests.integration.test_pool_import import csv_bytes, run_import

PLAIN_PHONE, SEALED_PHONE = "13800000011", "13800000022"


def head_anchor(runner) -> str:
    output = runner.invoke(args=["audit", "head"]).output
    return next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("anchor: "))


def backup_file(runner, tmp_path: Path) -> Path:
    result = runner.invoke(args=["backup", "create", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "personal data" in result.output
    path = Path(result.output.split("backup written to ", 1)[1].splitlines()[0].strip())
    assert path.parent == tmp_path and path.is_file()
    return path


def readable_content(path: Path) -> bytes:
    """What someone holding the backup file can read: the SQLite file, or pg_dump's data as SQL text."""
    if not on_postgres():
        return path.read_bytes()
    return subprocess.run(["pg_restore", "--file=-", str(path)], capture_output=True, check=True).stdout


@pytest.fixture
def city(app, make_department):
    """A department, two pool members (the second with its phone encrypted) and their audit entries."""
    make_department("SCJG", "市市场监督管理局")
    run_import(csv_bytes([["张三", "sme", "城关区", "", PLAIN_PHONE]]))
    app.config["PHONE_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    run_import(csv_bytes([["李四", "sme", "城关区", "", SEALED_PHONE]]))
    audit.record("test.before_backup", "city", {"n": 1})
    db.session.commit()


def test_a_restore_brings_back_what_was_backed_up_and_the_audit_chain_verifies(app, runner, tmp_path, city):
    anchor = head_anchor(runner)
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    path = backup_file(runner, tmp_path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # personal data: readable by its owner only

    # Afterwards: a department renamed, a member deleted, more audit entries.
    department = db.session.scalar(select(Department).where(Department.code == "SCJG"))
    departments.update(department, "SCJG", "改名后的局", department.kind, department.sort_order, True)
    db.session.execute(text("DELETE FROM respondents WHERE key = 'P000001'"))
    audit.record("test.after_backup", "city", {"n": 2})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 1

    result = runner.invoke(args=["backup", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert f"audit log intact: {entries} entries verified" in result.output

    assert db.session.scalar(select(Department.name).where(Department.code == "SCJG")) == "市市场监督管理局"
    assert db.session.scalars(select(Respondent.name).order_by(Respondent.key)).all() == ["张三", "李四"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("test.%"))).all() == [
        "test.before_backup"]
    verified = runner.invoke(args=["audit", "verify", "--anchor", anchor])
    assert verified.exit_code == 0, verified.output
    # The application works on the restored database: it can write to it again.
    audit.record("test.after_restore", "city", {})
    db.session.commit()
    assert runner.invoke(args=["audit", "verify", "--anchor", anchor]).exit_code == 0


def test_phone_numbers_are_in_a_backup_only_as_they_are_stored(app, runner, tmp_path, city):
    content = readable_content(backup_file(runner, tmp_path))
    assert PLAIN_PHONE.encode() in content  # stored before PHONE_ENCRYPTION_KEY was set: in clear text
    assert SEALED_PHONE.encode() not in content  # encrypted at rest, encrypted in the backup


def test_restoring_needs_yes_and_a_backup_of_the_same_kind(app, runner, tmp_path, city):
    path = backup_file(runner, tmp_path)
    db.session.execute(text("DELETE FROM respondents WHERE key = 'P000001'"))
    db.session.commit()
    refused = runner.invoke(args=["backup", "restore", str(path)])
    assert refused.exit_code == 1 and "--yes" in refused.output
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not a backup")
    wrong = runner.invoke(args=["backup", "restore", str(stranger), "--yes"])
    assert wrong.exit_code == 1 and "notes.txt is not" in wrong.output
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 1  # nothing was restored


def test_a_backup_never_overwrites_a_file(app, runner, tmp_path, city):
    path = backup_file(runner, tmp_path)
    again = runner.invoke(args=["backup", "create", "--output", str(path)])
    assert again.exit_code == 1 and "exists already" in again.output


@pytest.mark.skipif(not on_postgres(), reason="pg_dump is PostgreSQL's")
def test_a_missing_pg_dump_is_a_clear_error(app, runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(args=["backup", "create", "--output", str(tmp_path)])
    assert result.exit_code == 1 and "pg_dump was not found" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_backup_from_an_older_revision_restores_and_upgrades(app, runner, tmp_path, city):
    """The rollback path of DEPLOYMENT.md: restore last month's backup over a newer schema, then `flask db upgrade`."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    downgrade(revision="0008")  # the schema before the assessment triggers (0009) existed
    path = backup_file(runner, tmp_path)
    upgrade()
    result = runner.invoke(args=["backup", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == "0008"
    upgrade()  # on PostgreSQL, pg_restore --clean left the newer trigger functions behind
    head = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()
    assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == head
    assert db.session.scalars(select(Respondent.name).order_by(Respondent.key)).all() == ["张三", "李四"]
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
