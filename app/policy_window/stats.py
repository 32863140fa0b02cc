"""The policy window's statistics, per item, per department and per window, for a period (issue 18, item 7).

Every figure is defined in docs/CASEWORK.md, "惠企政策兑现 statistics"; in short:

- The **cases of a period** are the applications (and 免申即享 offers) whose ``submitted_at`` falls on a local day
  of the period, both ends included, less the online drafts never handed in. Every case figure counts these
  cases, whatever happened to them since: a period's figures grow until its cases are finished.
- **Pushes**: policy notices sent (``PolicyNotice.sent_at``) in the period; not per window (a push has none).
  **Consultations**: asked (``Consultation.asked_at``) in the period.
- **Approvals**: cases approved or partly approved and past the window's review (stage approved, paid or
  delivered); **rejections**: stage rejected.
- **Finished on**: the day of the last payment (``PolicyPayment.paid_on``), or for a non-money item the local day
  its delivery was recorded (``paid_at``). **Working days** = working days of the city's calendar after the day of
  application up to and including the finishing day (``app.platform.calendar.workdays_between``).
- **Median / 90th percentile** of the working days of the finished cases: nearest rank (``numpy.percentile``
  with ``method="inverted_cdf"``: the smallest value with at least p% of the values at or below it).
- **On time**: finished within the item version's ``promised_days`` working days. The **on-time rate** judges the
  finished cases and the cases still unfinished when their promise has run out (due day before ``as_of``):
  on time / judged. Rejected, withdrawn and declined cases are not judged (nothing was to be delivered).
- **Delivered**: paid and confirmed by the enterprise (stage delivered); the **delivered rate** is delivered /
  approvals. **One visit**: delivered cases with ``visits`` ≤ 1, as a share of the delivered cases.
- **补正 per case**: the mean of ``supplement_requests`` over the cases.
- **Budget used** (per item, not from the case rows): every payment on the item's cases up to the period's end
  against the budget of the item's current version.

``case_rows`` gives one plain row per case (the ``flask policy cases`` export reuses it) and ``summarise`` computes
a group's figures from rows only, so anybody can recompute the statistics from the cases file.
"""
from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

import numpy
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import add_workdays, local_date, local_today, period_bounds, workdays_between
from app.policy.models import PolicyItem, PolicyItemVersion, PolicyNotice, PolicyWindow
from app.policy_window.models import Consultation, PolicyCase, PolicyPayment, Stage

PERCENTILE_METHOD = "inverted_cdf"  # nearest rank
APPROVED_STAGES = frozenset({Stage.approved, Stage.paid, Stage.delivered})
NOT_JUDGED_STAGES = frozenset({Stage.rejected, Stage.withdrawn, Stage.declined})


@dataclass(frozen=True)
class CaseRow:
    """One case as the statistics read it: plain values, local dates, amounts in 万元."""

    case_id: int
    tracking_number: str
    item_id: int
    item_code: str
    department_id: int
    department_code: str
    window_id: int
    window_name: str
    mode: str
    origin: str
    stage: str
    decision: str | None
    opened_on: date
    decided_on: date | None
    finished_on: date | None  # the last payment's day, or the recorded delivery's
    promised_days: int
    due_on: date  # ``promised_days`` working days after ``opened_on``
    working_days: int | None  # from opened_on to finished_on
    on_time: bool | None  # finished within the promise; False when unfinished past due; None: not judged yet
    approved: bool
    rejected: bool
    delivered: bool
    visits: int
    supplement_requests: int
    approved_amount: float | None
    paid_amount: float

    def plain(self) -> dict:
        """The row with ISO dates (for JSON and CSV)."""
        return {key: value.isoformat() if isinstance(value, date) else value for key, value in asdict(self).items()}


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _row(case: PolicyCase, as_of: date) -> CaseRow:
    version = case.version
    opened = local_date(case.submitted_at)
    due = add_workdays(opened, version.promised_days)
    if case.payments:
        finished = max(p.paid_on for p in case.payments)
    else:
        finished = local_date(case.paid_at) if case.paid_at is not None else None
    days = workdays_between(opened, finished) if finished is not None else None
    stage = Stage(case.stage)
    if finished is not None:
        on_time = days <= version.promised_days
    elif stage not in NOT_JUDGED_STAGES and due < as_of:
        on_time = False
    else:
        on_time = None
    return CaseRow(
        case_id=case.id, tracking_number=case.tracking_number, item_id=version.item_id, item_code=version.item.code,
        department_id=version.department_id, department_code=version.department.code, window_id=case.window_id,
        window_name=case.window.name, mode=version.mode.value, origin=case.origin.value, stage=stage.value,
        decision=case.decision.value if case.decision is not None else None, opened_on=opened,
        decided_on=local_date(case.decided_at) if case.decided_at is not None else None, finished_on=finished,
        promised_days=version.promised_days, due_on=due, working_days=days, on_time=on_time,
        approved=stage in APPROVED_STAGES, rejected=stage == Stage.rejected, delivered=stage == Stage.delivered,
        visits=case.visits or 0, supplement_requests=case.supplement_requests or 0,
        approved_amount=_amount(case.approved_amount), paid_amount=float(case.paid_total))


