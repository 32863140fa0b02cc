"""The forum's public ledger (公开台账), the meeting report's figures and the next meeting's agenda.

Everything here reads; nothing changes. The ledger shows, for each problem raised at a held meeting, its category,
its departments (lead and co), its deadline, its status, its outcome and the days it has taken — and the
enterprise only when it agreed to be named (``named_in_ledger``). The words come from the engine
(``app.casework``): its states and outcomes, and its rule that only "solved" and "partly solved" count as solved.

A problem's fate, as the report counts it (``fate``):

    solved       closed as solved or partly solved (the only outcomes that count as solved)
    explained    closed as explained, cannot be solved
    other        closed otherwise (duplicate, redirected, answered on the spot) or not accepted
    overdue      open, and a department's assignment is past its deadline
    in_progress  open otherwise (waiting for acceptance, assignment, an answer or the raiser's confirmation)

Days taken count calendar days in the city's time zone from the day the problem was raised to the day it was
closed (or declined) — or to today while it is open.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from app.casework.models import AssignmentStatus, CaseAssignment, CaseStatus, Outcome, SOLVED_OUTCOMES
from app.departments.models import Department
from app.extensions import db
from app.forum.models import (
    ForumInvitation,
    ForumMeeting,
    ForumProblem,
    InvitationSource,
    MeetingStatus,
    ProblemCategory,
)
from app.platform.calendar import local_date, local_today

# Meetings whose problems are public: a meeting's problems join the ledger once it has been held.
PUBLIC_MEETINGS = (MeetingStatus.held, MeetingStatus.reported)
FATES = ("solved", "in_progress", "overdue", "explained", "other")
# What the ledger's status filter offers.
STAGES = ("open", "overdue", "closed", "declined")
ENDED = (CaseStatus.closed, CaseStatus.declined)


# --------------------------------------------------------------------------- one problem

def current_assignments(problem: ForumProblem) -> list[CaseAssignment]:
    """This cycle's assignments, the lead department first."""
    return sorted(problem.current_assignments, key=lambda a: (not a.lead, a.department.sort_order, a.id))


def is_overdue(problem: ForumProblem, today: date) -> bool:
    """Open, with a department's assignment past its deadline."""
    return problem.status not in ENDED and any(a.overdue(today) for a in problem.assignments)


def fate(problem: ForumProblem, today: date) -> str:
    """What became of a problem, in the report's five words (see the module's docstring)."""
    if problem.status == CaseStatus.closed:
        if problem.outcome in SOLVED_OUTCOMES:
            return "solved"
        return "explained" if problem.outcome == Outcome.explained else "other"
    if problem.status == CaseStatus.declined:
        return "other"
    return "overdue" if is_overdue(problem, today) else "in_progress"


def raised_on(problem: ForumProblem) -> date:
    return local_date(problem.submitted_at)


def ended_on(problem: ForumProblem) -> date | None:
    """The local day the problem was closed or declined; None while it is open."""
    moment = problem.closed_at if problem.status == CaseStatus.closed else \
        problem.declined_at if problem.status == CaseStatus.declined else None
    return local_date(moment) if moment is not None else None


def days_taken(problem: ForumProblem, today: date) -> int:
    """Calendar days from the day it was raised to the day it ended, or to ``today`` while open."""
    return ((ended_on(problem) or today) - raised_on(problem)).days


@dataclass(frozen=True)
class LedgerRow:
    """One line of the public ledger: nothing that names the enterprise unless ``enterprise`` is set."""

    number: str
    meeting: ForumMeeting
    category: ProblemCategory
    lead: list[str]
    co: list[str]
    due_on: date | None
    status: CaseStatus
    overdue: bool
    outcome: Outcome | None
    reopened: bool
    days: int
    ended: bool
    enterprise: str | None
    duplicate_of: str | None = None   # the kept problem's number, for a duplicate
    redirected_to: str | None = None  # where a problem outside the departments' remit went


