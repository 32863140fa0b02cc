"""The business-environment complaints centre (营商环境投诉举报中心).

A complaint is received (受理 or declined), assigned to one or more
departments with a deadline (统一交办), supervised with reminders (统一督办),
answered by each department, and closed with the complainant's satisfaction —
or reopened. The complainant's identity lives on the complaint only and is
shown to complaints handlers alone; departments see their assignments.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.casework.deadlines import Deadline
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class ComplaintCategory(str, enum.Enum):
    """The four kinds the centre takes."""

    discipline = "discipline"                # 纪检监察监督
    procuratorial = "procuratorial"          # 检察法律监督
    enforcement = "enforcement"              # 行政执法监督
    enterprise_policy = "enterprise_policy"  # 涉企政策监督


class ComplaintStatus(str, enum.Enum):
    """submitted → accepted → assigned → replied → closed; declined ends it; reopen goes back to accepted."""

    submitted = "submitted"
    declined = "declined"
    accepted = "accepted"
    assigned = "assigned"
    replied = "replied"
    closed = "closed"


class AssignmentStatus(str, enum.Enum):
    pending = "pending"
    replied = "replied"
    withdrawn = "withdrawn"


class Satisfaction(str, enum.Enum):
    """The complainant's verdict at closing."""

    satisfied = "satisfied"
    basically = "basically"
    unsatisfied = "unsatisfied"
    unreachable = "unreachable"


def _enum(cls, name: str, length: int = 20):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


complaint_departments = Table(
    "complaint_departments",
    db.metadata,
    Column("complaint_id", ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class Complaint(db.Model):
    """One complaint as filed, with its progress. Identity fields are for complaints handlers only."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(255))  # a werkzeug scrypt hash
    category: Mapped[ComplaintCategory] = mapped_column(_enum(ComplaintCategory, "complaint_category"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    district: Mapped[str] = mapped_column(String(50), default="")
    occurred_on: Mapped[date | None] = mapped_column()
    # Identity: optional (anonymous complaints are accepted), never shown to departments.
    complainant_name: Mapped[str] = mapped_column(String(100), default="")
    complainant_organisation: Mapped[str] = mapped_column(String(200), default="")
    complainant_phone: Mapped[str] = mapped_column(String(255), default="")  # sealed like pool phones
    complainant_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    complainant_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    complainant_contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ComplaintStatus] = mapped_column(_enum(ComplaintStatus, "complaint_status"),
                                                    default=ComplaintStatus.submitted, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # What the complainant reads on the tracking page once the complaint is closed.
    public_reply: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    satisfaction: Mapped[Satisfaction | None] = mapped_column(_enum(Satisfaction, "complaint_satisfaction"))
    reopen_count: Mapped[int] = mapped_column(default=0)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))

    departments: Mapped[list[Department]] = relationship(secondary=complaint_departments,
                                                         order_by=Department.sort_order)
    assignments: Mapped[list["ComplaintAssignment"]] = relationship(
        back_populates="complaint", order_by="ComplaintAssignment.id", cascade="all, delete-orphan")
    attachments: Mapped[list["ComplaintAttachment"]] = relationship(
        back_populates="complaint", order_by="ComplaintAttachment.id", cascade="all, delete-orphan")
    events: Mapped[list["ComplaintEvent"]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id", cascade="all, delete-orphan")
    repeat_of: Mapped["Complaint | None"] = relationship(remote_side="Complaint.id")

    @property
    def anonymous(self) -> bool:
        return not (self.complainant_name or self.complainant_organisation or self.complainant_phone
                    or self.complainant_contact)

    @property
    def cycle(self) -> int:
        """1 for the first handling; each reopening starts the next cycle."""
        return self.reopen_count + 1

    @property
    def current_assignments(self) -> list["ComplaintAssignment"]:
        """This cycle's assignments that were not withdrawn."""
        return [a for a in self.assignments if a.status != AssignmentStatus.withdrawn and a.cycle == self.cycle]


class ComplaintAssignment(Deadline, db.Model):
    """The complaint handed to one department with a deadline, and that department's reply."""

    __tablename__ = "complaint_assignments"
    # A case of casework: pending until the department replies (``overdue``, ``on_time`` come from Deadline).
    WAITING, ANSWERED, ANSWERED_AT = AssignmentStatus.pending, AssignmentStatus.replied, "replied_at"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    cycle: Mapped[int] = mapped_column(default=1)
    instructions: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[AssignmentStatus] = mapped_column(_enum(AssignmentStatus, "assignment_status", 12),
                                                     default=AssignmentStatus.pending, index=True)
    reminder_count: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Decided by the handler at closing: was the complaint against this department substantiated (查实)?
    substantiated: Mapped[bool | None] = mapped_column()

    complaint: Mapped[Complaint] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()
    attachments: Mapped[list["ComplaintAttachment"]] = relationship(back_populates="assignment",
                                                                   order_by="ComplaintAttachment.id")


class ComplaintAttachment(db.Model):
    """A file kept under instance/attachments/ by a random name: the complainant's, or a department's evidence."""

    __tablename__ = "complaint_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_assignments.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A complainant's file may reveal who they are: departments see it only once a handler shares it.
    shared: Mapped[bool] = mapped_column(default=False)

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")
    assignment: Mapped[ComplaintAssignment | None] = relationship(back_populates="attachments")


class ComplaintEvent(db.Model):
    """One timestamped step in a complaint's history; ``public`` steps show on the tracking page."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    department: Mapped[Department | None] = relationship()
