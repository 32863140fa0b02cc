"""兑现回访: what a delivery check draws from, and the window's follow-up list.

The population: every policy application (a case of kind ``policy``) **paid or delivered in the period** — stage
``paid`` (paid, awaiting the enterprise's confirmation) or ``delivered`` (confirmed), by its ``paid_at`` in local
dates — under its lead department, as the resolution check places a case. Every such case is one the department
reports as delivered, so a department has one stratum, ``<department code>|delivered``.

The call-back check sits below the policy window in the layer contract (the window uses the check, not the other
way round), so the application's class is found through the engine's map of kinds (``Case``'s polymorphic map,
as ``draw.closed_cases`` loads every kind's subclass) instead of being imported: its columns ``stage``,
``paid_at``, ``version`` and ``window`` are read by name, and the tests pin them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.callbacks.models import CallbackCall, CallbackCheck
from app.casework import kinds
from app.casework.models import Case, CaseAssignment, CaseKind
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import period_bounds
from werkzeug.routing import BuildError

REPORTED_DELIVERED = ("paid", "delivered")  # the stages of an application its department reports as delivered


def application_class() -> type[Case] | None:
    """The mapped class of policy applications, or None when the window's models are not loaded."""
    mapper = Case.__mapper__.polymorphic_map.get(CaseKind.policy)
    return mapper.class_ if mapper is not None else None


def paid_cases(start: date, end: date) -> list[tuple[Case, Department]]:
    """The applications paid or delivered in the period, each with its lead department, by tracking number."""
    application = application_class()
    if application is None:
        return []
    since, until = period_bounds(start, end)
    cases = db.session.scalars(
        select(application).options(selectinload(application.assignments).joinedload(CaseAssignment.department))
        .where(application.stage.in_(REPORTED_DELIVERED), application.paid_at >= since,
               application.paid_at < until)
        .order_by(application.tracking_number)).all()
    return [(case, case.lead_assignment.department) for case in cases if case.lead_assignment is not None]


@dataclass(frozen=True)
class FollowUp:
    """A case whose enterprise said it had not received it (or only partly) and asked to be contacted."""

    tracking_number: str
    item: str  # the item's code and name
    window: str
    department: Department
    link: str | None  # the window's page of the case, when the kind names one


def follow_ups(check: CallbackCheck) -> list[FollowUp]:
    """The follow-up list: the drawn cases whose enterprise asked to be contacted — and nothing of their answers."""
    application = application_class()
    if application is None:
        return []
    rows = db.session.execute(
        select(application, Department).join(CallbackCall, CallbackCall.case_id == application.id)
        .join(Department, Department.id == CallbackCall.department_id)
        .where(CallbackCall.check_id == check.id, CallbackCall.follow_up_requested.is_(True))
        .order_by(Department.code, application.tracking_number)).all()
    found = []
    for case, department in rows:
        version = case.version
        found.append(FollowUp(case.tracking_number, f"{version.item.code} {version.name}", case.window.name,
                              department, _link(case)))
    return found


def _link(case: Case) -> str | None:
    """The organisers' page of the case (the window's), if the kind is registered, its pages are served and there is
    a request to build the address from (an export has no use for it)."""
    if not has_request_context():
        return None
    try:
        return url_for(kinds.of(case).organiser_endpoint, number=case.tracking_number)
    except (KeyError, BuildError):
        return None
