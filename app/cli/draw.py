"""`flask draw export|verify`: the evidence of a round's draw, and its independent check."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from app.rounds import campaigns, draws
from app.rounds.models import DrawStatus

draw_cli = AppGroup("draw", help="Export and verify a round's draw.")


def _drawn(identifier: str):
    campaign = campaigns.find(identifier)
    if campaign is None:
        raise click.ClickException(f"no single round matches {identifier!r} (give its id or its month, e.g. 2026-11)")
    current = campaign.current_draw
    if current is None or current.status != DrawStatus.drawn:
        raise click.ClickException(f"round {campaign.month} has no completed draw")
    return current


@draw_cli.command("export")
@click.argument("round_id", metavar="ROUND")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(round_id: str, directory: Path) -> None:
    """Write frame.csv, plan.json, seed.txt, commitment.txt and selected.csv into DIRECTORY."""
    current = _drawn(round_id)
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in draws.evidence_files(current).items():
        (directory / name).write_text(content, encoding="utf-8")
    click.echo(f"wrote the evidence of draw {current.id} to {directory}; check it with "
               f"`python tools/verify_draw.py {directory}`")


@draw_cli.command("verify")
@click.argument("round_id", metavar="ROUND")
def verify_command(round_id: str) -> None:
    """Recompute the commitment and the selection from the database; exit 1 on any mismatch."""
    current = _drawn(round_id)
    result = draws.verify(current)
    click.echo(f"commitment: {'match' if result.commitment_ok else 'MISMATCH'}")
    click.echo(f"selection:  {'match' if result.selection_ok else 'MISMATCH'} {result.detail}".rstrip())
    raise SystemExit(0 if result.ok else 1)
