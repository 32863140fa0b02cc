"""`flask casework stats` and `flask casework export`: the 三率 of a period per department, and the rows they are
computed from (docs/CASEWORK.md, "三率"). Neither prints anything about the raisers."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.casework import rates
from app.casework.models import CaseKind
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.exports import safe_cell

casework_cli = AppGroup("casework", help="Casework figures: the 三率 per department, and the rows behind them.")

KINDS = click.Choice([k.value for k in CaseKind])


def _day(_ctx, param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param=param) from None


def _period(start: date, end: date) -> None:
    if end < start:
        raise click.UsageError(f"--to {end} is before --from {start}")


def _codes() -> dict[int, str]:
    return {d: code for d, code in db.session.execute(select(Department.id, Department.code))}


def _csv(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([safe_cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def _period_options(command):
    command = click.option("--kind", type=KINDS, default=None, help="One kind of case (all kinds by default).")(command)
    command = click.option("--to", "end", required=True, callback=_day, metavar="YYYY-MM-DD",
                           help="Last local date of the period (included).")(command)
    return click.option("--from", "start", required=True, callback=_day, metavar="YYYY-MM-DD",
                        help="First local date of the period.")(command)


@casework_cli.command("stats")
@_period_options
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def stats_command(start: date, end: date, kind: str | None, fmt: str) -> None:
    """Print the 三率 of the period per department (code, each rate's numerator, denominator and value) and for the
    city (department "city")."""
    _period(start, end)
    today = local_today()
    lines = rates.stats_rows(rates.rates(start, end, today, kind), _codes())
    if fmt == "csv":
        click.echo(_csv([rates.STATS_HEADER, *([line[k] for k in rates.STATS_HEADER] for line in lines)]), nl=False)
        return
    config = current_app.config
    click.echo(json.dumps({
        "from": start.isoformat(), "to": end.isoformat(), "kind": kind, "as_of": today.isoformat(),
        "acknowledge_workdays": config["CASEWORK_ACKNOWLEDGE_WORKDAYS"],
        "basically_satisfied_weight": config["CASEWORK_BASICALLY_SATISFIED_WEIGHT"],
        "departments": lines[:-1], "city": lines[-1]}, ensure_ascii=False, indent=2))


@casework_cli.command("export")
@_period_options
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
def export_command(start: date, end: date, kind: str | None, fmt: str) -> None:
    """Print one row per assignment the period's 三率 rest on: those assigned in the period (open ones with an empty
    "closed") and those of the cases closed in it — kind, case number, department code, dates, outcome, rating."""
    _period(start, end)
    today, codes = local_today(), _codes()
    rows = [rates.export_row(item, codes[item.department_id], today) for item in rates.items(start, end, kind)]
    click.echo(_csv([rates.EXPORT_HEADER, *rows]), nl=False)
