"""`flask backup create` and `flask backup restore`: the whole database to a file and back."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.maintenance import backup

PERSONAL_DATA = ("Backups hold personal data (pool members' names and organisations, complainants' contacts, phone "
                 "numbers — encrypted only when PHONE_ENCRYPTION_KEY is set, and the key is not in the backup): "
                 "store them encrypted, with access as restricted as the database's.")

backup_cli = AppGroup("backup", help=f"Back up and restore the database. {PERSONAL_DATA}")


@backup_cli.command("create")
@click.option("--output", type=click.Path(dir_okay=True, file_okay=True, writable=True),
              help="File to write, or a directory for a timestamped file (default: BACKUP_DIR, instance/backups).")
def create_command(output: str | None) -> None:
    """Back up the configured database while the application runs.

    SQLite: a consistent copy through SQLite's online backup API (a .sqlite3 file). PostgreSQL: pg_dump
    --format=custom (a .dump file; needs pg_dump of the server's major version or newer). The file is created
    readable by its owner only.

    Backups hold personal data (names, organisations, contacts; phone numbers encrypted only when
    PHONE_ENCRYPTION_KEY is set): store them encrypted, with access as restricted as the database's.
    """
    try:
        path = backup.create(output)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {path}")
    if not current_app.config.get("PHONE_ENCRYPTION_KEY"):
        click.echo("warning: PHONE_ENCRYPTION_KEY is not set, so phone numbers are in clear text in this backup",
                   err=True)
    click.echo(PERSONAL_DATA, err=True)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm that the database's current contents are to be replaced.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the configured database's contents with the backup PATH (stop the web and worker processes first).

    SQLite: the backup is copied into the configured database file. PostgreSQL: pg_restore --clean --if-exists in
    a single transaction (all or nothing). Afterwards the audit chain is verified; restore the same
    PHONE_ENCRYPTION_KEY, or the phone numbers cannot be read.
    """
    if not yes:
        raise click.ClickException("restoring replaces everything in the database; add --yes to confirm")
    try:
        report = backup.restore(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {path} (migration {report.revision})")
    head = backup.code_revision()
    if report.revision != head:
        click.echo(f"the backup is at migration {report.revision}, this code at {head}: run `flask db upgrade`",
                   err=True)
    if not report.audit_ok:
        click.echo(f"audit log BROKEN after the restore: {report.audit_problem}", err=True)
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.audit_entries} entries verified")
