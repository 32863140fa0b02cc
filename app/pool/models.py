"""The respondent pool (主体样本库): the people the monthly sample is drawn from."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class RespondentCategory(db.Model):
    """A sampling stratum such as 四上企业. Configurable data: a city may add its own."""

    __tablename__ = "respondent_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)  # large_enterprise, sme, …
    label_zh: Mapped[str] = mapped_column(String(50), unique=True)
    label_en: Mapped[str] = mapped_column(String(80), default="")
    # How many members the pool should hold in this category (the composition table compares).
    target: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)

    def label(self, locale: str = "zh") -> str:
        return self.label_en if locale == "en" and self.label_en else self.label_zh

    def __repr__(self) -> str:
        return f"<RespondentCategory {self.key}>"


class MemberStatus(str, enum.Enum):
    """Only active members are eligible for a draw."""

    active = "active"
    paused = "paused"
    opted_out = "opted_out"


class Respondent(db.Model):
    """A pool member. Known to the platform by ``key`` (P000123), never by phone.

    ``phone`` holds the E.164 number, or its Fernet ciphertext when
    PHONE_ENCRYPTION_KEY is set; only the SMS gateway ever reads it.
    ``phone_hash`` (a keyed HMAC) finds members by phone and keeps numbers
    unique among active members; ``phone_masked`` (138****1234) is what pages,
    logs and exports show.
    """

    __tablename__ = "respondents"
    __table_args__ = (
        Index(
            "uq_respondents_active_phone",
            "phone_hash",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("respondent_categories.id"), index=True)
    district: Mapped[str] = mapped_column(String(50), default="", index=True)
    organisation: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(255))
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    status: Mapped[MemberStatus] = mapped_column(
        Enum(MemberStatus, native_enum=False, create_constraint=True, length=16, name="member_status"),
        default=MemberStatus.active,
        index=True,
    )
    status_changed_on: Mapped[date | None] = mapped_column()
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    # Set when `flask retention purge` erased the name, organisation and phone of a member who left the pool.
    erased_on: Mapped[date | None] = mapped_column()
    enrolled_on: Mapped[date] = mapped_column(default=date.today)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the draw needs: the exclusion window looks at the last round a member was drawn in.
    last_drawn_round_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    times_drawn: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[RespondentCategory] = relationship(lazy="joined")

    def __repr__(self) -> str:  # no name or phone: reprs end up in logs
        return f"<Respondent {self.key}>"


class StagedImport(db.Model):
    """An uploaded pool file between its preview and its commit; deleted after either."""

    __tablename__ = "staged_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The preview's findings (counts and the first errors), so the preview page needn't re-read the file.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