def case_rows(start: date, end: date, *, window_id: int | None = None, department_id: int | None = None,
              item_id: int | None = None, as_of: date | None = None) -> list[CaseRow]:
    """The period's cases (see the module's docstring), one row each, in order of tracking number. ``as_of``
    (default: today) is the day an unfinished case is judged late against (``on_time``)."""
    low, high = period_bounds(start, end)
    query = (select(PolicyCase).join(PolicyItemVersion, PolicyCase.item_version_id == PolicyItemVersion.id)
             .where(PolicyCase.submitted_at >= low, PolicyCase.submitted_at < high, PolicyCase.stage != Stage.draft)
             .options(selectinload(PolicyCase.payments), selectinload(PolicyCase.version))
             .order_by(PolicyCase.tracking_number))
    if window_id is not None:
        query = query.where(PolicyCase.window_id == window_id)
    if department_id is not None:
        query = query.where(PolicyItemVersion.department_id == department_id)
    if item_id is not None:
        query = query.where(PolicyItemVersion.item_id == item_id)
    today = as_of or local_today()
    return [_row(case, today) for case in db.session.scalars(query)]


def rows_digest(rows: Iterable[CaseRow]) -> str:
    """SHA-256 over the case rows used (one canonical line per row, in order): any changed case changes it."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(("|".join("" if v is None else str(v) for v in row.plain().values()) + "\n").encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- the figures of a group of cases

@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def percentile(values: list[int], p: float) -> float | None:
    """The nearest-rank p-th percentile (None for no values)."""
    if not values:
        return None
    return float(numpy.percentile(values, p, method=PERCENTILE_METHOD))


@dataclass
class Group:
    """The figures of one row of a table (an item, a department, a window, or everything)."""

    key: int | None
    label: str
    pushes: int | None = None
    consultations: int = 0
    applications: int = 0
    approvals: int = 0
    rejections: int = 0
    approved_amount: float = 0.0
    paid_amount: float = 0.0
    finished: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    promised_days: list[int] = field(default_factory=list)  # the promises of the group's cases (distinct, sorted)
    on_time: Rate = Rate(0, 0)
    delivered: Rate = Rate(0, 0)
    supplements_per_case: float | None = None
    one_visit: Rate = Rate(0, 0)
    budget: float | None = None
    budget_used: float | None = None

    @property
    def budget_share(self) -> float | None:
        return self.budget_used / self.budget if self.budget and self.budget_used is not None else None

    def plain(self) -> dict:
        out = {key: value for key, value in asdict(self).items() if not isinstance(value, dict)}
        for name in ("on_time", "delivered", "one_visit"):
            rate = getattr(self, name)
            out[name] = {"numerator": rate.numerator, "denominator": rate.denominator,
                         "rate": None if rate.value is None else round(rate.value, 4)}
        out["budget_share"] = None if self.budget_share is None else round(self.budget_share, 4)
        return out


def summarise(rows: list[CaseRow], key: int | None = None, label: str = "") -> Group:
    """A group's case figures from its rows alone (pushes, consultations and the budget are added by ``figures``)."""
    days = sorted(r.working_days for r in rows if r.working_days is not None)
    delivered = [r for r in rows if r.delivered]
    approved = [r for r in rows if r.approved]
    judged = [r for r in rows if r.on_time is not None]
    return Group(
        key=key, label=label, applications=len(rows), approvals=len(approved),
        rejections=sum(1 for r in rows if r.rejected),
        approved_amount=round(sum(r.approved_amount or 0.0 for r in approved), 2),
        paid_amount=round(sum(r.paid_amount for r in rows), 2), finished=len(days),
        median_days=percentile(days, 50), p90_days=percentile(days, 90),
        promised_days=sorted({r.promised_days for r in rows}),
        on_time=Rate(sum(1 for r in judged if r.on_time), len(judged)),
        delivered=Rate(len(delivered), len(approved)),
        supplements_per_case=round(sum(r.supplement_requests for r in rows) / len(rows), 4) if rows else None,
        one_visit=Rate(sum(1 for r in delivered if r.visits <= 1), len(delivered)))


