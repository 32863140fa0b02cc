"""An enterprise's profile: what policy eligibility reads.

A profile belongs to an enterprise identified by its 统一社会信用代码 (USCC). It may be linked to a member of the
respondent pool (``respondent_id``) or stand alone: being matched for policies never puts anyone into the
evaluation draw's frame, which reads only ``respondents``. Each stored field's last update day is kept in
``field_updated`` so that a stale figure is recognised as such (``eligibility.fields``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.pool.models import Respondent


class EnterpriseProfile(db.Model):
    __tablename__ = "enterprise_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("respondents.id", ondelete="SET NULL"),
                                                      unique=True)
    industry: Mapped[str] = mapped_column(String(8), default="")  # GB/T 4754: C, C39, C391 or C3911
    size: Mapped[str] = mapped_column(String(4), default="")  # 大型 / 中型 / 小型 / 微型
    district: Mapped[str] = mapped_column(String(50), default="", index=True)
    registered_on: Mapped[date | None] = mapped_column()
    revenue: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    employees: Mapped[int | None] = mapped_column()
    tax_paid: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    rd_ratio: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # %
    # [{"name": "高新技术企业", "valid_to": "2027-12-31" or null}]
    qualifications: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {"revenue": "2026-03-31", ...}: the day each stored field was last set
    field_updated: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    contact_name: Mapped[str] = mapped_column(String(50), default="")
    # The contact's mobile: sealed like every phone (app.platform.phones); empty when the pool member's is used.
    contact_phone: Mapped[str] = mapped_column(String(255), default="")
    contact_phone_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    contact_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    # Set when the enterprise asked for no more policy messages (from its item page).
    push_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    respondent: Mapped[Respondent | None] = relationship()

    def record(self) -> dict[str, Any]:
        """The stored fields as plain values for ``eligibility.fields.build_facts`` (numbers as floats)."""
        def number(value):
            return None if value is None else float(value)
        return {
            "industry": self.industry or None, "size": self.size or None, "district": self.district or None,
            "registered_on": self.registered_on, "revenue": number(self.revenue), "employees": self.employees,
            "tax_paid": number(self.tax_paid), "rd_ratio": number(self.rd_ratio),
            "qualifications": [(q["name"], date.fromisoformat(q["valid_to"]) if q.get("valid_to") else None)
                               for q in self.qualifications or ()],
        }

    def updated_days(self) -> dict[str, date]:
        return {key: date.fromisoformat(day) for key, day in (self.field_updated or {}).items() if day}

    def __repr__(self) -> str:  # no name: reprs end up in logs
        return f"<EnterpriseProfile {self.id}>"
