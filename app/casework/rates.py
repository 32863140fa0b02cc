"""The 三率 of casework, per department and for the city, for any period and any kind of case (docs/CASEWORK.md).

- **响应率** (response rate), per assignment: acknowledged (签收) within ``CASEWORK_ACKNOWLEDGE_WORKDAYS`` working
  days of the day it was assigned, among the assignments whose acknowledgement has been put to the test
  (acknowledged, on time or late, or not acknowledged after that day).
- **按期办结率** (on-time rate), per assignment: the department replied on its due date (``due_on``) or before,
  among the assignments replied or overdue — the on-time figures of ``figures``, as every kind of case has them.
- **解决率** (solved rate), per case: solved or partly solved among the valid closed cases — the closed cases less
  the duplicates and the redirected ones; cases closed with no recorded outcome (before migration 0018) are left
  out and counted on their own (``unrecorded``).
- **满意率** (satisfaction rate), per case: (满意 + w × 基本满意) / the verdicts given (满意, 基本满意, 不满意),
  w being ``CASEWORK_BASICALLY_SATISFIED_WEIGHT``; a raiser who could not be reached gave no verdict.

Which date puts an item in a period (local dates, both ends included): the day of the **assignment** for the
response and on-time rates, the day of the **closing** for the solved and satisfaction rates. A department's
closed cases are those it had an assignment of the closing cycle for (not withdrawn); the city counts each case
once. A reopened case leaves the period it was closed in and counts where it is closed again.

The computation (``compute``) is a pure function of plain rows (``Item``), one per assignment: ``items`` reads
them from the database, ``flask casework export`` prints them, and anyone can recompute the figures from them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import and_, or_, select

from app.casework.deadlines import due_date
from app.casework.figures import CaseFigures, Task, figures_by_department
from app.casework.models import (
    INVALID_OUTCOMES,
    SOLVED_OUTCOMES,
    AssignmentStatus,
    Case,
    CaseAssignment,
    CaseKind,
    CaseStatus,
    Satisfaction,
)
from app.extensions import db
from app.platform.calendar import local_date, period_bounds

SOLVED = frozenset(o.value for o in SOLVED_OUTCOMES)
INVALID = frozenset(o.value for o in INVALID_OUTCOMES)
RATE_NAMES = ("response", "on_time", "solved", "satisfaction")


@dataclass(frozen=True)
class Item:
    """One assignment of a case to a department as the 三率 read it: plain values, local dates.

    ``closed_on``, ``outcome`` and ``satisfaction`` are the case's when it was closed in this assignment's cycle
    (None otherwise: still open, or reopened since this assignment's cycle).
    """

    kind: str
    case_id: int
    reference: str  # the case's tracking number
    department_id: int
    assigned_on: date
    acknowledge_by: date  # the last day of a timely acknowledgement
    acknowledged_on: date | None
    due_on: date
    replied_on: date | None
    closed_on: date | None = None
    outcome: str | None = None
    satisfaction: str | None = None

    def acknowledgement(self) -> Task:
        """The acknowledgement as a deadline (for the response rate)."""
        return Task(self.department_id, self.acknowledge_by, self.acknowledged_on)

    def reply(self) -> Task:
        """The reply as a deadline (for the on-time rate)."""
        return Task(self.department_id, self.due_on, self.replied_on)


@dataclass(frozen=True)
class Rate:
    """A rate with its n: ``numerator`` out of ``denominator`` (None when the denominator is 0)."""

    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @classmethod
    def of(cls, figures: CaseFigures) -> "Rate":
        """Kept deadlines among the judged ones."""
        return cls(figures.on_time, figures.judged)


@dataclass
class Closings:
    """Cases closed in a period: how many, by outcome and by the raiser's verdict."""

    closed: int = 0
    solved: int = 0
    invalid: int = 0     # duplicates and redirected cases
    unrecorded: int = 0  # closed before outcomes were recorded (migration 0018)
    satisfied: int = 0
    basically: int = 0
    unsatisfied: int = 0
    unreachable: int = 0

    def add(self, item: Item) -> None:
        """Count the case ``item`` belongs to (once per case: the caller sees to it)."""
        self.closed += 1
        if item.outcome is None:
            self.unrecorded += 1
        elif item.outcome in INVALID:
            self.invalid += 1
        elif item.outcome in SOLVED:
            self.solved += 1
        if item.satisfaction in Satisfaction.__members__:
            setattr(self, item.satisfaction, getattr(self, item.satisfaction) + 1)

    @property
    def valid(self) -> int:
        """Closed cases that count for the solved rate."""
        return self.closed - self.invalid - self.unrecorded

    @property
    def verdicts(self) -> int:
        """Raisers who gave a verdict (an unreachable raiser gave none)."""
        return self.satisfied + self.basically + self.unsatisfied


@dataclass
class Rates:
    """The 三率 of a department (or of the city) for a period, each with its n."""

    responses: CaseFigures = field(default_factory=CaseFigures)
    replies: CaseFigures = field(default_factory=CaseFigures)
    closings: Closings = field(default_factory=Closings)
    basically_weight: float = 0.9

    @property
    def response(self) -> Rate:
        """响应率: acknowledged in time among the acknowledgements put to the test."""
        return Rate.of(self.responses)

    @property
    def on_time(self) -> Rate:
        """按期办结率: replied by the due date among the replies put to the test."""
        return Rate.of(self.replies)

    @property
    def solved(self) -> Rate:
        """解决率: solved or partly solved among the valid closed cases."""
        return Rate(self.closings.solved, self.closings.valid)

    @property
    def satisfaction(self) -> Rate:
        """满意率: (满意 + w × 基本满意) / verdicts."""
        c = self.closings
        return Rate(c.satisfied + self.basically_weight * c.basically, c.verdicts)

    def rates(self) -> dict[str, Rate]:
        """The four rates by name (``RATE_NAMES``)."""
        return {name: getattr(self, name) for name in RATE_NAMES}

    @property
    def empty(self) -> bool:
        """Nothing in the period: no assignment and no closing."""
        return not (self.responses.total or self.closings.closed)

    def composite(self) -> float | None:
        """The mean of the rates that have a denominator, × 100 (the assessment's casework channel); None if none."""
        values = [r.value for r in self.rates().values() if r.value is not None]
        return 100 * sum(values) / len(values) if values else None


@dataclass
class RatesTable:
    """The 三率 per department id and for the city."""

    departments: dict[int, Rates]
    city: Rates


def compute(items: Iterable[Item], start: date, end: date, today: date, basically_weight: float) -> RatesTable:
    """The 三率 of the local dates ``start``…``end`` from ``items`` (one per assignment), as they stand on ``today``.

    Pure: the rows alone decide. An item counts for the response and on-time rates when it was assigned in the
    period, and for the solved and satisfaction rates when its case was closed in the period.
    """
    items = list(items)
    assigned = [i for i in items if start <= i.assigned_on <= end]
    responses = figures_by_department((i.acknowledgement() for i in assigned), today)
    replies = figures_by_department((i.reply() for i in assigned), today)
    by_department: dict[int, Rates] = defaultdict(lambda: Rates(basically_weight=basically_weight))
    for department_id, figures in responses.items():
        by_department[department_id].responses = figures
        by_department[department_id].replies = replies[department_id]
    city = Rates(responses.city, replies.city, basically_weight=basically_weight)
    counted: set[tuple[int | None, int]] = set()
    for item in items:
        if item.closed_on is None or not start <= item.closed_on <= end:
            continue
        for key, rates in ((item.department_id, by_department[item.department_id]), (None, city)):
            if (key, item.case_id) not in counted:  # a case counts once per department and once for the city
                counted.add((key, item.case_id))
                rates.closings.add(item)
    return RatesTable(dict(by_department), city)


# --------------------------------------------------------------------------- the rows, from the database

def items(start: date, end: date, kind: CaseKind | str | None = None) -> list[Item]:
    """The assignments (not withdrawn) made on the local dates ``start``…``end``, and those of the closing cycle
    of the cases closed on those dates; of one kind of case or of all."""
    lo, hi = period_bounds(start, end)
    closing_cycle = CaseAssignment.cycle == Case.reopen_count + 1
    closed_in = and_(Case.status == CaseStatus.closed, Case.closed_at >= lo, Case.closed_at < hi, closing_cycle)
    query = (select(Case.kind, Case.id, Case.tracking_number, Case.status, Case.reopen_count, Case.closed_at,
                    Case.outcome, Case.satisfaction, CaseAssignment.department_id, CaseAssignment.cycle,
                    CaseAssignment.assigned_at, CaseAssignment.acknowledged_at, CaseAssignment.due_on,
                    CaseAssignment.replied_at)
             .join(Case, Case.id == CaseAssignment.case_id)
             .where(CaseAssignment.status != AssignmentStatus.withdrawn,
                    or_(and_(CaseAssignment.assigned_at >= lo, CaseAssignment.assigned_at < hi), closed_in))
             .order_by(Case.id, CaseAssignment.id))
    if kind:
        query = query.where(Case.kind == CaseKind(kind))
    workdays = acknowledge_workdays()
    result = []
    for row in db.session.execute(query):
        closed = row.status == CaseStatus.closed and row.closed_at is not None and row.cycle == row.reopen_count + 1
        assigned_on = local_date(row.assigned_at)
        result.append(Item(
            kind=row.kind.value, case_id=row.id, reference=row.tracking_number, department_id=row.department_id,
            assigned_on=assigned_on, acknowledge_by=due_date(assigned_on, workdays),
            acknowledged_on=local_date(row.acknowledged_at) if row.acknowledged_at else None, due_on=row.due_on,
            replied_on=local_date(row.replied_at) if row.replied_at else None,
            closed_on=local_date(row.closed_at) if closed else None,
            outcome=row.outcome.value if closed and row.outcome else None,
            satisfaction=row.satisfaction.value if closed and row.satisfaction else None))
    return result


def rates(start: date, end: date, today: date, kind: CaseKind | str | None = None) -> RatesTable:
    """The 三率 of the local dates ``start``…``end`` as they stand on ``today``, of one kind of case or of all."""
    return compute(items(start, end, kind), start, end, today, basically_weight())


# --------------------------------------------------------------------------- the figures and the rows as text

CITY = "city"  # the department column of the city's figures
STATS_HEADER = ["department", *(f"{name}{part}" for name in RATE_NAMES for part in ("_numerator", "_denominator", "")),
                "closed", "unrecorded", "unreachable"]
EXPORT_HEADER = ["kind", "reference", "department", "opened", "acknowledge_by", "acknowledged", "responded", "due",
                 "replied", "on_time", "closed", "outcome", "rating"]


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def stats_row(code: str, figures: Rates) -> dict:
    """One line of ``flask casework stats``: a department's code (``CITY`` for the city), each rate's n and value."""
    row: dict = {"department": code}
    for name, rate in figures.rates().items():
        row[f"{name}_numerator"] = _number(rate.numerator)
        row[f"{name}_denominator"] = rate.denominator
        row[name] = _number(rate.value)
    c = figures.closings
    row.update(closed=c.closed, unrecorded=c.unrecorded, unreachable=c.unreachable)
    return row


def stats_rows(table: RatesTable, codes: dict[int, str]) -> list[dict]:
    """The departments' lines in code order, then the city's (``codes``: department id → code)."""
    lines = sorted((stats_row(codes[d], f) for d, f in table.departments.items()), key=lambda r: r["department"])
    return [*lines, stats_row(CITY, table.city)]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _kept(task: Task, today: date) -> bool | None:
    """Whether a deadline was kept: yes, no (late, or still not done after it), or not judged yet (None)."""
    if task.answered:
        return task.on_time
    return False if task.overdue(today) else None


def export_row(item: Item, code: str, today: date) -> list[str]:
    """One line of ``flask casework export``: an assignment, without anything about the raiser."""
    day = lambda d: d.isoformat() if d else ""  # noqa: E731
    return [item.kind, item.reference, code, day(item.assigned_on), day(item.acknowledge_by),
            day(item.acknowledged_on), _yes_no(_kept(item.acknowledgement(), today)), day(item.due_on),
            day(item.replied_on), _yes_no(_kept(item.reply(), today)), day(item.closed_on), item.outcome or "",
            item.satisfaction or ""]


def basically_weight() -> float:
    """w in 满意率 = (满意 + w × 基本满意) / verdicts (``CASEWORK_BASICALLY_SATISFIED_WEIGHT``)."""
    return float(current_app.config["CASEWORK_BASICALLY_SATISFIED_WEIGHT"])


def acknowledge_workdays() -> int:
    """The working days a department has to acknowledge an assignment (``CASEWORK_ACKNOWLEDGE_WORKDAYS``)."""
    return int(current_app.config["CASEWORK_ACKNOWLEDGE_WORKDAYS"])