def _grouped(rows: list[CaseRow], key: Callable[[CaseRow], int], keys: Iterable[int],
             labels: dict[int, str]) -> dict[int, Group]:
    members: dict[int, list[CaseRow]] = defaultdict(list)
    for row in rows:
        members[key(row)].append(row)
    return {k: summarise(members.get(k, []), k, labels.get(k, "")) for k in keys}


@dataclass
class Figures:
    """The period's statistics: a table per item, per department and per window, the whole, and the digest of
    the case rows they come from."""

    start: date
    end: date
    as_of: date
    window_id: int | None
    items: list[Group]
    departments: list[Group]
    windows: list[Group]
    total: Group
    digest: str
    cases: int

    def plain(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "as_of": self.as_of.isoformat(),
                "window_id": self.window_id, "cases": self.cases, "digest": self.digest,
                "percentile_method": "nearest rank (numpy inverted_cdf)",
                "by_item": [g.plain() for g in self.items], "by_department": [g.plain() for g in self.departments],
                "by_window": [g.plain() for g in self.windows], "total": self.total.plain()}


def _item_labels() -> dict[int, str]:
    """An item's code and the name of its current version: ``ZC-2026-012-01 研发投入奖补``."""
    return {i.id: f"{i.code} {i.current.name}" if i.current is not None else i.code
            for i in db.session.scalars(select(PolicyItem))}


def _budget(item_ids: Iterable[int], end: date) -> dict[int, tuple[float | None, float]]:
    """Per item: its current version's budget and every payment on its cases up to ``end``."""
    budgets = {}
    items = {i.id: i for i in db.session.scalars(select(PolicyItem).where(PolicyItem.id.in_(list(item_ids))))}
    paid = dict(db.session.execute(
        select(PolicyItemVersion.item_id, func.sum(PolicyPayment.amount)).select_from(PolicyPayment)
        .join(PolicyCase, PolicyPayment.case_id == PolicyCase.id)
        .join(PolicyItemVersion, PolicyCase.item_version_id == PolicyItemVersion.id)
        .where(PolicyPayment.paid_on <= end, PolicyItemVersion.item_id.in_(list(items)))
        .group_by(PolicyItemVersion.item_id)).all())
    for item_id, item in items.items():
        budget = item.current.budget if item.current is not None else None
        budgets[item_id] = (_amount(budget), round(float(paid.get(item_id) or 0), 2))
    return budgets