def enterprise_name(problem: ForumProblem) -> str:
    member = problem.enterprise
    return member.organisation or member.name


def ledger_row(problem: ForumProblem, today: date) -> LedgerRow:
    """The public line of a problem (its enterprise only when it agreed to be named)."""
    current = current_assignments(problem)
    lead = [a for a in current if a.lead]
    return LedgerRow(
        number=problem.tracking_number, meeting=problem.meeting, category=problem.category,
        lead=[a.department.name for a in lead], co=[a.department.name for a in current if not a.lead],
        due_on=max((a.due_on for a in lead or current), default=None), status=problem.status,
        overdue=is_overdue(problem, today), outcome=problem.outcome if problem.status == CaseStatus.closed else None,
        reopened=problem.reopen_count > 0, days=days_taken(problem, today),
        ended=problem.status in ENDED, enterprise=enterprise_name(problem) if problem.named_in_ledger else None,
        duplicate_of=problem.duplicate_of.tracking_number if problem.duplicate_of is not None else None,
        redirected_to=problem.redirected_to.name if problem.redirected_to is not None else None)


# --------------------------------------------------------------------------- the ledger's query

@dataclass(frozen=True)
class LedgerFilter:
    """What the reader narrowed the ledger to; None is "all"."""

    meeting_id: int | None = None
    category: ProblemCategory | None = None
    department_id: int | None = None
    stage: str | None = None

    @classmethod
    def from_args(cls, args) -> "LedgerFilter":
        """From a query string; a value that means nothing is ignored (the reader sees everything)."""
        def number(name: str) -> int | None:
            text = args.get(name, "")
            return int(text) if text.isdecimal() and len(text) < 10 else None

        category = args.get("category", "")
        stage = args.get("status", "")
        return cls(meeting_id=number("meeting"), department_id=number("department"),
                   category=ProblemCategory(category) if category in ProblemCategory._value2member_map_ else None,
                   stage=stage if stage in STAGES else None)

    def args(self) -> dict:
        """The filter as query-string values (for the pagination's links)."""
        values = {"meeting": self.meeting_id, "category": self.category.value if self.category else None,
                  "department": self.department_id, "status": self.stage}
        return {k: v for k, v in values.items() if v is not None}


def _current_assignment_of(department_id: int):
    return exists().where(CaseAssignment.case_id == ForumProblem.id,
                          CaseAssignment.department_id == department_id,
                          CaseAssignment.status != AssignmentStatus.withdrawn,
                          CaseAssignment.cycle == ForumProblem.reopen_count + 1)


def _overdue_assignment(today: date):
    return exists().where(CaseAssignment.case_id == ForumProblem.id, CaseAssignment.overdue(today))


def ledger_query(filters: LedgerFilter = LedgerFilter(), today: date | None = None) -> Select:
    """The public problems (of held meetings, once accepted or declined), the latest meeting first, then in the
    order they were raised."""
    today = today or local_today()
    query = (select(ForumProblem).join(ForumProblem.meeting)
             .where(ForumMeeting.status.in_(PUBLIC_MEETINGS), ForumProblem.status != CaseStatus.submitted)
             .options(selectinload(ForumProblem.assignments).selectinload(CaseAssignment.department),
                      selectinload(ForumProblem.meeting), selectinload(ForumProblem.duplicate_of),
                      selectinload(ForumProblem.redirected_to),
                      selectinload(ForumProblem.invitation).selectinload(ForumInvitation.respondent))
             .order_by(ForumMeeting.held_on.desc(), ForumProblem.submitted_at, ForumProblem.id))
    if filters.meeting_id is not None:
        query = query.where(ForumProblem.meeting_id == filters.meeting_id)
    if filters.category is not None:
        query = query.where(ForumProblem.category == filters.category)
    if filters.department_id is not None:
        query = query.where(_current_assignment_of(filters.department_id))
    if filters.stage == "open":
        query = query.where(ForumProblem.status.not_in(ENDED))
    elif filters.stage == "overdue":
        query = query.where(ForumProblem.status.not_in(ENDED), _overdue_assignment(today))
    elif filters.stage in ("closed", "declined"):
        query = query.where(ForumProblem.status == CaseStatus(filters.stage))
    return query


