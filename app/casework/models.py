"""The casework engine's tables: a case, its assignments to departments, its files and its history.

A case is something raised by someone outside the government that departments must handle by a deadline: a
complaint (``app.complaints``), a problem raised at the entrepreneurs' forum (``app.forum``) and, next, a policy
application. Each kind is a subclass with a table of its own (joined-table inheritance, ``kind`` says which); the
workflow — assignment with working-day deadlines, acknowledgement, progress, replies, reminders, closing with an
outcome and a confirmation, reopening, history — lives here once, with ``app.casework.service``.

The raiser's identity is kept by the kind (a complainant's contact details, a forum enterprise's invitation):
departments read a case through its assignment and see the raiser only when ``identity_shared`` is set.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from app.casework.deadlines import Deadline
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class CaseKind(str, enum.Enum):
    """The front doors of the engine."""

    complaint = "complaint"  # 投诉举报
    forum = "forum"          # 企业家恳谈会诉求
    policy = "policy"        # 惠企政策兑现申请


class CaseStatus(str, enum.Enum):
    """submitted → accepted → assigned → replied → (confirming →) closed; declined ends it; reopening goes back.

    ``confirming``: the departments have answered and the raiser has been asked, by a personal link, to confirm.
    """

    submitted = "submitted"
    declined = "declined"
    accepted = "accepted"
    assigned = "assigned"
    replied = "replied"
    confirming = "confirming"
    closed = "closed"


class AssignmentStatus(str, enum.Enum):
    pending = "pending"
    replied = "replied"
    withdrawn = "withdrawn"


class Satisfaction(str, enum.Enum):
    """The raiser's verdict at closing."""

    satisfied = "satisfied"
    basically = "basically"
    unsatisfied = "unsatisfied"
    unreachable = "unreachable"


class Outcome(str, enum.Enum):
    """What became of a case. Only ``solved`` and ``partly_solved`` count as solved."""

    solved = "solved"                      # 已解决
    partly_solved = "partly_solved"        # 部分解决
    explained = "explained"                # 已解释不能解决 (policy or law does not allow it)
    duplicate = "duplicate"                # 重复/已合并 (``duplicate_of`` is the kept case)
    redirected = "redirected"              # 不属于职责 (``redirected_to`` is where it went)
    answered_on_spot = "answered_on_spot"  # 现场答复 (a forum problem answered at the meeting)


SOLVED_OUTCOMES = frozenset({Outcome.solved, Outcome.partly_solved})
# Outcomes that end a case without its being handled: left out of the solved rate's denominator.
INVALID_OUTCOMES = frozenset({Outcome.duplicate, Outcome.redirected})


class Confirmation(str, enum.Enum):
    """Who confirmed the closing (销号)."""

    raiser = "raiser"        # the raiser's own rating through their personal link
    staff_call = "staff_call"  # recorded by staff after a phone call with the raiser
    sign_off = "sign_off"    # the raiser could not be reached: a supervisor signed off, with a reason


def _enum(cls, name: str, length: int = 20):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


class Case(db.Model):
    """One case of any kind, with its progress. The kind's own table holds what was raised and by whom."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind, "case_kind", 12), index=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus, "case_status"), default=CaseStatus.submitted,
                                               index=True)
    # Whether the departments may see who raised the case (the organisers always do).
    identity_shared: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # What the raiser reads on the tracking page once the case is answered.
    public_reply: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "case_outcome"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    redirected_to_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(_enum(Satisfaction, "case_satisfaction"))
    confirmation: Mapped[Confirmation | None] = mapped_column(_enum(Confirmation, "case_confirmation", 12))
    confirmation_note: Mapped[str] = mapped_column(Text, default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Failed attempts to reach the raiser since the departments answered (a sign-off needs enough of them).
    contact_attempts: Mapped[int] = mapped_column(default=0)
    reopen_count: Mapped[int] = mapped_column(default=0)

    assignments: Mapped[list["CaseAssignment"]] = relationship(
        back_populates="case", order_by="CaseAssignment.id", cascade="all, delete-orphan")
    attachments: Mapped[list["CaseAttachment"]] = relationship(
        back_populates="case", order_by="CaseAttachment.id", cascade="all, delete-orphan")
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan")
    duplicate_of: Mapped["Case | None"] = relationship(remote_side="Case.id", foreign_keys=[duplicate_of_id])
    redirected_to: Mapped[Department | None] = relationship(foreign_keys=[redirected_to_id])

    __mapper_args__ = {"polymorphic_on": "kind"}

    @property
    def cycle(self) -> int:
        """1 for the first handling; each reopening starts the next cycle."""
        return self.reopen_count + 1

    @property
    def current_assignments(self) -> list["CaseAssignment"]:
        """This cycle's assignments that were not withdrawn."""
        return [a for a in self.assignments if a.status != AssignmentStatus.withdrawn and a.cycle == self.cycle]

    @property
    def lead_assignment(self) -> "CaseAssignment | None":
        """This cycle's lead department's assignment (the first one when none is marked lead)."""
        current = self.current_assignments
        return next((a for a in current if a.lead), current[0] if current else None)

    @property
    def solved(self) -> bool:
        """Closed as solved or partly solved: the only outcomes that count as solved."""
        return self.outcome in SOLVED_OUTCOMES


class CaseAssignment(Deadline, db.Model):
    """The case handed to one department with a deadline: its acknowledgement, progress and reply."""

    __tablename__ = "case_assignments"
    WAITING, ANSWERED, ANSWERED_AT = AssignmentStatus.pending, AssignmentStatus.replied, "replied_at"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # The lead department (牵头) answers for the case; co-departments (配合) contribute.
    lead: Mapped[bool] = mapped_column(default=True)
    cycle: Mapped[int] = mapped_column(default=1)
    instructions: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(index=True)
    # 响应: when the department acknowledged the assignment (签收).
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[AssignmentStatus] = mapped_column(_enum(AssignmentStatus, "assignment_status", 12),
                                                     default=AssignmentStatus.pending, index=True)
    reminder_count: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str] = mapped_column(Text, default="")
    # The outcome the department reports with its reply (the case's outcome is decided at closing).
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, "assignment_outcome"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Decided at closing of a complaint: was it substantiated (查实) against this department?
    substantiated: Mapped[bool | None] = mapped_column()

    case: Mapped[Case] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()
    attachments: Mapped[list["CaseAttachment"]] = relationship(back_populates="assignment",
                                                               order_by="CaseAttachment.id")
    # The complaints centre's name for the case, kept for its pages and tests.
    complaint = synonym("case")
    complaint_id = synonym("case_id")


class CaseAttachment(db.Model):
    """A file kept under the attachment folder by a random name: the raiser's, or a department's evidence."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("case_assignments.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A raiser's file may reveal who they are: departments see it only once an organiser shares it.
    shared: Mapped[bool] = mapped_column(default=False)

    case: Mapped[Case] = relationship(back_populates="attachments")
    assignment: Mapped[CaseAssignment | None] = relationship(back_populates="attachments")
    complaint = synonym("case")
    complaint_id = synonym("case_id")


class CaseEvent(db.Model):
    """One timestamped step in a case's history; ``public`` steps show on the raiser's tracking page."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)

    case: Mapped[Case] = relationship(back_populates="events")
    department: Mapped[Department | None] = relationship()
    complaint = synonym("case")
    complaint_id = synonym("case_id")
