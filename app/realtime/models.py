"""Real-time ratings (实时评价) at service points: the points, the ratings, and the follow-up of 差评.

A rating is anonymous: no name, no phone (unless the rater chose SMS
verification or asked to be called back, and then only keyed hashes or the
sealed number on the follow-up task), a random id. What it keeps for abuse
resistance is a keyed hash of the client address, which says "the same client"
without saying who. The device (or verified phone) a rating came from is not on
the rating at all: the one-a-day rule uses ``RealtimeSeenDevice``, today's marks
only (issue 24, finding 8).
"""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.casework.deadlines import Deadline
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, random_id, utcnow

# The national 好差评 scale: 5 非常满意 … 1 非常不满意; 2 and 1 are 差评.
LEVEL_SCORES = {5: 100.0, 4: 80.0, 3: 60.0, 2: 40.0, 1: 20.0}
BAD_LEVEL = 2
DIMENSIONS = ("overall", "efficiency", "competence", "attitude")


def random_slug() -> str:
    return secrets.token_urlsafe(9)


class ServicePointKind(str, enum.Enum):
    """Where people are served: a window (窗口), a hall (大厅), a hotline (热线)."""

    window = "window"
    hall = "hall"
    hotline = "hotline"


class ServicePoint(db.Model):
    """A place where a department serves people; its poster's QR code opens its public rating page."""

    __tablename__ = "service_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # The public URL carries the slug, not the id: points cannot be enumerated from their addresses.
    slug: Mapped[str] = mapped_column(String(16), unique=True, default=random_slug)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ServicePointKind] = mapped_column(
        Enum(ServicePointKind, native_enum=False, create_constraint=True, length=16, name="service_point_kind"),
        default=ServicePointKind.window,
    )
    location: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(50), default="")
    # Items offered here, one per line, for the optional "service item" choice on the rating page.
    service_items: Mapped[str] = mapped_column(Text, default="")
    require_sms_code: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department] = relationship()

    @property
    def item_list(self) -> list[str]:
        return [line.strip() for line in (self.service_items or "").splitlines() if line.strip()]

    @staticmethod
    def ordered():
        """Service points by department order, then code."""
        return (select(ServicePoint).join(ServicePoint.department)
                .order_by(Department.sort_order, Department.code, ServicePoint.code))


class RealtimeRating(db.Model):
    """One rating at one service point: four 好差评 levels, an optional comment and service item."""

    __tablename__ = "realtime_ratings"
    __table_args__ = (
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall_level"),
        CheckConstraint("efficiency IS NULL OR efficiency BETWEEN 1 AND 5", name="efficiency_level"),
        CheckConstraint("competence IS NULL OR competence BETWEEN 1 AND 5", name="competence_level"),
        CheckConstraint("attitude IS NULL OR attitude BETWEEN 1 AND 5", name="attitude_level"),
        Index("ix_realtime_ratings_point_created", "service_point_id", "created_at"),
        Index("ix_realtime_ratings_department_created", "department_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    # Kept beside the point so that the channel's numbers stay with the department the point belonged to.
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    overall: Mapped[int] = mapped_column(SmallInteger)
    efficiency: Mapped[int | None] = mapped_column(SmallInteger)
    competence: Mapped[int | None] = mapped_column(SmallInteger)  # 服务水平
    attitude: Mapped[int | None] = mapped_column(SmallInteger)
    service_item: Mapped[str] = mapped_column(String(200), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A keyed hash (HMAC with the secret key): "same client address", never who. No device and no phone: the
    # one-a-day rule keeps day-keyed marks of those apart from the ratings (RealtimeSeenDevice, finding 8).
    client_hash: Mapped[str] = mapped_column(String(32), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    flag_reason: Mapped[str] = mapped_column(String(64), default="")
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded_reason: Mapped[str] = mapped_column(String(200), default="")
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    service_point: Mapped[ServicePoint] = relationship()
    department: Mapped[Department] = relationship()
    follow_up: Mapped["FollowUpTask | None"] = relationship(back_populates="rating", uselist=False)

    def levels(self) -> dict[str, int]:
        """The dimensions the rater answered."""
        return {name: getattr(self, name) for name in DIMENSIONS if getattr(self, name) is not None}

    @property
    def score(self) -> float:
        """The rating on the 0–100 scale: the mean of its answered dimensions."""
        values = [LEVEL_SCORES[v] for v in self.levels().values()]
        return sum(values) / len(values)

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 or 非常不满意 on any dimension."""
        return min(self.levels().values()) <= BAD_LEVEL


class FollowUpStatus(str, enum.Enum):
    open = "open"
    done = "done"


class FollowUpTask(Deadline, db.Model):
    """What the department did about a 差评, due within a number of working days."""

    __tablename__ = "realtime_follow_ups"
    # A case of casework: open until the department records what it did (``overdue``, ``on_time``: Deadline).
    WAITING, ANSWERED, ANSWERED_AT = FollowUpStatus.open, FollowUpStatus.done, "completed_at"

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[str] = mapped_column(ForeignKey("realtime_ratings.id"), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column()
    status: Mapped[FollowUpStatus] = mapped_column(
        Enum(FollowUpStatus, native_enum=False, create_constraint=True, length=8, name="follow_up_status"),
        default=FollowUpStatus.open, index=True,
    )
    # A number the rater left to be called back (sealed like pool phones); shown to the department only.
    callback_phone: Mapped[str] = mapped_column(String(255), default="")
    callback_phone_masked: Mapped[str] = mapped_column(String(20), default="")
    action_taken: Mapped[str] = mapped_column(Text, default="")
    contacted: Mapped[bool | None] = mapped_column(Boolean)
    rectified: Mapped[bool | None] = mapped_column(Boolean)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rating: Mapped[RealtimeRating] = relationship(back_populates="follow_up")
    department: Mapped[Department] = relationship()


class RealtimeSmsCode(db.Model):
    """A one-time code sent to a rater's phone for a point that requires SMS verification."""

    __tablename__ = "realtime_sms_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), index=True)
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used: Mapped[bool] = mapped_column(default=False)


class RealtimeSeenDevice(db.Model):
    """A device (or verified phone) that rated a service point today: the one-a-day rule's memory, nothing more.

    ``mark`` is an HMAC of the day's random device id and the point under a key of that day alone, so a
    device's marks differ from point to point and from day to day, and nothing here names a rating (no
    rating id, no time). Rows of past days are deleted (lazily with the next rating, and by the retention
    job): a day later nothing is left that could link two ratings (issue 24, finding 8).
    """

    __tablename__ = "realtime_seen_devices"
    __table_args__ = (PrimaryKeyConstraint("service_point_id", "day", "mark"),
                      Index("ix_realtime_seen_devices_day", "day"))

    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    day: Mapped[date] = mapped_column()  # the local (Asia/Shanghai) calendar day
    mark: Mapped[str] = mapped_column(String(64))
