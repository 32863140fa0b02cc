"""The complaints of a period in figures: the analysis (统一分析), its CSV export, and the deductions for the assessment.

Per department, the assignments are cases of casework: their on-time figures come from ``app.casework.figures``,
the same as the follow-ups of dissatisfied real-time ratings.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _, pgettext
from sqlalchemy import func, select

from app.casework.figures import CaseFigures, FiguresByDepartment
from app.casework.labels import satisfaction_label, status_label
from app.complaints.labels import category_label
from app.casework.models import AssignmentStatus, CaseAssignment, CaseEvent, Satisfaction
from app.complaints.models import Complaint
from app.extensions import db
from app.platform import small_groups
from app.platform.calendar import local_date, local_today, period_bounds
from app.platform.exports import csv_bytes

# --------------------------------------------------------------------------- deductions for the assessment


@dataclass(frozen=True)
class Deduction:
    """A department's substantiated complaints closed in a period and the points they cost (capped)."""

    department_id: int
    substantiated: int
    points: float


def deductions(start: date, end: date, points_each: float | None = None, cap: float | None = None) -> dict[int, Deduction]:
    """Per department, complaints first found substantiated against it on the local dates ``start``…``end``.

    A finding is made when a complaint is closed (a ``substantiated`` event per department). Each
    complaint costs ``points_each`` (COMPLAINT_DEDUCTION_POINTS), at most ``cap``
    (COMPLAINT_DEDUCTION_CAP) per department; it counts once per department, in the month of its
    first finding, whether or not it was reopened since: never twice, never zero times.
    """
    config = current_app.config
    each = config["COMPLAINT_DEDUCTION_POINTS"] if points_each is None else points_each
    limit = config["COMPLAINT_DEDUCTION_CAP"] if cap is None else cap
    lo, hi = period_bounds(start, end)
    first_finding = (select(CaseEvent.case_id, CaseEvent.department_id,
                            func.min(CaseEvent.at).label("at"))
                     .where(CaseEvent.kind == "substantiated")
                     .group_by(CaseEvent.case_id, CaseEvent.department_id).subquery())
    rows = db.session.execute(
        select(first_finding.c.department_id, func.count())
        .where(first_finding.c.at >= lo, first_finding.c.at < hi)
        .group_by(first_finding.c.department_id)).all()
    return {d: Deduction(d, n, round(min(n * each, limit), 4)) for d, n in rows}


# --------------------------------------------------------------------------- analysis (统一分析)

@dataclass
class DepartmentFigures(CaseFigures):
    """A department's complaints of the period: its assignments as cases, and the complaints concerning it."""

    complaints: int = 0
    substantiated: int = 0

    @property
    def assignments(self) -> int:
        """Assignments handed to the department (withdrawn ones left out)."""
        return self.total

    @property
    def replied_on_time(self) -> int:
        """Assignments replied to by their deadline."""
        return self.on_time

    @property
    def replied_late(self) -> int:
        """Assignments replied to after their deadline."""
        return self.late


@dataclass
class Analysis:
    """Counts of a period's complaints, by kind, status, district, month, satisfaction and department."""

    total: int = 0
    by_category: Counter = field(default_factory=Counter)
    by_status: Counter = field(default_factory=Counter)
    by_district: Counter = field(default_factory=Counter)
    by_month: Counter = field(default_factory=Counter)
    by_satisfaction: Counter = field(default_factory=Counter)
    by_department: FiguresByDepartment[DepartmentFigures] = field(
        default_factory=lambda: FiguresByDepartment(DepartmentFigures))
    repeats: int = 0
    anonymous: int = 0
    reopened: int = 0

    @property
    def on_time(self) -> DepartmentFigures:
        """Every department's assignments together."""
        return self.by_department.city

    @property
    def satisfaction_rate(self) -> float | None:
        """Satisfied or basically satisfied, among complainants who gave a verdict."""
        answered = sum(n for s, n in self.by_satisfaction.items() if s != Satisfaction.unreachable.value)
        good = self.by_satisfaction[Satisfaction.satisfied.value] + self.by_satisfaction[Satisfaction.basically.value]
        return good / answered if answered else None


def _live(complaint: Complaint) -> list:
    """The complaint's assignments that were not withdrawn, of every cycle."""
    return [a for a in complaint.assignments if a.status != AssignmentStatus.withdrawn]