def figures(start: date, end: date, *, window_id: int | None = None, department_id: int | None = None,
            item_id: int | None = None, as_of: date | None = None) -> Figures:
    """The period's statistics (see the module's docstring), for one window, department or item if given."""
    as_of = as_of or local_today()
    rows = case_rows(start, end, window_id=window_id, department_id=department_id, item_id=item_id, as_of=as_of)
    low, high = period_bounds(start, end)

    # Consultations: per item (the item's current department), per window.
    consult_query = (select(Consultation.item_id, Consultation.window_id, func.count())
                     .where(Consultation.asked_at >= low, Consultation.asked_at < high)
                     .group_by(Consultation.item_id, Consultation.window_id))
    if window_id is not None:
        consult_query = consult_query.where(Consultation.window_id == window_id)
    if item_id is not None:
        consult_query = consult_query.where(Consultation.item_id == item_id)
    item_department = dict(db.session.execute(
        select(PolicyItem.id, PolicyItemVersion.department_id).select_from(PolicyItem)
        .join(PolicyItemVersion, PolicyItem.current_version_id == PolicyItemVersion.id)).all())
    consultations = [(i, w, n) for i, w, n in db.session.execute(consult_query)
                     if department_id is None or item_department.get(i) == department_id]

    # Pushes: notices sent, per item and department (none per window: a push belongs to no window).
    pushes: dict[tuple[int, int], int] = {}
    if window_id is None:
        push_query = (select(PolicyItemVersion.item_id, PolicyItemVersion.department_id, func.count())
                      .select_from(PolicyNotice).join(PolicyItemVersion, PolicyNotice.item_version_id == PolicyItemVersion.id)
                      .where(PolicyNotice.sent_at >= low, PolicyNotice.sent_at < high)
                      .group_by(PolicyItemVersion.item_id, PolicyItemVersion.department_id))
        if department_id is not None:
            push_query = push_query.where(PolicyItemVersion.department_id == department_id)
        if item_id is not None:
            push_query = push_query.where(PolicyItemVersion.item_id == item_id)
        pushes = {(i, d): n for i, d, n in db.session.execute(push_query)}

    item_ids = sorted({r.item_id for r in rows} | {i for i, _w, _n in consultations if i is not None}
                      | {i for i, _d in pushes})
    department_ids = {r.department_id for r in rows} | {d for _i, d in pushes} | {
        item_department[i] for i, _w, _n in consultations if i in item_department}
    departments = [d for d in db.session.scalars(Department.ordered()) if d.id in department_ids]
    window_ids = {r.window_id for r in rows} | {w for _i, w, _n in consultations}
    windows = [w for w in db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order, PolicyWindow.id))
               if w.id in window_ids]

    item_labels = _item_labels()
    by_item = _grouped(rows, lambda r: r.item_id, item_ids, item_labels)
    by_department = _grouped(rows, lambda r: r.department_id, [d.id for d in departments],
                             {d.id: d.name for d in departments})
    by_window = _grouped(rows, lambda r: r.window_id, [w.id for w in windows], {w.id: w.name for w in windows})
    total = summarise(rows, None, "")

    for item, window, n in consultations:
        total.consultations += n
        if item in by_item:
            by_item[item].consultations += n
        if item_department.get(item) in by_department:
            by_department[item_department[item]].consultations += n
        if window in by_window:
            by_window[window].consultations += n
    if window_id is None:
        total.pushes = sum(pushes.values())
        for group in (*by_item.values(), *by_department.values()):
            group.pushes = 0
        for (item, department), n in pushes.items():
            by_item[item].pushes += n
            by_department[department].pushes += n
    for item, (budget, used) in _budget(item_ids, end).items():
        by_item[item].budget, by_item[item].budget_used = budget, used

    return Figures(start, end, as_of, window_id, list(by_item.values()), list(by_department.values()),
                   list(by_window.values()), total, rows_digest(rows), len(rows))


# --------------------------------------------------------------------------- the assessment's channel

@dataclass(frozen=True)
class ChannelRates:
    """A department's two rates for the assessment: on time (judged cases) and delivered (approved cases)."""

    department_id: int
    on_time: Rate
    delivered: Rate

    def rates(self) -> dict[str, Rate]:
        return {"on_time": self.on_time, "delivered": self.delivered}

    def composite(self) -> float | None:
        """The mean of the rates that have a denominator, × 100 (None when neither has)."""
        values = [rate.value for rate in self.rates().values() if rate.value is not None]
        return 100 * math.fsum(values) / len(values) if values else None


def channel_rates(start: date, end: date, as_of: date | None = None) -> dict[int, ChannelRates]:
    """Per department (responsible for the item): the on-time and delivered rates of the period's cases."""
    rows = case_rows(start, end, as_of=as_of)
    members: dict[int, list[CaseRow]] = defaultdict(list)
    for row in rows:
        members[row.department_id].append(row)
    out = {}
    for department_id, group in sorted(members.items()):
        figures_ = summarise(group, department_id)
        out[department_id] = ChannelRates(department_id, figures_.on_time, figures_.delivered)
    return out
