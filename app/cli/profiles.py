"""`flask profiles import FILE`: enterprise profiles (企业画像) from the shell, with the pages' validation."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.profiles import importing

profiles_cli = AppGroup("profiles", help="Enterprise profiles (企业画像).")


@profiles_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
def import_command(path: Path, dry_run: bool) -> None:
    """Check a CSV/XLSX file of profiles and import it; with any error nothing is written and the exit status is 1."""
    report, plan = importing.check_and_apply(path.name, path.read_bytes()) if not dry_run \
        else (None, importing.check(path.name, path.read_bytes()))
    for error in plan.errors:
        click.echo(f"row {error.row}, {error.column or '-'}: {error.reason} [{error.value}]", err=True)
    click.echo(f"{plan.rows_read} rows read: {plan.to_create} to create, {plan.to_update} to update, "
               f"{plan.unchanged} unchanged, {plan.error_rows} with errors")
    if report is None:
        db.session.rollback()
        if plan.errors:
            click.echo("nothing imported", err=True)
        raise SystemExit(1 if plan.errors else 0)
    db.session.commit()
    click.echo(f"imported: {report.created} created, {report.updated} updated, {report.unchanged} unchanged")
