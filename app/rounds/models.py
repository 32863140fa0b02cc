"""Monthly rounds (月度评价), called campaigns in code to keep "round" free for arithmetic; their verifiable
draws (a frozen frame, its commitment, a seed) and the invitations with the secrets that open them."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, Float, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.pool.models import Respondent
from app.questionnaires.models import QuestionnaireVersion


class CampaignStatus(str, enum.Enum):
    """draft → drawn → sending → open → closed → scored → published (DESIGN.md, "The monthly round")."""

    draft = "draft"
    drawn = "drawn"
    sending = "sending"
    open = "open"
    closed = "closed"
    scored = "scored"
    published = "published"


class Stratification(str, enum.Enum):
    """What the sampling strata are made of."""

    category = "category"
    category_district = "category_district"


class LinkMode(str, enum.Enum):
    """How the SMS reaches the survey (DESIGN.md: carriers often refuse per-recipient links)."""

    link = "link"  # a personal link /s/<token>
    code = "code"  # the fixed link /s and a personal access code typed by the respondent


campaign_departments = Table(
    "campaign_departments",
    db.metadata,
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


def _enum(cls, name: str):
    return Enum(cls, native_enum=False, create_constraint=True, length=24, name=name)


class Campaign(db.Model):
    """One month's evaluation round and its sample plan."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11
    title: Mapped[str] = mapped_column(String(100))
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus, "campaign_status"),
                                                   default=CampaignStatus.draft)
    # The sample plan; frozen into the draw when the frame is committed.
    sample_size: Mapped[int] = mapped_column(default=500)
    allocation_method: Mapped[str] = mapped_column(String(16), default="proportional")
    minimum_per_stratum: Mapped[int] = mapped_column(default=0)
    stratify_by: Mapped[Stratification] = mapped_column(_enum(Stratification, "stratification"),
                                                        default=Stratification.category)
    exclusion_window: Mapped[int] = mapped_column(default=1)  # members drawn in the last k rounds sit out
    opens_on: Mapped[date | None] = mapped_column()
    closes_on: Mapped[date | None] = mapped_column()  # links work until the end of this day (Beijing time)
    questionnaire_version_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_versions.id"))
    # The SMS: how the link travels, the provider's approved template code, and its text for previews.
    link_mode: Mapped[LinkMode] = mapped_column(_enum(LinkMode, "link_mode"), default=LinkMode.link)
    sms_template_code: Mapped[str] = mapped_column(String(64), default="")
    sms_template_text: Mapped[str] = mapped_column(Text, default="")
    reminder_template_text: Mapped[str] = mapped_column(Text, default="")
    max_reminders: Mapped[int] = mapped_column(default=2)
    reminder_spacing_days: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    draws: Mapped[list["Draw"]] = relationship(back_populates="campaign", order_by="Draw.id")  # noqa: F821
    departments: Mapped[list[Department]] = relationship(
        secondary=campaign_departments, order_by="Department.sort_order")
    questionnaire_version: Mapped[QuestionnaireVersion | None] = relationship()

    @property
    def current_draw(self):
        """The draw that counts: the latest one not voided, if any."""
        live = [d for d in self.draws if d.status.value != "voided"]
        return live[-1] if live else None

    def __repr__(self) -> str:
        return f"<Campaign {self.month} {self.status.value}>"


class DrawStatus(str, enum.Enum):
    """The three recorded steps, in order, and the explicit void."""

    frozen = "frozen"    # 1. frame frozen, commitment recorded
    seeded = "seeded"    # 2. seed set (only after the commitment exists)
    drawn = "drawn"      # 3. invitations created
    voided = "voided"    # kept on record, replaced by a new draw


class Draw(db.Model):
    """One attempt at a round's sample. At most one draw per round is not voided."""

    __tablename__ = "draws"
    __table_args__ = (
        Index("uq_draws_one_live_per_campaign", "campaign_id", unique=True,
              sqlite_where=text("status <> 'voided'"), postgresql_where=text("status <> 'voided'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    status: Mapped[DrawStatus] = mapped_column(
        Enum(DrawStatus, native_enum=False, create_constraint=True, length=16, name="draw_status"),
        default=DrawStatus.frozen)
    # The plan as it stood when the frame was frozen: method, n, minimum, stratify_by, exclusion_window.
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stratum_sizes: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # N_h of the frozen frame
    allocation: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)     # n_h
    frame_size: Mapped[int] = mapped_column(default=0)
    commitment: Mapped[str] = mapped_column(String(64))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seed: Mapped[str | None] = mapped_column(String(200))
    seed_source: Mapped[str | None] = mapped_column(String(16))  # typed | generated
    seeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seeded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    selected_count: Mapped[int] = mapped_column(default=0)
    # SHA-256 of selected.csv as exported: a voided draw's selection stays checkable.
    selection_hash: Mapped[str | None] = mapped_column(String(64))
    voided_selection: Mapped[list[str] | None] = mapped_column(JSON)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str] = mapped_column(String(300), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="draws")


class FrameMember(db.Model):
    """A member of a draw's frozen frame: the eligible pool at the moment of the commitment."""

    __tablename__ = "draw_frame_members"
    __table_args__ = (UniqueConstraint("draw_id", "key", name="uq_draw_frame_members_draw_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    key: Mapped[str] = mapped_column(String(16))
    stratum: Mapped[str] = mapped_column(String(120))


class Invitation(db.Model):
    """A selected member's invitation to answer. Responses never point back here (背靠背)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("draw_id", "respondent_id", name="uq_invitations_draw_respondent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("draws.id"), index=True)
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(120))
    inclusion_probability: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The SMS: pending → queued → accepted (by the gateway) → delivered, or failed with its reason.
    sms_status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    sms_error: Mapped[str] = mapped_column(String(200), default="")
    sms_provider_id: Mapped[str | None] = mapped_column(String(64))
    sms_attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened: Mapped[bool] = mapped_column(default=False)
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    respondent: Mapped[Respondent] = relationship()
    campaign: Mapped[Campaign] = relationship()


class InvitationToken(db.Model):
    """A secret that opens an invitation: a link token or an access code, stored only as its SHA-256.

    Each SMS (the invitation, each reminder) may carry a new secret; all stay
    valid until the round closes.
    """

    __tablename__ = "invitation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # link | code
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

class InvitationSubmission(db.Model):
    """The mark that an invitation has been used. One row at most: the primary key enforces it.

    ``submission_key`` is the one-page survey's own id of the submission (made in the respondent's browser): a
    retry of the same submission after a lost response is recognised by it. It says nothing of the answers.
    """

    __tablename__ = "invitation_submissions"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    submission_key: Mapped[str | None] = mapped_column(String(32))


class SurveyDraft(db.Model):
    """Answers saved as the respondent goes, so a dropped connection loses nothing; deleted on submission."""

    __tablename__ = "survey_drafts"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
