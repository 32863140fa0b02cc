"""The verifiable draw: a frozen frame, its commitment, a seed, and the invitations it produced."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.campaign import Campaign
from app.models.types import UTCDateTime, utcnow


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

    respondent: Mapped["Respondent"] = relationship()  # noqa: F821
    campaign: Mapped[Campaign] = relationship()