def analyse(start: date, end: date) -> Analysis:
    """Counts of the complaints filed on the local dates ``start``…``end``, with on-time and satisfaction rates."""
    lo, hi = period_bounds(start, end)
    today = local_today()
    result = Analysis()
    complaints = db.session.scalars(select(Complaint).where(Complaint.submitted_at >= lo, Complaint.submitted_at < hi))
    for complaint in complaints:
        result.total += 1
        result.by_category[complaint.category.value] += 1
        result.by_status[complaint.status.value] += 1
        result.by_district[complaint.district or ""] += 1
        result.by_month[local_date(complaint.submitted_at).strftime("%Y-%m")] += 1
        if complaint.satisfaction is not None:
            result.by_satisfaction[complaint.satisfaction.value] += 1
        result.repeats += complaint.repeat_of_id is not None
        result.anonymous += complaint.anonymous
        result.reopened += complaint.reopen_count > 0
        live = _live(complaint)
        concerned = {d.id for d in complaint.departments}
        concerned |= {a.department_id for a in live}
        for department_id in concerned:
            result.by_department[department_id].complaints += 1
        for department_id in {a.department_id for a in live if a.substantiated}:
            result.by_department[department_id].substantiated += 1
        for assignment in live:
            result.by_department.count(assignment, today)
    return result


@dataclass(frozen=True)
class DepartmentSatisfaction:
    """How the complainants judged a department's complaints closed in a period, as its liaison may read it.

    ``verdicts`` counts the complainants who gave one (an unreachable complainant gives none); under the small-group
    rule (``small_groups``, k) the rate is withheld (None, ``withheld``) when fewer than k gave a verdict: the
    department knows each complaint it answered, so a rate of a few would tell it what each complainant said.
    """

    verdicts: int  # 0 when withheld
    satisfied: int | None
    withheld: bool

    @property
    def rate(self) -> float | None:
        return None if self.withheld or not self.verdicts else self.satisfied / self.verdicts


def department_satisfaction(department_id: int, start: date, end: date, k: int) -> DepartmentSatisfaction:
    """Satisfaction with the complaints assigned to ``department_id`` (not withdrawn) and closed on the local dates
    ``start``…``end``, with fewer than ``k`` verdicts withheld."""
    lo, hi = period_bounds(start, end)
    assigned = select(CaseAssignment.case_id).where(
        CaseAssignment.department_id == department_id, CaseAssignment.status != AssignmentStatus.withdrawn)
    verdicts = list(db.session.scalars(select(Complaint.satisfaction).where(
        Complaint.closed_at >= lo, Complaint.closed_at < hi, Complaint.id.in_(assigned),
        Complaint.satisfaction.is_not(None), Complaint.satisfaction != Satisfaction.unreachable)))
    if not small_groups.enough(len(verdicts), k):
        return DepartmentSatisfaction(0, None, True)  # not even how many: only that they are fewer than k
    good = sum(v in (Satisfaction.satisfied, Satisfaction.basically) for v in verdicts)
    return DepartmentSatisfaction(len(verdicts), good, False)


def export_header() -> list[str]:
    """The CSV's column names, in the reader's language."""
    return [pgettext("complaints export", "Tracking number"), pgettext("complaints export", "Filed on"),
            pgettext("complaints export", "Category"), pgettext("complaints export", "Status"),
            pgettext("complaints export", "District"), pgettext("complaints export", "Departments named"),
            pgettext("complaints export", "Assigned to"), pgettext("complaints export", "Due"),
            pgettext("complaints export", "Answered on time"), pgettext("complaints export", "Satisfaction"),
            pgettext("complaints export", "Substantiated against"), pgettext("complaints export", "Repeat of"),
            pgettext("complaints export", "Times reopened")]


def export_csv(start: date, end: date) -> bytes:
    """The period's complaints as CSV (UTF-8 with BOM, formula-safe), without the complainants' identity."""
    lo, hi = period_bounds(start, end)
    rows = [export_header()]
    query = (select(Complaint).where(Complaint.submitted_at >= lo, Complaint.submitted_at < hi)
             .order_by(Complaint.submitted_at))
    for c in db.session.scalars(query):
        live = _live(c)
        rows.append([
            c.tracking_number, local_date(c.submitted_at).isoformat(), category_label(c.category),
            status_label(c.status), c.district, "、".join(d.name for d in c.departments),
            "、".join(a.department.name for a in live), "、".join(sorted({a.due_on.isoformat() for a in live})),
            "、".join(_("yes") if a.on_time else _("no") for a in live if a.on_time is not None),
            satisfaction_label(c.satisfaction) if c.satisfaction else "",
            "、".join(a.department.name for a in live if a.substantiated),
            c.repeat_of.tracking_number if c.repeat_of else "", c.reopen_count])
    return csv_bytes(rows)
