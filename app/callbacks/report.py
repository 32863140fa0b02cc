"""What a check found, per department: claimed solved against confirmed solved, with 95% Wilson intervals.

Per department: the closed cases of the period (those without a phone counted apart), the share the department
closed as solved or partly solved (a fact of the frame, not an estimate), how many were called and answered,
and from the answers the share the raisers say was solved or partly solved — overall, and among the cases the
department claimed solved (the check proper) — each with its n and its Wilson interval (``scoring.wilson``).
A department with fewer closed cases than the check's minimum, or fewer answers, is too few to judge: no share
is shown for it; the share among claimed-solved cases is shown only when both it and the rest hold the minimum
(or the rest is empty), so that no subtraction isolates a handful of answers. Only released answers count
(``app.callbacks.calls.release``); the page says how many wait.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.callbacks.draw import SOLVED, department_of
from app.callbacks.models import (
    CONFIRMED_SOLVED,
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackSealedAnswer,
    Satisfied,
)
from app.departments.models import Department
from app.extensions import db
from app.platform.exports import Sheet, xlsx_bytes
from scoring import wilson


@dataclass(frozen=True)
class Share:
    """k of n, with its 95% Wilson interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)


@dataclass(frozen=True)
class DepartmentRow:
    department: Department
    closed: int               # closed cases with a valid outcome in the period
    without_phone: int        # of which the raiser left no phone: they could not be drawn
    claimed: Share | None     # claimed solved among the cases that could be called (the frame)
    sampled: int
    answered: int             # links used (answers sealed or released)
    too_few: str              # why the department cannot be judged, or ""
    confirmed: Share | None = None          # raisers say solved or partly solved, among all answers
    confirmed_of_claimed: Share | None = None  # the same among the cases the department claimed solved
    satisfied: Share | None = None          # satisfied or basically satisfied

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sampled if self.sampled else None


def rows(check: CallbackCheck) -> list[DepartmentRow]:
    """One row per department that closed a case in the period, in the departments' display order."""
    frame: dict[str, Counter] = {}
    for label, size in check.stratum_sizes.items():
        frame.setdefault(department_of(label), Counter())[label.rsplit("|", 1)[1]] += size
    without_phone = {int(k): v for k, v in check.without_phone.items()}
    calls = {d: (n, used) for d, n, used in db.session.execute(
        select(CallbackCall.department_id, func.count(), func.count().filter(CallbackCall.used.is_(True)))
        .where(CallbackCall.check_id == check.id).group_by(CallbackCall.department_id))}
    answers: dict[int, list[CallbackAnswer]] = {}
    for answer in db.session.scalars(select(CallbackAnswer).where(CallbackAnswer.check_id == check.id)):
        answers.setdefault(answer.department_id, []).append(answer)
    codes = set(frame)
    departments = db.session.scalars(Department.ordered().where(
        Department.code.in_(codes) | Department.id.in_(without_phone))).all()
    table = []
    for department in departments:
        sizes = frame.get(department.code, Counter())
        in_frame = sum(sizes.values())
        closed = in_frame + without_phone.get(department.id, 0)
        sampled, answered = calls.get(department.id, (0, 0))
        given = answers.get(department.id, [])
        claimed = Share(sizes[SOLVED], in_frame) if in_frame else None
        if in_frame < check.minimum:
            reason = _("Fewer closed cases that could be called (%(n)d) than the minimum (%(minimum)d).",
                       n=in_frame, minimum=check.minimum)
        elif len(given) < check.minimum:
            reason = _("Fewer answers (%(n)d) than the minimum (%(minimum)d).", n=len(given), minimum=check.minimum)
        else:
            reason = ""
        figures = {}
        if not reason:
            of_claimed = [a for a in given if a.claimed_solved]
            # The claimed part is shown only when it and the rest each hold the minimum (or the rest is empty):
            # otherwise the difference from the whole would give away the few answers of the rest.
            others = len(given) - len(of_claimed)
            shown = len(of_claimed) >= check.minimum and (others == 0 or others >= check.minimum)
            figures = {"confirmed": _confirmed(given),
                       "confirmed_of_claimed": _confirmed(of_claimed) if shown else None,
                       "satisfied": Share(sum(a.satisfied != Satisfied.not_satisfied for a in given), len(given))}
        row = DepartmentRow(department, closed, without_phone.get(department.id, 0), claimed, sampled, answered,
                            reason, **figures)
        table.append(row)
    return table


def _confirmed(answers: list[CallbackAnswer]) -> Share:
    """How many of ``answers`` say the matter was solved or partly solved."""
    return Share(sum(a.solved in CONFIRMED_SOLVED for a in answers), len(answers))


def waiting(check: CallbackCheck) -> int:
    """Answers handed in but not yet released into the figures (they join in shuffled batches)."""
    return db.session.scalar(select(func.count()).select_from(CallbackSealedAnswer)
                             .where(CallbackSealedAnswer.check_id == check.id))


def _percent(share: Share | None):
    return None if share is None else share.value


def _bounds(share: Share | None) -> list:
    return [None, None] if share is None else list(share.interval)


def workbook(check: CallbackCheck) -> bytes:
    """The report as XLSX with Chinese headers: one row per department, shares as percentages."""
    header = [_("Department code"), _("Department"), _("Closed cases (valid outcome)"),
              _("Closed cases without a phone"), _("Claimed solved rate"), _("Cases drawn"), _("Links answered"),
              _("Response rate"),
              _("Confirmed solved rate"), _("Answers (n)"), _("Lower bound (95%)"), _("Upper bound (95%)"),
              _("Confirmed among claimed solved"), _("Claimed solved answers (n)"), _("Lower bound (95%)"),
              _("Upper bound (95%)"), _("Satisfied or basically satisfied"), _("Judgement")]
    body = []
    for row in rows(check):
        body.append([
            row.department.code, row.department.name, row.closed, row.without_phone, _percent(row.claimed),
            row.sampled, row.answered, row.response_rate,
            _percent(row.confirmed), row.confirmed.n if row.confirmed else None, *_bounds(row.confirmed),
            _percent(row.confirmed_of_claimed), row.confirmed_of_claimed.n if row.confirmed_of_claimed else None,
            *_bounds(row.confirmed_of_claimed), _percent(row.satisfied),
            row.too_few and _("Too few to judge: %(reason)s", reason=row.too_few) or _("Judged on the answers")])
    percent = "0.0%"
    formats = [None, None, None, None, percent, None, None, percent,
               percent, None, percent, percent, percent, None, percent, percent, percent, None]
    title = _("Call-back check %(start)s to %(end)s", start=check.period_start.isoformat(),
              end=check.period_end.isoformat())
    return xlsx_bytes([Sheet(title[:31], [header, *body], formats, [12, 20] + [12] * 15 + [40], wrap=(18,))])
