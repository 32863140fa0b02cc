"""What a check found, per department: claimed solved against confirmed solved, with 95% Wilson intervals.

Per department: the closed cases of the period (those without a phone counted apart), the share the department
closed as solved or partly solved (a fact of the frame, not an estimate), how many were called and answered,
and from the answers the share the raisers say was solved or partly solved — overall, and among the cases the
department claimed solved (the check proper) — each with its n and its Wilson interval (``scoring.wilson``).
A department with fewer closed cases than the check's minimum, or fewer answers, is too few to judge: no share
is shown for it; the share among claimed-solved cases is shown only when both it and the rest hold the minimum
(or the rest is empty), so that no subtraction isolates a handful of answers. Only released answers count
(``app.callbacks.calls.release``); the page says how many wait.

A **delivery check** (兑现回访) has its own table (``delivery_rows``), per department: the applications paid or
delivered in the period, drawn, answered; the **confirmed-received rate** — the share answering "received" (yes);
"partly" is counted apart (shown as its own share, never added to received), as a part payment is not delivery;
the **amount-right rate** among the answers about money (an item that was not money is left out of its n); the
**visits** to a window — the mean (with "3 or more" counted as 3, so a lower bound) and the share at most one,
against the promise of 只跑一次; satisfied or basically satisfied. Shares have their n and 95% Wilson interval, and
the same minimum applies. Below it, the **follow-up list**: the drawn cases whose enterprise asked to be contacted
(``app.callbacks.delivery.follow_ups``) — by their own consent, and without their answers.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.callbacks import delivery
from app.callbacks.draw import SOLVED, department_of
from app.callbacks.models import (
    CONFIRMED_SOLVED,
    AmountRight,
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackDeliveryAnswer,
    CallbackSealedAnswer,
    Purpose,
    Received,
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


@dataclass(frozen=True)
class _Department:
    """What every report row starts from: the frame's sizes, the calls and the released answers of a department."""

    department: Department
    sizes: Counter
    without_phone: int
    sampled: int
    answered: int
    answers: list

    @property
    def in_frame(self) -> int:
        return sum(self.sizes.values())


def _departments(check: CallbackCheck, answer_model) -> list[_Department]:
    """Per department of the frame (or left out of it for want of a phone), in the departments' display order."""
    frame: dict[str, Counter] = {}
    for label, size in check.stratum_sizes.items():
        frame.setdefault(department_of(label), Counter())[label.rsplit("|", 1)[1]] += size
    without_phone = {int(k): v for k, v in check.without_phone.items()}
    calls = {d: (n, used) for d, n, used in db.session.execute(
        select(CallbackCall.department_id, func.count(), func.count().filter(CallbackCall.used.is_(True)))
        .where(CallbackCall.check_id == check.id).group_by(CallbackCall.department_id))}
    answers: dict[int, list] = {}
    for answer in db.session.scalars(select(answer_model).where(answer_model.check_id == check.id)):
        answers.setdefault(answer.department_id, []).append(answer)
    departments = db.session.scalars(Department.ordered().where(
        Department.code.in_(set(frame)) | Department.id.in_(without_phone))).all()
    return [_Department(department, frame.get(department.code, Counter()), without_phone.get(department.id, 0),
                        *calls.get(department.id, (0, 0)), answers.get(department.id, []))
            for department in departments]


def _too_few(check: CallbackCheck, in_frame: int, answers: int) -> str:
    """Why a department cannot be judged, or ""."""
    if in_frame < check.minimum:
        if check.purpose == Purpose.delivery:
            return _("Fewer paid or delivered applications that could be called (%(n)d) than the minimum "
                     "(%(minimum)d).", n=in_frame, minimum=check.minimum)
        return _("Fewer closed cases that could be called (%(n)d) than the minimum (%(minimum)d).",
                 n=in_frame, minimum=check.minimum)
    if answers < check.minimum:
        return _("Fewer answers (%(n)d) than the minimum (%(minimum)d).", n=answers, minimum=check.minimum)
    return ""


def rows(check: CallbackCheck) -> list[DepartmentRow]:
    """One row per department that closed a case in the period, in the departments' display order."""
    table = []
    for found in _departments(check, CallbackAnswer):
        department, sizes, in_frame = found.department, found.sizes, found.in_frame
        closed = in_frame + found.without_phone
        sampled, answered, given = found.sampled, found.answered, found.answers
        claimed = Share(sizes[SOLVED], in_frame) if in_frame else None
        reason = _too_few(check, in_frame, len(given))
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
        row = DepartmentRow(department, closed, found.without_phone, claimed, sampled, answered, reason, **figures)
        table.append(row)
    return table


