"""The call-back check's tables: the check and its frozen frame, the calls (one per sampled case, with the hash of
its link), and the answers — which know no case and no person.

A check has a **purpose**: ``resolution`` (回访抽查: closed cases of every kind, claimed solved against confirmed
solved) or ``delivery`` (兑现回访: policy applications paid or delivered in the period, received or not). One
mechanism — frame, commitment, seed, draw, links, sealed answers — with one answer table per purpose
(``callback_answers``, ``callback_delivery_answers``), so that neither holds a column the other's questions need.

Two sides, as with a round (``app.rounds`` / ``app.responses``):

- the calling side knows the case: ``CallbackFrameMember`` (every case that could be drawn, frozen with the
  commitment) and ``CallbackCall`` (the drawn ones: which case, the hash of its link, whether the link was used);
- the answer side does not: ``CallbackAnswer`` holds the check, the department, whether the department had
  claimed the case solved, and the three answers — no case, no call, no time, a random id. An answer is first
  written to ``CallbackSealedAnswer`` in the transaction that marks its call used, and joins ``callback_answers``
  only in shuffled batches (``app.callbacks.answers.release``), so that neither order nor transaction betrays
  which call gave it. Marking a call used records *that* it was used, never what it answered.
"""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.platform.columns import UTCDateTime, random_id, utcnow


def _enum(cls, name: str, length: int = 12):
    return Enum(cls, native_enum=False, create_constraint=True, length=length, name=name)


class Purpose(str, enum.Enum):
    """What a check verifies."""

    resolution = "resolution"  # 回访抽查: closed cases, was it solved
    delivery = "delivery"  # 兑现回访: paid or delivered policy applications, was it received


class CheckStatus(str, enum.Enum):
    """frozen (frame and commitment) → seeded → drawn → closed (links stop, every answer released)."""

    frozen = "frozen"
    seeded = "seeded"
    drawn = "drawn"
    closed = "closed"


class Solved(str, enum.Enum):
    """Was it solved? (the raiser's word)"""

    yes = "yes"
    partly = "partly"
    no = "no"


CONFIRMED_SOLVED = frozenset({Solved.yes, Solved.partly})  # as 已解决 and 部分解决 count as solved


class Satisfied(str, enum.Enum):
    satisfied = "satisfied"
    basically = "basically"
    not_satisfied = "not_satisfied"


class Received(str, enum.Enum):
    """Did the enterprise receive what was paid or delivered? (its word)"""

    yes = "yes"
    partly = "partly"
    no = "no"


NOT_RECEIVED = frozenset({Received.partly, Received.no})  # the answers after which a follow-up may be asked for


class AmountRight(str, enum.Enum):
    """Was the amount right? ``not_money``: the item was a certificate, a reduction, a service."""

    yes = "yes"
    no = "no"
    not_money = "not_money"


class CallbackCheck(db.Model):
    """One call-back check of the cases closed in a period: its plan, its draw's evidence, its progress."""

    __tablename__ = "callback_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose, "callback_check_purpose", 12), default=Purpose.resolution,
                                             index=True)
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    __table_args__ = (CheckConstraint("minimum >= 1 AND maximum >= minimum", name="per_department_bounds"),)

    minimum: Mapped[int] = mapped_column()  # per department: fewer closed cases (or answers) = too few to judge
    maximum: Mapped[int] = mapped_column()  # per department: at most this many are called
    status: Mapped[CheckStatus] = mapped_column(_enum(CheckStatus, "callback_check_status"),
                                                default=CheckStatus.frozen, index=True)
    # The frozen frame: N_h per stratum ("<department code>|solved" or "|unsolved"), n_h, and what was left out.
    stratum_sizes: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    allocation: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # {department id: closed cases without a phone to call}: they cannot be drawn; the report says how many.
    without_phone: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    frame_size: Mapped[int] = mapped_column(default=0)
    commitment: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    seed: Mapped[str | None] = mapped_column(String(200))
    seed_source: Mapped[str | None] = mapped_column(String(16))  # typed | generated
    seeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seeded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    selected_count: Mapped[int] = mapped_column(default=0)
    selection_hash: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    frame: Mapped[list["CallbackFrameMember"]] = relationship(back_populates="check", cascade="all, delete-orphan")
    calls: Mapped[list["CallbackCall"]] = relationship(back_populates="check", order_by="CallbackCall.id",
                                                      cascade="all, delete-orphan")


