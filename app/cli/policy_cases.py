"""`flask policy cases --from … --to … --format csv`: one row per application opened in the period (drafts aside).

A row: tracking number, item code, the responsible department's code, window, delivery mode, origin, the local day
it was opened, the day the window reviewed the department's decision, the day of the last payment (or of the
delivery of a non-money item), the working days from opening to that day (the platform's calendar: holidays and
make-up days), visits, 补正 requests, where it ended or stands, the amount approved and the amount paid (万元).
The statistics of the window can be recomputed from this file. Text cells are formula-safe, headers in Chinese.
"""
from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

import click
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.platform.calendar import local_date, period_bounds, workdays_between
from app.platform.exports import csv_bytes
from app.policy.labels import mode_label
from app.policy_window.labels import origin_label, stage_label
from app.policy_window.models import PolicyCase, Stage

CENT = Decimal("0.01")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from error


def paid_on(case: PolicyCase) -> date | None:
    """The day of the last payment, or of the delivery of a non-money item (None while neither happened)."""
    if case.payments:
        return max(p.paid_on for p in case.payments)
    return local_date(case.paid_at) if case.paid_at else None


def header() -> list[str]:
    return [_("Tracking number"), _("Item code"), _("Department code"), _("Window"), _("Delivery mode"), _("Origin"),
            _("Application date"), _("Decision reviewed"), _("Paid or delivered"), _("Working days to payment"),
            _("Visits"), _("Requests for missing materials"), _("Result"), _("Amount approved (10k yuan)"),
            _("Amount paid (10k yuan)")]


def row(case: PolicyCase) -> list:
    version = case.version
    opened, paid = local_date(case.submitted_at), paid_on(case)
    approved = case.approved_amount.quantize(CENT) if case.approved_amount is not None else None
    return [case.tracking_number, version.item.code, version.department.code, case.window.name,
            mode_label(version.mode), origin_label(case.origin), opened.isoformat(),
            local_date(case.reviewed_at).isoformat() if case.reviewed_at else None,
            paid.isoformat() if paid else None, workdays_between(opened, paid) if paid else None,
            case.visits, case.supplement_requests, stage_label(case.stage), approved,
            case.paid_total.quantize(CENT)]


def rows(start: date, end: date) -> list[list]:
    """The header and one row per application opened between ``start`` and ``end`` (local days, inclusive); an
    online application still being filled in is not opened yet (the statistics leave it out too)."""
    since, until = period_bounds(start, end)
    found = db.session.scalars(select(PolicyCase).where(PolicyCase.submitted_at >= since,
                                                        PolicyCase.submitted_at < until,
                                                        PolicyCase.stage != Stage.draft)
                               .options(selectinload(PolicyCase.payments))
                               .order_by(PolicyCase.submitted_at, PolicyCase.id))
    return [header(), *(row(case) for case in found)]


@click.command("cases")
@click.option("--from", "start", required=True, help="First day (YYYY-MM-DD, local) the applications were opened.")
@click.option("--to", "end", required=True, help="Last day (YYYY-MM-DD, local), included.")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True,
              help="csv: one row per application on standard output (UTF-8 with a BOM).")
def cases_command(start: str, end: str, fmt: str) -> None:
    """Every application opened in the period: item, department, window, dates, working days, visits, amounts."""
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise click.BadParameter("the period ends before it starts", param_hint="--to")
    sys.stdout.buffer.write(csv_bytes(rows(first, last)))
    sys.stdout.flush()
