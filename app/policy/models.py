"""The policy catalogue and what is done with it.

A **policy** (政策文件) is a document; its **items** (兑现事项) are what an enterprise can get. An item's content
lives in **versions**: a draft is edited in place; editing a published item makes the next version, which becomes
the published one. Every match and every push records the version it used, so that an old result still reads
the rules it was decided by. **Windows** (惠企政策兑现专窗) are where enterprises apply. **Investment promises**
(招商引资承诺) are owed to one enterprise by a due date.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.profiles.models import EnterpriseProfile
from eligibility.benefits import Benefit


def _enum(cls, name: str, length: int = 16):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


class PolicyLevel(str, enum.Enum):
    national = "national"  # 国家
    provincial = "provincial"  # 省
    city = "city"  # 市
    county = "county"  # 县区


class ItemKind(str, enum.Enum):
    grant = "grant"  # 资金奖补
    tax = "tax"  # 税费减免
    qualification = "qualification"  # 资质认定
    factor = "factor"  # 要素保障
    other = "other"  # 其他


class DeliveryMode(str, enum.Enum):
    automatic = "automatic"  # 免申即享: no application
    instant = "instant"  # 即申即享: granted on application
    review = "review"  # 申报审核: application and review


class ItemStatus(str, enum.Enum):
    draft = "draft"  # 草稿
    published = "published"  # 已发布
    expired = "expired"  # 已到期
    repealed = "repealed"  # 已废止


class PromiseStatus(str, enum.Enum):
    promised = "promised"  # 待兑现
    delivered = "delivered"  # 已兑现
    cancelled = "cancelled"  # 已撤销 (with a reason)


class PolicyWindow(db.Model):
    """A policy window in the city's or a county's government service centre."""

    __tablename__ = "policy_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    district: Mapped[str] = mapped_column(String(50), default="")  # empty: the city's window
    address: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")  # the window's public desk number
    sort_order: Mapped[int] = mapped_column(default=0)


class Policy(db.Model):
    __tablename__ = "policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(200))
    level: Mapped[PolicyLevel] = mapped_column(_enum(PolicyLevel, "policy_level"))
    doc_number: Mapped[str] = mapped_column(String(100), default="")  # 文号
    issued_on: Mapped[date | None] = mapped_column()
    valid_from: Mapped[date | None] = mapped_column()
    valid_to: Mapped[date | None] = mapped_column()
    source_url: Mapped[str] = mapped_column(String(500), default="")
    full_text: Mapped[str] = mapped_column(Text, default="")
    attachment_name: Mapped[str] = mapped_column(String(255), default="")
    attachment_type: Mapped[str] = mapped_column(String(100), default="")
    attachment: Mapped[bytes | None] = mapped_column(db.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list["PolicyItem"]] = relationship(back_populates="policy", order_by="PolicyItem.code")


class PolicyItem(db.Model):
    """A deliverable item of a policy; its content is in its versions."""

    __tablename__ = "policy_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. ZC-2026-012-01: readable, in CLI and links
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "policy_item_status"), default=ItemStatus.draft,
                                               index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("policy_item_versions.id", use_alter=True, name="fk_policy_items_current_version"))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    policy: Mapped[Policy] = relationship(back_populates="items")
    current: Mapped["PolicyItemVersion | None"] = relationship(foreign_keys=[current_version_id], post_update=True)
    versions: Mapped[list["PolicyItemVersion"]] = relationship(
        back_populates="item", foreign_keys="PolicyItemVersion.item_id", order_by="PolicyItemVersion.number")


class PolicyItemVersion(db.Model):
    """One version of an item's content. A published version is never edited: the next one is made instead."""

    __tablename__ = "policy_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("policy_items.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "policy_item_kind"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # What the enterprise gets (eligibility.benefits): fixed | rate | text
    benefit_kind: Mapped[str] = mapped_column(String(8), default="text")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    rate: Mapped[Decimal | None] = mapped_column(Numeric(7, 3))  # percent
    rate_base: Mapped[str] = mapped_column(String(32), default="")
    cap: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    benefit_text: Mapped[str] = mapped_column(String(500), default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # 万元
    mode: Mapped[DeliveryMode] = mapped_column(_enum(DeliveryMode, "policy_delivery_mode"))
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    promised_days: Mapped[int] = mapped_column(default=20)  # working days
    # [{"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上", "legal_ref": "第三条"}]
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # [{"label": "近三年无重大安全事故", "legal_ref": "第五条"}]
    reviews: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # For the public catalogue's filters: the sizes and industry sections it is meant for (empty: all).
    sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item: Mapped[PolicyItem] = relationship(back_populates="versions", foreign_keys=[item_id])
    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def benefit(self) -> Benefit:
        """What the enterprise gets, as the eligibility core computes it."""
        return Benefit(self.benefit_kind or "text", self.amount, self.rate, self.rate_base or "", self.cap,
                       self.benefit_text or "")


class PolicyMatchRun(db.Model):
    """An item version matched against every profile on one day, with the counts per result and district."""

    __tablename__ = "policy_match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("policy_item_versions.id"), index=True)
    as_of: Mapped[date] = mapped_column()
    profiles: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # {result: n}
    by_district: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)  # {district: {result: n}}
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[PolicyItemVersion] = relationship()
    run_by: Mapped[User | None] = relationship()


