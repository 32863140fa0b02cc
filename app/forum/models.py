"""The entrepreneurs' forum (企业家恳谈会, 心连心 帮企助企).

Every two months the party secretary and the mayor take turns chairing a meeting with entrepreneurs. Invited
enterprises come from the pool's enterprise strata — some chosen by the organisers, the rest drawn at random
with the verifiable sampling core, so that the same large firms do not fill every meeting. Each invited
enterprise has a personal link (its token kept as a hash) to answer the invitation, submit problems before the
meeting and follow them afterwards. A problem is a case of the casework engine (``ForumProblem``): assigned to a
lead department and co-departments, followed with progress updates, closed with an outcome the enterprise confirms.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.casework.models import Case, CaseKind
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.pool.models import Respondent


class MeetingStatus(str, enum.Enum):
    """筹备 → 已邀请 → 已召开 → 报告已发布."""

    preparing = "preparing"
    invited = "invited"
    held = "held"
    reported = "reported"


class Chair(str, enum.Enum):
    """Who chairs: the secretary and the mayor take turns by default."""

    secretary = "secretary"  # 市委书记
    mayor = "mayor"          # 市长


class InvitationSource(str, enum.Enum):
    chosen = "chosen"  # picked by the organisers
    drawn = "drawn"    # drawn at random from the pool's enterprise strata


class ProblemCategory(str, enum.Enum):
    """融资, 用地, 用工, 审批, 政策兑现, 执法检查, 基础设施, 其他."""

    financing = "financing"
    land = "land"
    labour = "labour"
    approval = "approval"
    policy = "policy"
    inspection = "inspection"
    infrastructure = "infrastructure"
    other = "other"


def _enum(cls, name: str, length: int = 20):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


class ForumMeeting(db.Model):
    """One meeting: when, where, who chairs, its theme, its invitations' draw and its report."""

    __tablename__ = "forum_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    venue: Mapped[str] = mapped_column(String(200))
    chair: Mapped[Chair] = mapped_column(_enum(Chair, "forum_chair", 12))
    theme: Mapped[str] = mapped_column(String(200))
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus, "forum_meeting_status", 12),
                                                  default=MeetingStatus.preparing, index=True)
    # The random part of the invitations: how many to draw, and how many past meetings' guests to leave out.
    draw_size: Mapped[int] = mapped_column(default=0)
    exclude_last: Mapped[int] = mapped_column(default=2)
    # The verifiable draw: the frame (JSON: keys and strata), its SHA-256 commitment published before the seed,
    # the seed, and when it was drawn. Replayable with the sampling core (tools/verify_draw.py).
    draw_frame: Mapped[str] = mapped_column(Text, default="")
    draw_commitment: Mapped[str] = mapped_column(String(64), default="")
    draw_seed: Mapped[str] = mapped_column(String(200), default="")
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The report (the organisers' summary) and when it was published.
    report_summary: Mapped[str] = mapped_column(Text, default="")
    report_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    invitations: Mapped[list["ForumInvitation"]] = relationship(
        back_populates="meeting", order_by="ForumInvitation.id", cascade="all, delete-orphan")
    problems: Mapped[list["ForumProblem"]] = relationship(
        back_populates="meeting", order_by="ForumProblem.id", foreign_keys="ForumProblem.meeting_id")
    created_by: Mapped[User | None] = relationship()


class ForumInvitation(db.Model):
    """An enterprise invited to a meeting, its personal link (hashed) and its answer."""

    __tablename__ = "forum_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "respondent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("forum_meetings.id", ondelete="CASCADE"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    source: Mapped[InvitationSource] = mapped_column(_enum(InvitationSource, "forum_invitation_source", 8))
    # SHA-256 of the personal link's token; set when the invitation is sent.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # RSVP: True (comes), False (declines), None (no answer yet).
    attending: Mapped[bool | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recorded by the organisers at the meeting.
    attended: Mapped[bool | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[ForumMeeting] = relationship(back_populates="invitations")
    respondent: Mapped[Respondent] = relationship()
    problems: Mapped[list["ForumProblem"]] = relationship(back_populates="invitation",
                                                          foreign_keys="ForumProblem.invitation_id")


class ForumProblem(Case):
    """A problem (诉求) an invited enterprise raised, before or at the meeting: a case of the engine."""

    __tablename__ = "forum_problems"
    __mapper_args__ = {"polymorphic_identity": CaseKind.forum}

    id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("forum_meetings.id"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("forum_invitations.id"), index=True)
    category: Mapped[ProblemCategory] = mapped_column(_enum(ProblemCategory, "forum_problem_category"), index=True)
    description: Mapped[str] = mapped_column(Text)
    # What the enterprise asks for.
    request: Mapped[str] = mapped_column(Text, default="")
    raised_at_meeting: Mapped[bool] = mapped_column(default=False)
    # The enterprise agreed to be named in the public ledger (departments see it only when identity_shared).
    named_in_ledger: Mapped[bool] = mapped_column(default=False)

    meeting: Mapped[ForumMeeting] = relationship(back_populates="problems", foreign_keys=[meeting_id])
    invitation: Mapped[ForumInvitation] = relationship(back_populates="problems", foreign_keys=[invitation_id])

    @property
    def enterprise(self) -> Respondent:
        return self.invitation.respondent