class CallbackFrameMember(db.Model):
    """A case that could be drawn, as frozen with the commitment: its key (tracking number) and stratum."""

    __tablename__ = "callback_frame_members"

    check_id: Mapped[int] = mapped_column(ForeignKey("callback_checks.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(20))
    stratum: Mapped[str] = mapped_column(String(60))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    claimed_solved: Mapped[bool] = mapped_column()

    check: Mapped[CallbackCheck] = relationship(back_populates="frame")


class CallbackCall(db.Model):
    """A drawn case: whom the SMS went to is the case's raiser; the link's hash; whether it was used."""

    __tablename__ = "callback_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("callback_checks.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    stratum: Mapped[str] = mapped_column(String(60))
    claimed_solved: Mapped[bool] = mapped_column()
    inclusion_probability: Mapped[float] = mapped_column(Float)
    # SHA-256 of "callback:<token>"; a new SMS replaces it (the old link stops).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_failures: Mapped[int] = mapped_column(default=0)
    # That the link was used — never when, never with what answer.
    used: Mapped[bool] = mapped_column(default=False)
    # 兑现回访: the enterprise, having said it did not receive it (or only partly), asked the window to contact it.
    # Its own explicit consent to be known to the window; the answers themselves stay on the anonymous side.
    follow_up_requested: Mapped[bool] = mapped_column(default=False)

    check: Mapped[CallbackCheck] = relationship(back_populates="calls")


class CallbackSealedAnswer(db.Model):
    """A handed-in answer waiting to join ``callback_answers`` with others, in random order."""

    __tablename__ = "callback_sealed_answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    check_id: Mapped[int] = mapped_column(ForeignKey("callback_checks.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class CallbackAnswer(db.Model):
    """One raiser's answers: the check, the department, what the department claimed — and nothing that leads back."""

    __tablename__ = "callback_answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    check_id: Mapped[int] = mapped_column(ForeignKey("callback_checks.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    claimed_solved: Mapped[bool] = mapped_column()
    solved: Mapped[Solved] = mapped_column(_enum(Solved, "callback_solved", 8))
    satisfied: Mapped[Satisfied] = mapped_column(_enum(Satisfied, "callback_satisfied", 16))
    returns: Mapped[int] = mapped_column()  # times the raiser had to go back: 0, 1, 2, or 3 for "3 or more"

    __table_args__ = (CheckConstraint("returns BETWEEN 0 AND 3", name="returns_range"),)


class CallbackDeliveryAnswer(db.Model):
    """One enterprise's answers to a delivery check (兑现回访): the check, the department, the four answers — and
    nothing that leads back: no case, no call, no person, no time, no follow-up request."""

    __tablename__ = "callback_delivery_answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    check_id: Mapped[int] = mapped_column(ForeignKey("callback_checks.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    received: Mapped[Received] = mapped_column(_enum(Received, "callback_received", 8))
    amount_right: Mapped[AmountRight] = mapped_column(_enum(AmountRight, "callback_amount_right", 10))
    visits: Mapped[int] = mapped_column()  # times the enterprise came to a window: 0, 1, 2, or 3 for "3 or more"
    satisfied: Mapped[Satisfied] = mapped_column(_enum(Satisfied, "callback_satisfied", 16))

    __table_args__ = (CheckConstraint("visits BETWEEN 0 AND 3", name="visits_range"),)