def public_meetings() -> list[ForumMeeting]:
    """The meetings whose problems the ledger shows, the latest first."""
    return list(db.session.scalars(select(ForumMeeting).where(ForumMeeting.status.in_(PUBLIC_MEETINGS))
                                   .order_by(ForumMeeting.held_on.desc(), ForumMeeting.id.desc())))


def ledger_departments() -> list[Department]:
    """The departments that hold a forum problem of a public meeting (the department filter's choices)."""
    return list(db.session.scalars(
        select(Department).where(Department.id.in_(
            select(CaseAssignment.department_id).join(ForumProblem, ForumProblem.id == CaseAssignment.case_id)
            .join(ForumProblem.meeting).where(ForumMeeting.status.in_(PUBLIC_MEETINGS))))
        .order_by(Department.sort_order, Department.name)))


# --------------------------------------------------------------------------- the meeting report's figures

@dataclass
class Fates:
    """How many problems met each fate."""

    solved: int = 0
    in_progress: int = 0
    overdue: int = 0
    explained: int = 0
    other: int = 0

    def add(self, which: str) -> None:
        setattr(self, which, getattr(self, which) + 1)

    @property
    def total(self) -> int:
        return sum(getattr(self, f) for f in FATES)

    def values(self) -> list[int]:
        return [getattr(self, f) for f in FATES]


@dataclass(frozen=True)
class Attendance:
    """Invited, answered (yes or no), coming, attended — in all and by how the enterprise was invited."""

    invited: int
    answered: int
    accepted: int
    attended: int
    chosen: int
    drawn: int
    attended_chosen: int
    attended_drawn: int


def attendance(meeting: ForumMeeting) -> Attendance:
    invitations = meeting.invitations
    came = [i for i in invitations if i.attended]
    return Attendance(
        invited=len(invitations), answered=sum(i.attending is not None for i in invitations),
        accepted=sum(i.attending is True for i in invitations), attended=len(came),
        chosen=sum(i.source == InvitationSource.chosen for i in invitations),
        drawn=sum(i.source == InvitationSource.drawn for i in invitations),
        attended_chosen=sum(i.source == InvitationSource.chosen for i in came),
        attended_drawn=sum(i.source == InvitationSource.drawn for i in came))


@dataclass(frozen=True)
class DepartmentLine:
    department: Department
    lead: int
    co: int
    overdue: int  # this department's assignments past their deadline


@dataclass(frozen=True)
class PreviousMeeting:
    meeting: ForumMeeting
    fates: Fates


@dataclass
class MeetingReport:
    """The figures of one meeting's report, as of ``today``."""

    meeting: ForumMeeting
    today: date
    attendance: Attendance
    problems: int
    raised_at_meeting: int
    by_category: list[tuple[ProblemCategory, Fates]]
    by_department: list[DepartmentLine]
    previous: list[PreviousMeeting]
    previous_total: Fates = field(default_factory=Fates)
    rows: list[LedgerRow] = field(default_factory=list)  # this meeting's problems, in the order they were raised


def previous_meetings(meeting: ForumMeeting) -> list[ForumMeeting]:
    """The meetings held before this one, the oldest first."""
    return list(db.session.scalars(
        select(ForumMeeting).where(ForumMeeting.held_on < meeting.held_on, ForumMeeting.id != meeting.id,
                                   ForumMeeting.status.in_(PUBLIC_MEETINGS))
        .order_by(ForumMeeting.held_on, ForumMeeting.id)))