class PolicyMatchResult(db.Model):
    """One enterprise's result in a run, with the trace it was decided by."""

    __tablename__ = "policy_match_results"
    __table_args__ = (UniqueConstraint("run_id", "profile_id"), Index("ix_policy_match_results_run_result",
                                                                     "run_id", "result"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("policy_match_runs.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("enterprise_profiles.id", ondelete="CASCADE"), index=True)
    result: Mapped[str] = mapped_column(String(12))  # eligibility.evaluation.Result
    # [{"index": 0, "state": "holds", "values": {"revenue": 2500.0}, "missing": [], "stale": []}, ...]
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    run: Mapped[PolicyMatchRun] = relationship()
    profile: Mapped[EnterpriseProfile] = relationship()


class PolicyPush(db.Model):
    """One sending of an item version to the enterprises a match found, with its criteria and counts."""

    __tablename__ = "policy_pushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("policy_item_versions.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("policy_match_runs.id"))
    # {"results": ["eligible", "likely"], "districts": [], "ask_missing": false}
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {"selected", "sent", "already", "opted_out", "no_phone", "capped", "failed"}
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[PolicyItemVersion] = relationship()
    run: Mapped[PolicyMatchRun] = relationship()
    sent_by: Mapped[User | None] = relationship()


class PolicyNotice(db.Model):
    """One message of a push to one enterprise, and its personal link (kept as a hash, expiring).

    Unique per item version and enterprise: the same version is never pushed twice to one enterprise.
    """

    __tablename__ = "policy_notices"
    __table_args__ = (UniqueConstraint("item_version_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("policy_pushes.id"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("policy_item_versions.id"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("enterprise_profiles.id", ondelete="CASCADE"), index=True)
    match_result_id: Mapped[int] = mapped_column(ForeignKey("policy_match_results.id"))
    result: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    push: Mapped[PolicyPush] = relationship()
    version: Mapped[PolicyItemVersion] = relationship()
    profile: Mapped[EnterpriseProfile] = relationship()
    match: Mapped[PolicyMatchResult] = relationship()


class InvestmentPromise(db.Model):
    """A concession promised to one investor (招商引资承诺), owed by a department by a due date."""

    __tablename__ = "investment_promises"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("enterprise_profiles.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元; None for a non-money promise
    due_on: Mapped[date] = mapped_column(index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[PromiseStatus] = mapped_column(_enum(PromiseStatus, "investment_promise_status"),
                                                  default=PromiseStatus.promised)
    delivered_on: Mapped[date | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[EnterpriseProfile] = relationship()
    department: Mapped[Department] = relationship()
