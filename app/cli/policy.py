"""`flask policy …`: the policy window from the shell (`import`, `expire`; `match`, `push` from policy_push.py)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.platform.calendar import local_today
from app.cli.policy_cases import cases_command
from app.cli.policy_push import match_command, push_command
from app.cli.policy_stats import stats_command
from app.policy import catalogue, importing

policy_cli = AppGroup("policy", help="The policy window: the catalogue, matching and precise push (惠企政策).")


@policy_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and report, change nothing.")
def import_command(path: Path, dry_run: bool) -> None:
    """Import items (as drafts) from a CSV/XLSX file; exit status 1 and nothing written when it has errors."""
    report = importing.import_file(path.name, path.read_bytes(), dry_run=dry_run)
    for error in report.errors:
        click.echo(f"第{error.row}行 {error.column or '-'}：{error.reason} [{error.value}]", err=True)
    if report.errors:
        db.session.rollback()
        click.echo(f"{report.rows} rows read, {len(report.errors)} errors: nothing imported", err=True)
        raise SystemExit(1)
    if dry_run:
        click.echo(f"{report.rows} rows read, no errors (dry run: nothing written)")
        return
    db.session.commit()
    click.echo(f"{report.rows} rows read: {len(report.created)} draft items added, {len(report.updated)} drafts "
               f"updated")
    for code in report.created + report.updated:
        click.echo(code)


@policy_cli.command("expire")
def expire_command() -> None:
    """Mark as expired every published item whose policy's validity has ended (run daily)."""
    expired = catalogue.expire_due(local_today())
    db.session.commit()
    click.echo(f"{len(expired)} items expired")
    for item in expired:
        click.echo(item.code)


# Matching and precise push live beside (app/cli/policy_push.py); one group holds them all.
policy_cli.add_command(match_command)
policy_cli.add_command(push_command)
policy_cli.add_command(stats_command)
# The window's applications (app/cli/policy_cases.py).
policy_cli.add_command(cases_command)
