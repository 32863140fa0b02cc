"""`flask policy cases --from … --to … --format csv`: one row per application opened in the period (drafts aside).

The rows are the statistics' own (``app.policy_window.stats.case_rows``): tracking number, item code, the
responsible department's code, window, delivery mode, origin, the local day it was opened, the day the department
decided, the day of the last payment (or of the delivery of a non-money item), the working days from opening to
that day (the platform's calendar: holidays and make-up days), the promised working days, whether it was on time,
visits, 补正 requests, the decision, where it ended or stands, whether the enterprise confirmed receipt, the amount
approved and the amount paid (万元). Every figure of `flask policy stats` can be recomputed from this file. Text
cells are formula-safe, headers in Chinese.
"""
from __future__ import annotations

import sys
from datetime import date

import click
from flask_babel import gettext as _

from app.platform.exports import csv_bytes
from app.policy.labels import mode_label
from app.policy_window.labels import decision_label, origin_label, stage_label
from app.policy_window.stats import CaseRow, case_rows


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from error


def _yes(value: bool | None) -> str | None:
    return None if value is None else (_("yes") if value else _("no"))


def header() -> list[str]:
    return [_("Tracking number"), _("Item code"), _("Department code"), _("Window"), _("Delivery mode"), _("Origin"),
            _("Application date"), _("Decided"), _("Paid or delivered"), _("Working days to payment"),
            _("Promised working days"), _("On time"), _("Visits"), _("Requests for missing materials"),
            _("Decision"), _("Result"), _("Receipt confirmed"), _("Amount approved (10k yuan)"),
            _("Amount paid (10k yuan)")]


def _money(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def row(case: CaseRow) -> list:
    day = lambda value: value.isoformat() if value else None  # noqa: E731
    return [case.tracking_number, case.item_code, case.department_code, case.window_name, mode_label(case.mode),
            origin_label(case.origin), day(case.opened_on), day(case.decided_on), day(case.finished_on),
            case.working_days, case.promised_days, _yes(case.on_time), case.visits, case.supplement_requests,
            decision_label(case.decision) if case.decision else None, stage_label(case.stage), _yes(case.delivered),
            _money(case.approved_amount), _money(case.paid_amount)]


def rows(start: date, end: date, as_of: date | None = None) -> list[list]:
    """The header and one row per application opened between ``start`` and ``end`` (local days, inclusive), in the
    order they were opened."""
    found = sorted(case_rows(start, end, as_of=as_of), key=lambda case: (case.opened_on, case.tracking_number))
    return [header(), *(row(case) for case in found)]


@click.command("cases")
@click.option("--from", "start", required=True, help="First day (YYYY-MM-DD, local) the applications were opened.")
@click.option("--to", "end", required=True, help="Last day (YYYY-MM-DD, local), included.")
@click.option("--as-of", "as_of", default=None, help="The day an unfinished case is judged late against (default: today).")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True,
              help="csv: one row per application on standard output (UTF-8 with a BOM).")
def cases_command(start: str, end: str, as_of: str | None, fmt: str) -> None:
    """Every application opened in the period: item, department, window, dates, working days, visits, amounts."""
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise click.BadParameter("the period ends before it starts", param_hint="--to")
    sys.stdout.buffer.write(csv_bytes(rows(first, last, _day(as_of, "--as-of") if as_of else None)))
    sys.stdout.flush()
