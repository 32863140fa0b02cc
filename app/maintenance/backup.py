"""Backups of the whole database, and restoring one: SQLite through its online backup API, PostgreSQL through
``pg_dump --format=custom`` and ``pg_restore``.

A backup holds personal data: pool members' names and organisations, complainants' contact details, and
phone numbers — encrypted only when PHONE_ENCRYPTION_KEY is set (production requires it); the key itself is
not in the backup, so keep it elsewhere, or the restored numbers cannot be read. Store backups encrypted, with
access as restricted as the database's. Files are written readable by their owner only.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from app.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# How long pg_restore waits for another session's lock before giving up (the app still running, typically).
PG_LOCK_TIMEOUT_MS = 30_000


class BackupError(Exception):
    """A reason why a backup or a restore could not be made; nothing was changed."""


@dataclass(frozen=True)
class RestoreReport:
    """What the database holds after a restore: its migration revision and the audit chain's state."""

    revision: str | None
    audit_entries: int
    audit_ok: bool
    audit_problem: str = ""


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the configured SQLite database is in memory: there is no file to back up or restore")
    return Path(url.database)


def default_directory() -> Path:
    """Where backups go without --output: BACKUP_DIR (instance/backups by default)."""
    return Path(current_app.config["BACKUP_DIR"])


def _target(output: str | Path | None, suffix: str) -> Path:
    """The file to write: OUTPUT itself, or a timestamped file inside OUTPUT (or the default directory)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = Path(output) if output else default_directory()
    if output is None or path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = path / f"beikaobei-{stamp}{suffix}"
    if path.exists():
        raise BackupError(f"{path} exists already; choose another file (backups are never overwritten)")
    if not path.parent.is_dir():
        raise BackupError(f"the directory {path.parent} does not exist")
    return path


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def _private_file(path: Path) -> None:
    """Create the file readable and writable by its owner only, before anything is written into it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)


def create(output: str | Path | None = None) -> Path:
    """Back up the configured database to a new file and return its path."""
    url = _url()
    if url.get_backend_name() == "sqlite":
        return _create_sqlite(url, _target(output, ".sqlite3"))
    if url.get_backend_name() == "postgresql":
        return _create_postgres(url, _target(output, ".dump"))
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def _create_sqlite(url: URL, target: Path) -> Path:
    source_path = _sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"the database file {source_path} does not exist")
    _private_file(target)
    try:
        # The online backup API copies a consistent snapshot while the application keeps running.
        source = sqlite3.connect(_read_only_uri(source_path), uri=True)
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
            check = destination.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            destination.close()
            source.close()
        if check != "ok":
            raise BackupError(f"the backup failed its integrity check: {check}")
    except (sqlite3.Error, BackupError) as error:
        target.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {error}") from None
    return target


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment carrying it (not on the command line)."""
    env = {**os.environ, "PGOPTIONS": f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH: install the PostgreSQL client tools (Debian/Ubuntu: "
                          f"postgresql-client) of the server's major version or newer")
    return path


def _run(command: list[str], env: dict[str, str], what: str, stdin: bytes | None = None) -> bytes:
    """Run a client tool; its standard output, or BackupError with the end of what it said."""
    finished = subprocess.run(command, env=env, capture_output=True, input=stdin)
    if finished.returncode != 0:
        detail = (finished.stderr or finished.stdout).decode("utf-8", "replace").strip().splitlines()
        hint = ""
        if any("lock timeout" in line for line in detail):
            hint = " (the database is in use: stop the web and worker processes, then try again)"
        raise BackupError(f"{what} failed{hint}: {' / '.join(detail[-5:]) or f'exit code {finished.returncode}'}")
    return finished.stdout


def _create_postgres(url: URL, target: Path) -> Path:
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(url)
    _private_file(target)
    try:
        _run([pg_dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={uri}"], env, "pg_dump")
    except BackupError:
        target.unlink(missing_ok=True)
        raise
    return target


def restore(path: str | Path) -> RestoreReport:
    """Replace the configured database's contents with a backup's; stop the web and worker processes first."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    url = _url()
    backend = url.get_backend_name()
    if backend == "sqlite" and not magic.startswith(SQLITE_MAGIC):
        raise BackupError(f"{path} is not an SQLite backup (the configured database is SQLite)")
    if backend == "postgresql" and not magic.startswith(PG_CUSTOM_MAGIC):
        raise BackupError(f"{path} is not a pg_dump custom-format backup (the configured database is PostgreSQL)")
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"restoring {backend} databases is not supported")
    # Our own connections would hold locks (PostgreSQL) or keep reading stale pages (SQLite).
    db.session.remove()
    db.engine.dispose()
    if backend == "sqlite":
        _restore_sqlite(path, _sqlite_path(url))
    else:
        _restore_postgres(url, path)
    return _report()


def _restore_postgres(url: URL, path: Path) -> None:
    """Replace every table with the backup's, in one transaction: the backup's script (``pg_restore --clean``)
    run by psql, after dropping the tables the backup does not have.

    Those are tables a later migration added (a backup taken before an upgrade, restored to go back): left in
    place, their foreign keys would stop the script from dropping the tables they point to. One transaction, so
    a restore that fails changes nothing.
    """
    uri, env = _libpq(url)
    pg_restore = _tool("pg_restore")
    listing = _run([pg_restore, "--list", str(path)], env, "pg_restore").decode("utf-8", "replace")
    in_backup = {tuple(line.split()[4:6]) for line in listing.splitlines()
                 if not line.startswith(";") and line.split()[3:4] == ["TABLE"]}
    with db.engine.connect() as connection:
        present = set(connection.execute(text(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")))
    db.engine.dispose()
    extra = sorted(present - in_backup)
    script = _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-", str(path)], env, "pg_restore")
    prologue = "".join(f'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE;\n' for schema, table in extra)
    _run([_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
          f"--dbname={uri}", "--file=-"], env, "restoring the backup (psql)", stdin=prologue.encode() + script)


def _restore_sqlite(path: Path, target: Path) -> None:
    source = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        check = source.execute("PRAGMA quick_check").fetchone()[0]
        tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if check != "ok":
            raise BackupError(f"{path} fails SQLite's integrity check ({check}); nothing was restored")
        if not {"alembic_version", "audit_log"} <= tables:
            raise BackupError(f"{path} is an SQLite file but not a Beikaobei backup; nothing was restored")
        destination = sqlite3.connect(target, timeout=5)
        try:
            # Page by page into the live file, under SQLite's own locking: other connections see the restored
            # database as a whole or wait, never half of it.
            source.backup(destination)
        except sqlite3.OperationalError as error:
            raise BackupError(f"restore failed, the database is in use ({error}); stop the web and worker "
                              f"processes, then try again") from None
        finally:
            destination.close()
    finally:
        source.close()


def code_revision() -> str | None:
    """The newest migration this code knows: a restored older backup needs `flask db upgrade`."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()


def _report() -> RestoreReport:
    from app.audit.service import verify_chain

    revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    chain = verify_chain()
    db.session.remove()
    return RestoreReport(revision, chain.checked, chain.ok,
                         "" if chain.ok else f"broken at entry {chain.broken_id}: {chain.reason}")
