"""Monthly rounds (月度评价), called campaigns in code to keep "round" free for arithmetic."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


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
    departments: Mapped[list["Department"]] = relationship(  # noqa: F821
        secondary=campaign_departments, order_by="Department.sort_order")
    questionnaire_version: Mapped["QuestionnaireVersion | None"] = relationship()  # noqa: F821

    @property
    def current_draw(self):
        """The draw that counts: the latest one not voided, if any."""
        live = [d for d in self.draws if d.status.value != "voided"]
        return live[-1] if live else None

    def __repr__(self) -> str:
        return f"<Campaign {self.month} {self.status.value}>"
