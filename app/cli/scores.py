"""`flask scores export ROUND FILE`: the HR export of a round's current assessment (XLSX or CSV by extension)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.extensions import db
from app.rounds.models import Campaign

scores_cli = AppGroup("scores", help="Assessment scores: exports and verification.")


def find_round(ref: str) -> Campaign | None:
    """A round by id (``12``) or by month (``2026-10``; the latest round of that month)."""
    if ref.isdigit():
        return db.session.get(Campaign, int(ref))
    return db.session.scalar(select(Campaign).where(Campaign.month == ref).order_by(Campaign.id.desc()).limit(1))


@scores_cli.command("export")
@click.argument("round_ref", metavar="ROUND")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def export_command(round_ref: str, file: str) -> None:
    """Write ROUND's (id or YYYY-MM) current assessment to FILE (.xlsx or .csv)."""
    from app.assessment import export
    from app.assessment.scoring import current_assessment

    path = Path(file)
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise click.UsageError("FILE must end in .xlsx or .csv")
    campaign = find_round(round_ref)
    if campaign is None:
        raise click.ClickException(f"no round {round_ref!r}")
    assessment = current_assessment(campaign)
    if assessment is None:
        raise click.ClickException(f"round {campaign.month} (id {campaign.id}) has not been scored")
    data = export.as_bytes(assessment, path.suffix.lower().removeprefix("."))
    path.write_bytes(data)
    click.echo(f"wrote {path} ({len(data)} bytes): round {campaign.month}, assessment version {assessment.version} "
               f"({assessment.status.value}), input SHA-256 {assessment.input_hash}")


@scores_cli.command("verify")
@click.argument("round_ref", metavar="ROUND")
def verify_command(round_ref: str) -> None:
    """Check ROUND's assessment versions against the audit log; exit 1 on any difference."""
    from app.assessment.scoring import assessment_history, verify_results

    campaign = find_round(round_ref)
    if campaign is None:
        raise click.ClickException(f"no round {round_ref!r}")
    problems = verify_results(campaign)
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"round {campaign.month}: {len(assessment_history(campaign))} assessment version(s) match the "
               f"results the audit log recorded")
