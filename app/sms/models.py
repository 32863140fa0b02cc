"""What the SMS side keeps: the console backend's outbox and the per-number daily counts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class SmsOutbox(db.Model):
    """Messages of the console SMS backend (demo and development): what would have been sent."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    phone_masked: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))  # invitation | reminder
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

class SmsDailyCount(db.Model):
    """Messages sent to one number on one day, for the per-number daily cap (numbers as keyed hashes)."""

    __tablename__ = "sms_daily_counts"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
