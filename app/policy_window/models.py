"""The policy window's tables: staff posted at a window, consultations, applications (a kind of case), payments,
and the 免申即享 batches.

An **application** (``PolicyCase``) is a case of the casework engine (kind ``policy``): accepting it assigns it to
the item's responsible department with the item's promised working days, so it reaches the liaison's one inbox,
is reminded and shows as overdue like every case. Its ``stage`` says where it is on the window's chain, finer than
the engine's status:

    draft ─▶ intake ─▶ (supplement ⇄ intake) ─▶ handling ─▶ review ─▶ approved ─▶ paid ─▶ delivered
      (online)          补正: one list, counted      department decides   window    payments     the enterprise
                                                  (rework → supplement) reviews              confirms receipt
    review ─▶ rejected (with the failed condition and its article) · any open stage ─▶ withdrawn
    consent (免申即享: the enterprise confirms, declines or corrects its data) ─▶ review | declined | intake

Every application belongs to one window; window staff see their window's only.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.casework.models import Case, CaseKind
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.policy.models import PolicyItem, PolicyItemVersion, PolicyMatchRun, PolicyWindow
from app.profiles.models import EnterpriseProfile


def _enum(cls, name: str, length: int = 16):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


class Channel(str, enum.Enum):
    window = "window"  # 窗口
    phone = "phone"  # 电话
    online = "online"  # 网上


class Origin(str, enum.Enum):
    window = "window"  # started by window staff
    online = "online"  # started by the enterprise from its link
    automatic = "automatic"  # 免申即享: from a reviewed match


class Stage(str, enum.Enum):
    draft = "draft"  # 填写中 (online, not yet handed in)
    consent = "consent"  # 待企业确认 (免申即享)
    intake = "intake"  # 窗口受理中
    supplement = "supplement"  # 待补正
    handling = "handling"  # 部门办理中
    review = "review"  # 窗口复核
    approved = "approved"  # 已批准，待兑现
    paid = "paid"  # 已兑现，待企业确认
    delivered = "delivered"  # 已确认到位
    rejected = "rejected"  # 不予批准
    declined = "declined"  # 企业放弃 (免申即享)
    withdrawn = "withdrawn"  # 已撤回


OPEN_STAGES = frozenset({Stage.draft, Stage.consent, Stage.intake, Stage.supplement, Stage.handling, Stage.review,
                         Stage.approved, Stage.paid})


class Decision(str, enum.Enum):
    approved = "approved"  # 批准
    partly = "partly"  # 部分批准
    rejected = "rejected"  # 不予批准
    rework = "rework"  # 退回补正


class Consent(str, enum.Enum):
    accepted = "accepted"  # 同意享受
    declined = "declined"  # 放弃
    correction = "correction"  # 信息有误，申请更正


class Receipt(str, enum.Enum):
    link = "link"  # the enterprise confirmed from its link
    phone = "phone"  # the window recorded a phone confirmation


class WindowPost(db.Model):
    """A window staff account's window (one per account): what it may see and where its intake belongs."""

    __tablename__ = "policy_window_posts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("policy_windows.id"), index=True)

    user: Mapped[User] = relationship()
    window: Mapped[PolicyWindow] = relationship()


class Consultation(db.Model):
    """A question asked at a window, by phone or online (集中咨询), and its answer."""

    __tablename__ = "policy_consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("policy_windows.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "policy_consultation_channel", 8))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("enterprise_profiles.id"), index=True)
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    item_id: Mapped[int | None] = mapped_column(ForeignKey("policy_items.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An online question: the number the answer goes to (sealed, hashed, masked) and the hash of its tracking link.
    phone: Mapped[str] = mapped_column(String(255), default="")
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The application it was turned into, if any.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("policy_cases.id"))

    window: Mapped[PolicyWindow] = relationship()
    profile: Mapped[EnterpriseProfile | None] = relationship()
    item: Mapped[PolicyItem | None] = relationship()
    answered_by: Mapped[User | None] = relationship()


class AutomaticBatch(db.Model):
    """A 免申即享 list: the eligible enterprises of a match, reviewed, each asked to confirm."""

    __tablename__ = "policy_automatic_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("policy_item_versions.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("policy_match_runs.id"))
    window_id: Mapped[int] = mapped_column(ForeignKey("policy_windows.id"))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The enterprises taken off the list before it was sent: [{"profile_id": 7, "reason": "已迁出本市"}]
    exclusions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[PolicyItemVersion] = relationship()
    run: Mapped[PolicyMatchRun] = relationship()
    window: Mapped[PolicyWindow] = relationship()
    created_by: Mapped[User | None] = relationship()


