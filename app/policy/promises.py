"""Investment promises (招商引资承诺): what was promised to one enterprise, by which department, by when.

A promise is **promised** until it is delivered (on a day) or cancelled (with the reason, kept in its note). It is
**overdue** while promised and its due day has passed in the city's calendar; the list shows overdue ones first.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case, or_, select
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.departments.models import Department
from app.extensions import db
from app.policy.models import InvestmentPromise, PromiseStatus
from app.profiles.models import EnterpriseProfile
from eligibility.uscc import UsccError, normalise

MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
SEARCH_LIMIT = 20


class PromiseError(ValueError):
    """A user-facing reason why a promise cannot be recorded or changed."""


def find_profiles(text: str) -> list[EnterpriseProfile]:
    """Profiles whose USCC is ``text`` or whose name contains it (at most SEARCH_LIMIT, by name)."""
    text = text.strip()
    if not text:
        return []
    try:
        code = normalise(text)
    except UsccError:
        code = None
    conditions = [EnterpriseProfile.name.contains(text, autoescape=True)]
    if code:
        conditions.append(EnterpriseProfile.uscc == code)
    return list(db.session.scalars(select(EnterpriseProfile).where(or_(*conditions))
                                   .order_by(EnterpriseProfile.name).limit(SEARCH_LIMIT)))


def is_overdue(promise: InvestmentPromise, today: date) -> bool:
    return promise.status == PromiseStatus.promised and promise.due_on < today


def promises_query(today: date, *, overdue_only: bool = False, status: str = ""):
    """Overdue promises first (the longest overdue on top), then the promised by due day, then the settled."""
    overdue = (InvestmentPromise.status == PromiseStatus.promised) & (InvestmentPromise.due_on < today)
    query = select(InvestmentPromise)
    if overdue_only:
        query = query.where(overdue)
    elif status:
        query = query.where(InvestmentPromise.status == PromiseStatus(status))
    rank = case((overdue, 0), (InvestmentPromise.status == PromiseStatus.promised, 1), else_=2)
    return query.order_by(rank, InvestmentPromise.due_on, InvestmentPromise.id).options(
        joinedload(InvestmentPromise.profile), joinedload(InvestmentPromise.department))  # the list's columns


def create(profile: EnterpriseProfile, *, title: str, amount: Decimal | None, due_on: date, department_id: int,
           note: str = "", actor=None) -> InvestmentPromise:
    title = title.strip()
    if not title:
        raise PromiseError(_("Say what was promised."))
    if amount is not None and not (0 <= amount <= MAX_AMOUNT):
        raise PromiseError(_("The amount is between 0 and %(limit)s.", limit=MAX_AMOUNT))
    if db.session.get(Department, department_id) is None:
        raise PromiseError(_("Choose the responsible department."))
    promise = InvestmentPromise(profile=profile, title=title, amount=amount, due_on=due_on,
                                department_id=department_id, note=note.strip(), status=PromiseStatus.promised,
                                created_by_id=actor.id if actor is not None else None)
    db.session.add(promise)
    db.session.flush()
    audit.record("policy.promise.create", f"investment_promise:{promise.id}",
                 {"due_on": due_on.isoformat(), "department": promise.department.code}, actor=actor)
    return promise


def deliver(promise: InvestmentPromise, delivered_on: date, *, actor=None) -> None:
    if promise.status != PromiseStatus.promised:
        raise PromiseError(_("The promise is already delivered or cancelled."))
    promise.status, promise.delivered_on = PromiseStatus.delivered, delivered_on
    audit.record("policy.promise.deliver", f"investment_promise:{promise.id}",
                 {"delivered_on": delivered_on.isoformat(), "on_time": delivered_on <= promise.due_on}, actor=actor)


def cancel(promise: InvestmentPromise, reason: str, *, actor=None) -> None:
    reason = reason.strip()
    if not reason:
        raise PromiseError(_("Give the reason for cancelling the promise."))
    if promise.status != PromiseStatus.promised:
        raise PromiseError(_("The promise is already delivered or cancelled."))
    promise.status = PromiseStatus.cancelled
    promise.note = (f"{promise.note}\n" if promise.note else "") + reason
    promise.note = promise.note[-500:]
    audit.record("policy.promise.cancel", f"investment_promise:{promise.id}", {"reason": reason[:500]}, actor=actor)