def _problems_of(meeting_ids: list[int]) -> list[ForumProblem]:
    if not meeting_ids:
        return []
    return list(db.session.scalars(
        select(ForumProblem).where(ForumProblem.meeting_id.in_(meeting_ids))
        .options(selectinload(ForumProblem.assignments).selectinload(CaseAssignment.department),
                 selectinload(ForumProblem.meeting),
                 selectinload(ForumProblem.invitation).selectinload(ForumInvitation.respondent))
        .order_by(ForumProblem.submitted_at, ForumProblem.id)))


def meeting_report(meeting: ForumMeeting, today: date | None = None) -> MeetingReport:
    """Attendance, this meeting's problems by category and by department, and what became of the previous
    meetings' problems. Every problem raised counts: one still awaiting acceptance is in progress."""
    today = today or local_today()
    problems = _problems_of([meeting.id])
    categories: dict[ProblemCategory, Fates] = {}
    for problem in problems:
        categories.setdefault(problem.category, Fates()).add(fate(problem, today))
    order = list(ProblemCategory)
    by_category = sorted(categories.items(), key=lambda item: order.index(item[0]))

    lead, co, overdue, departments = Counter(), Counter(), Counter(), {}
    for problem in problems:
        for assignment in current_assignments(problem):
            departments[assignment.department_id] = assignment.department
            (lead if assignment.lead else co)[assignment.department_id] += 1
            overdue[assignment.department_id] += bool(assignment.overdue(today))
    by_department = sorted(
        (DepartmentLine(d, lead[i], co[i], overdue[i]) for i, d in departments.items()),
        key=lambda line: (-line.lead - line.co, line.department.sort_order, line.department.name))

    before = previous_meetings(meeting)
    per_meeting = {m.id: Fates() for m in before}
    total = Fates()
    for problem in _problems_of(list(per_meeting)):
        which = fate(problem, today)
        per_meeting[problem.meeting_id].add(which)
        total.add(which)
    return MeetingReport(meeting=meeting, today=today, attendance=attendance(meeting), problems=len(problems),
                         raised_at_meeting=sum(p.raised_at_meeting for p in problems), by_category=by_category,
                         by_department=by_department,
                         previous=[PreviousMeeting(m, per_meeting[m.id]) for m in before], previous_total=total,
                         rows=[ledger_row(p, today) for p in problems])


# --------------------------------------------------------------------------- the agenda

@dataclass(frozen=True)
class OpenItem:
    """A problem of an earlier meeting that is still open, and for how long."""

    problem: ForumProblem
    row: LedgerRow
    days_open: int


def open_items(meeting: ForumMeeting | None, today: date | None = None) -> list[OpenItem]:
    """What the meeting's agenda starts with: the open problems of the meetings before it (never closed, or
    closed unsatisfied and reopened), the oldest first; with no meeting, those of every meeting held so far."""
    today = today or local_today()
    query = (select(ForumProblem).join(ForumProblem.meeting)
             .where(ForumMeeting.status.in_(PUBLIC_MEETINGS), ForumProblem.status.not_in(ENDED)))
    if meeting is not None:
        query = query.where(ForumMeeting.held_on < meeting.held_on, ForumProblem.meeting_id != meeting.id)
    problems = db.session.scalars(
        query
        .options(selectinload(ForumProblem.assignments).selectinload(CaseAssignment.department),
                 selectinload(ForumProblem.meeting),
                 selectinload(ForumProblem.invitation).selectinload(ForumInvitation.respondent))
        .order_by(ForumProblem.submitted_at, ForumProblem.id))
    return [OpenItem(p, ledger_row(p, today), days_taken(p, today)) for p in problems]


def next_meeting(today: date | None = None) -> ForumMeeting | None:
    """The first meeting not yet held, from today on (the one whose agenda is being prepared)."""
    today = today or local_today()
    return db.session.scalar(
        select(ForumMeeting).where(ForumMeeting.status.in_((MeetingStatus.preparing, MeetingStatus.invited)),
                                   ForumMeeting.held_on >= today)
        .order_by(ForumMeeting.held_on, ForumMeeting.id).limit(1))
