"""`flask policy stats --from … --to … --format json`: the policy window's statistics of a period, printed.

The figures are ``app.policy_window.stats.figures``; their ``digest`` is the SHA-256 of the case rows
(``stats.case_rows``) they come from, the rows ``flask policy cases`` prints, from which they can be recomputed.
"""
from __future__ import annotations

import json
from datetime import date

import click

from app.policy_window import stats


@click.command("stats")
@click.option("--from", "start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First day of the period (local, YYYY-MM-DD).")
@click.option("--to", "end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Last day of the period (local, YYYY-MM-DD, included).")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day unfinished cases are judged late against (default: today).")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
def stats_command(start, end, as_of, fmt: str) -> None:
    """Print the period's figures per item, department and window (JSON)."""
    first, last = start.date(), end.date()
    if last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    found = stats.figures(first, last, as_of=as_of.date() if as_of else None)
    click.echo(json.dumps(found.plain(), ensure_ascii=False, indent=2, default=_plain))


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
