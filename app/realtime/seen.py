"""Today's devices (and phones) per service point: the one-rating-a-day rule without a lasting identifier.

The rating page's cookie holds a random device id that lives until the end of the local day (the
cookie expires at midnight, Asia/Shanghai, and a cookie of an earlier day starts a new id). The server
remembers "this device rated this point today" as a mark: an HMAC of the point and the device id under
a key of the day alone (derived from SECRET_KEY and the date). Marks are kept in their own table, never
on the rating, and deleted once their day is over. So a device's two ratings on two days, or at two
points, share nothing in the database (issue 24, finding 8). A point that verifies raters by SMS marks the
phone the same way (``phone_key``), so its ratings do not carry the phone's hash either.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.platform import security
from app.platform.calendar import day_bounds, local_today
from app.platform.columns import utcnow
from app.realtime.models import RealtimeSeenDevice, ServicePoint


def phone_key(phone_hash: str) -> str:
    """What a verified phone is remembered by (no device id has a colon: they are URL-safe tokens)."""
    return f"phone:{phone_hash}"


def mark(point: ServicePoint, device_id: str, day: date) -> str:
    """The day's mark of a device (or ``phone_key``) at a point: a keyed hash under that day's own key."""
    return security.keyed_hash(f"realtime:seen-device:{day.isoformat()}", f"{point.id}:{device_id}", 64)


def seen_today(point: ServicePoint, device_id: str) -> bool:
    """Whether this device (or ``phone_key``) has rated this point today."""
    today = local_today()
    return db.session.scalar(select(RealtimeSeenDevice.mark).where(
        RealtimeSeenDevice.service_point_id == point.id, RealtimeSeenDevice.day == today,
        RealtimeSeenDevice.mark == mark(point, device_id, today))) is not None


def remember(point: ServicePoint, device_id: str) -> bool:
    """Record that this device rated this point today; False if it had already (two submissions at once).

    Also drops the marks of past days, so that they go even when the retention job does not run.
    """
    today = local_today()
    forget_before(today)
    try:
        with db.session.begin_nested():
            db.session.add(RealtimeSeenDevice(service_point_id=point.id, day=today,
                                              mark=mark(point, device_id, today)))
    except IntegrityError:
        return False
    return True


def forget_before(day: date) -> int:
    """Delete the marks of the days before ``day``; the number deleted."""
    result = db.session.execute(delete(RealtimeSeenDevice).where(RealtimeSeenDevice.day < day)
                                .execution_options(synchronize_session=False))
    return result.rowcount or 0


def end_of_today() -> datetime:
    """When the local day ends (UTC): the device cookie's expiry."""
    return day_bounds(local_today())[1]


def seconds_left_today() -> int:
    """Seconds until the local day ends (at least one), the device cookie's Max-Age."""
    return max(1, int((end_of_today() - utcnow()) // timedelta(seconds=1)))