class PolicyCase(Case):
    """An enterprise's application for a policy item (or its 免申即享 entitlement): a case of the engine."""

    __tablename__ = "policy_cases"
    __mapper_args__ = {"polymorphic_identity": CaseKind.policy}

    id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("policy_item_versions.id"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("enterprise_profiles.id"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("policy_windows.id"), index=True)
    origin: Mapped[Origin] = mapped_column(_enum(Origin, "policy_case_origin", 10))
    stage: Mapped[Stage] = mapped_column(_enum(Stage, "policy_case_stage", 12), default=Stage.intake, index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("policy_automatic_batches.id"), index=True)
    # The figures the enterprise declared ({"revenue": 3200.0}), and the eligibility re-run on them, kept.
    declared: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    eligibility: Mapped[str] = mapped_column(String(12), default="")
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The version's checklist: [{"name": "营业执照复印件", "received": true}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # 一次性告知: how many times materials were asked for (each is another trip), and the open list.
    supplement_requests: Mapped[int] = mapped_column(default=0)
    supplement_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Times the enterprise came to the window for this case (intake and every hand-in of materials in person).
    visits: Mapped[int] = mapped_column(default=0)
    # The enterprise's tracking link (SHA-256 of its token) and the number its messages go to.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(255), default="")
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    # The department's decision and the window's review of it.
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision, "policy_case_decision", 10))
    approved_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # 万元
    amount_reason: Mapped[str] = mapped_column(Text, default="")  # why above the rule's amount or cap
    failed_rule: Mapped[int | None] = mapped_column()  # the index of the failed rule of a rejection
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 免申即享: the enterprise's answer to the offer.
    consent: Mapped[Consent | None] = mapped_column(_enum(Consent, "policy_case_consent", 10))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Non-money delivery (certificate issued, reduction applied), and the enterprise's confirmation of receipt.
    delivery_note: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receipt: Mapped[Receipt | None] = mapped_column(_enum(Receipt, "policy_case_receipt", 8))

    version: Mapped[PolicyItemVersion] = relationship(foreign_keys=[item_version_id])
    profile: Mapped[EnterpriseProfile] = relationship(foreign_keys=[profile_id])
    window: Mapped[PolicyWindow] = relationship(foreign_keys=[window_id])
    batch: Mapped[AutomaticBatch | None] = relationship(foreign_keys=[batch_id])
    payments: Mapped[list["PolicyPayment"]] = relationship(back_populates="case", order_by="PolicyPayment.id")

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0"))


class PolicyPayment(db.Model):
    """Money paid on an approved application (possibly in parts), drawn from the item's budget."""

    __tablename__ = "policy_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("policy_cases.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # 万元
    paid_on: Mapped[date] = mapped_column(index=True)
    voucher: Mapped[str] = mapped_column(String(100))  # 凭证号 / reference number
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # Recorded when this payment takes the item past its budget: who allowed it and why.
    over_budget_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[PolicyCase] = relationship(back_populates="payments")
    department: Mapped[Department] = relationship()


class PolicySmsCode(db.Model):
    """A one-time code sent to an enterprise profile's contact phone, so that it may start an application online
    from the public item page (USCC + code). Only a keyed hash of the code is kept; it expires, allows a few
    attempts, and all of the profile's codes go once one is used (as the real-time ratings' codes)."""

    __tablename__ = "policy_sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("enterprise_profiles.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