def _confirmed(answers: list[CallbackAnswer]) -> Share:
    """How many of ``answers`` say the matter was solved or partly solved."""
    return Share(sum(a.solved in CONFIRMED_SOLVED for a in answers), len(answers))


@dataclass(frozen=True)
class DeliveryRow:
    """A department's figures in a delivery check (兑现回访)."""

    department: Department
    reported: int             # applications paid or delivered in the period
    without_phone: int        # of which no number to call: they could not be drawn
    sampled: int
    answered: int
    too_few: str
    received: Share | None = None       # answered "received" (yes)
    partly: Share | None = None         # answered "partly received" — apart, never counted as received
    amount_right: Share | None = None   # the amount was right, among the answers about money
    visits_mean: float | None = None    # times at a window, "3 or more" counted as 3
    once: Share | None = None           # at most one visit: 只跑一次 kept
    satisfied: Share | None = None      # satisfied or basically satisfied

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sampled if self.sampled else None


def delivery_rows(check: CallbackCheck) -> list[DeliveryRow]:
    """One row per department with an application paid or delivered in the period, in display order."""
    table = []
    for found in _departments(check, CallbackDeliveryAnswer):
        given: list[CallbackDeliveryAnswer] = found.answers
        reason = _too_few(check, found.in_frame, len(given))
        figures = {}
        if not reason:
            n = len(given)
            money = [a for a in given if a.amount_right != AmountRight.not_money]
            figures = {
                "received": Share(sum(a.received == Received.yes for a in given), n),
                "partly": Share(sum(a.received == Received.partly for a in given), n),
                "amount_right": Share(sum(a.amount_right == AmountRight.yes for a in money), len(money))
                if money else None,
                "visits_mean": sum(a.visits for a in given) / n,
                "once": Share(sum(a.visits <= 1 for a in given), n),
                "satisfied": Share(sum(a.satisfied != Satisfied.not_satisfied for a in given), n)}
        table.append(DeliveryRow(found.department, found.in_frame + found.without_phone, found.without_phone,
                                 found.sampled, found.answered, reason, **figures))
    return table


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
    if check.purpose == Purpose.delivery:
        return delivery_workbook(check)
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


def _n(share: Share | None):
    return None if share is None else share.n


def _judgement(too_few: str) -> str:
    return _("Too few to judge: %(reason)s", reason=too_few) if too_few else _("Judged on the answers")


def delivery_workbook(check: CallbackCheck) -> bytes:
    """A delivery check's report as XLSX: the figures per department, and the follow-up list on a second sheet."""
    header = [_("Department code"), _("Department"), _("Applications paid or delivered"),
              _("Applications without a phone"), _("Cases drawn"), _("Links answered"), _("Response rate"),
              _("Confirmed received rate"), _("Answers (n)"), _("Lower bound (95%)"), _("Upper bound (95%)"),
              _("Partly received"), _("Amount right rate"), _("Answers about money (n)"), _("Lower bound (95%)"),
              _("Upper bound (95%)"), _("Mean visits to a window"), _("At most one visit (只跑一次)"),
              _("Lower bound (95%)"), _("Upper bound (95%)"), _("Satisfied or basically satisfied"), _("Judgement")]
    body = [[row.department.code, row.department.name, row.reported, row.without_phone, row.sampled, row.answered,
             row.response_rate, _percent(row.received), _n(row.received), *_bounds(row.received),
             _percent(row.partly), _percent(row.amount_right), _n(row.amount_right), *_bounds(row.amount_right),
             row.visits_mean, _percent(row.once), *_bounds(row.once), _percent(row.satisfied),
             _judgement(row.too_few)] for row in delivery_rows(check)]
    percent = "0.0%"
    formats = [None, None, None, None, None, None, percent, percent, None, percent, percent, percent, percent, None,
               percent, percent, "0.00", percent, percent, percent, percent, None]
    title = _("Delivery check %(start)s to %(end)s", start=check.period_start.isoformat(),
              end=check.period_end.isoformat())
    follow = [[_("Tracking number"), _("Policy item"), _("Window"), _("Department code"), _("Department")]]
    follow += [[f.tracking_number, f.item, f.window, f.department.code, f.department.name]
               for f in delivery.follow_ups(check)]
    return xlsx_bytes([Sheet(title[:31], [header, *body], formats, [12, 20] + [12] * 19 + [40], wrap=(22,)),
                       Sheet(_("Follow-up list")[:31], follow, (), [20, 40, 20, 12, 20])])
