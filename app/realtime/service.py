"""Real-time ratings: service points and their posters, rating with its abuse rules, follow-up of 差评,
review of flagged bursts, reports, and the channel's per-department numbers for the assessment.
"""
from __future__ import annotations

import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import segno
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, and_, case, delete, func, or_, select

from app.audit import service as audit
from app.casework.deadlines import due_date
from app.casework.figures import CaseFigures, figures_by_department
from app.departments.models import Department
from app.extensions import db
from app.platform import security, small_groups
from app.platform.calendar import day_bounds, local_today, period_bounds
from app.platform.columns import utcnow
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.realtime import seen
from app.realtime.models import (
    BAD_LEVEL,
    DIMENSIONS,
    LEVEL_SCORES,
    FollowUpStatus,
    FollowUpTask,
    RealtimeRating,
    RealtimeSmsCode,
    ServicePoint,
    ServicePointKind,
)
from app.sms.notify import send_one


class RatingError(ValueError):
    """A user-facing reason why a rating or a staff change is refused."""


class AlreadyRated(Exception):
    """This device (or phone) has already rated this service point today."""


class TooManyRatings(RatingError):
    """One client address has rated too much: this point today, or any points in the last minute (finding 8)."""


# --------------------------------------------------------------------------- service points

def create_point(department: Department, *, code: str, name: str, kind: str, location: str = "",
                 district: str = "", service_items: str = "", require_sms_code: bool = False) -> ServicePoint:
    """Add a service point; its public address gets a random slug."""
    code = code.strip().upper()
    if db.session.scalar(select(ServicePoint.id).where(ServicePoint.code == code)) is not None:
        raise RatingError(_("A service point with this code exists already."))
    point = ServicePoint(department=department, code=code, name=name.strip(), kind=ServicePointKind(kind),
                         location=location.strip(), district=district.strip(), service_items=service_items.strip(),
                         require_sms_code=require_sms_code)
    db.session.add(point)
    db.session.flush()
    audit.record("realtime.point.create", f"service_point:{point.code}", {"department": department.code})
    return point


def update_point(point: ServicePoint, **changes) -> list[str]:
    """Change a point's details; returns the changed field names (audited)."""
    changed = []
    for name, value in changes.items():
        if name == "kind":
            value = ServicePointKind(value)
        elif isinstance(value, str):
            value = value.strip()
        if getattr(point, name) != value:
            setattr(point, name, value)
            changed.append(name)
    if changed:
        audit.record("realtime.point.update", f"service_point:{point.code}", {"fields": changed})
    return changed


def point_by_slug(slug: str) -> ServicePoint | None:
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.slug == slug))
    return point if point is not None and point.active and point.department.active else None


def qr_code(url: str):
    """The QR code of a rating URL (error correction M: survives a scratched poster)."""
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="svg", scale=8, border=2, xmldecl=True)
    return buffer.getvalue()


def qr_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def qr_data_uri(url: str) -> str:
    """The QR code as an SVG data URI for the printable poster (CSP allows data: images)."""
    return qr_code(url).svg_data_uri(scale=8, border=2)


# --------------------------------------------------------------------------- client identity, kept as keyed hashes

def keyed_hash(kind: str, value: str, length: int = 32) -> str:
    """app.platform.security.keyed_hash for one of the real-time channel's purposes (devices, clients, raters' numbers)."""
    return security.keyed_hash(f"realtime:{kind}", value, length)


def rater_phone_hash(point: "ServicePoint", e164: str) -> str:
    """A rater's number as this point's SMS codes need it: a hash of its own, under its own key, so that it can
    never be joined to the pool's or the complaints' phone hashes. The rating does not keep it (the page promises
    the number is not kept with the rating); the one-a-day rule keeps only a day-keyed mark of it (app.realtime.seen)."""
    return keyed_hash("rater-phone", f"{point.id}:{e164}", 64)


DEVICE_COOKIE = "bkb_rt"


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="realtime-device")


@dataclass
class Device:
    """What the signed device cookie says: a random device id of today, and the points it rated today.

    The id lives one local day: the cookie expires at midnight and a cookie of another day starts a new
    device, so no id outlives the day (issue 24, finding 8).
    """

    device_id: str
    rated: dict[str, str]

    def rated_today(self, point: ServicePoint) -> bool:
        return self.rated.get(point.slug) == local_today().isoformat()

    def mark(self, point: ServicePoint) -> None:
        today = local_today().isoformat()
        # Only today's marks matter: drop older ones so the cookie stays small.
        self.rated = {slug: day for slug, day in self.rated.items() if day == today}
        self.rated[point.slug] = today

    def dumps(self) -> str:
        return _device_serializer().dumps({"d": self.device_id, "r": self.rated, "t": local_today().isoformat()})


def load_device(cookie: str | None) -> Device:
    """The device from its cookie; a missing, tampered or yesterday's cookie starts a new device."""
    if cookie:
        try:
            data = _device_serializer().loads(cookie)
            if (isinstance(data, dict) and isinstance(data.get("d"), str) and isinstance(data.get("r"), dict)
                    and data.get("t") == local_today().isoformat()):
                return Device(data["d"][:64], {str(k): str(v) for k, v in data["r"].items()})
        except BadSignature:
            pass
    return Device(secrets.token_urlsafe(16), {})


# --------------------------------------------------------------------------- SMS one-time codes

def send_code(point: ServicePoint, phone: str) -> None:
    """Send a one-time code to ``phone`` for rating ``point``; RatingError for a bad number."""
    try:
        e164 = normalise(phone)
    except PhoneError:
        raise RatingError(_("Not a valid mainland China mobile number.")) from None
    code = f"{secrets.randbelow(10**6):06d}"
    config = current_app.config
    record = RealtimeSmsCode(
        service_point_id=point.id, phone_hash=rater_phone_hash(point, e164),
        code_hash=keyed_hash("sms-code", f"{e164}:{code}", 64),
        expires_at=utcnow() + timedelta(minutes=config["REALTIME_SMS_CODE_TTL_MINUTES"]))
    db.session.add(record)
    db.session.flush()
    sent = send_one(e164, kind="rating_code", template_code=config["REALTIME_SMS_TEMPLATE_CODE"],
                    template_text=config["REALTIME_SMS_TEMPLATE_TEXT"], params={"code": code},
                    reference=f"rt{record.id}")
    if not sent:
        raise RatingError(_("The code could not be sent. Please try again later."))


def check_code(point: ServicePoint, phone: str, code: str) -> str:
    """The phone's lookup hash when ``code`` is the latest valid one sent to it for this point; else RatingError."""
    try:
        e164 = normalise(phone)
    except PhoneError:
        raise RatingError(_("Not a valid mainland China mobile number.")) from None
    phone_hash = rater_phone_hash(point, e164)
    record = db.session.scalar(
        select(RealtimeSmsCode).where(RealtimeSmsCode.service_point_id == point.id,
                                      RealtimeSmsCode.phone_hash == phone_hash, RealtimeSmsCode.used.is_(False))
        .order_by(RealtimeSmsCode.id.desc()).limit(1))
    if record is None or record.expires_at < utcnow() or record.attempts >= 5:
        raise RatingError(_("The code is wrong or has expired. Ask for a new one."))
    record.attempts += 1
    if not hmac.compare_digest(record.code_hash, keyed_hash("sms-code", f"{e164}:{(code or '').strip()}", 64)):
        db.session.commit()  # the failed attempt counts even though the rating is refused
        raise RatingError(_("The code is wrong or has expired. Ask for a new one."))
    # Used up: the phone's codes for this point go with the rating's transaction (kept, their times and the
    # phone's hash would tie this rating to the phone's other ones; issue 24, finding 8).
    db.session.execute(delete(RealtimeSmsCode).where(RealtimeSmsCode.service_point_id == point.id,
                                                     RealtimeSmsCode.phone_hash == phone_hash)
                       .execution_options(synchronize_session=False))
    return phone_hash


# --------------------------------------------------------------------------- rating

def submit_rating(point: ServicePoint, levels: dict[str, int | None], *, comment: str = "", service_item: str = "",
                  client: str, device: Device, phone_hash: str | None = None,
                  callback_phone: str = "") -> RealtimeRating:
    """Record a rating, flag bursts, and open a follow-up task for a 差评. The caller commits.

    Raises RatingError (the comment rule, an invalid level), TooManyRatings (the
    client address's limits) or AlreadyRated (this device or phone rated this point today).
    """
    answered = {name: int(levels[name]) for name in DIMENSIONS if levels.get(name) not in (None, "")}
    if "overall" not in answered or any(v not in LEVEL_SCORES for v in answered.values()):
        raise RatingError(_("Choose a level for overall satisfaction."))
    comment = (comment or "").strip()
    bad = min(answered.values()) <= BAD_LEVEL
    if bad and len(comment) < 5:
        raise RatingError(_("Please tell us what went wrong (at least 5 characters): the department must follow "
                            "up every dissatisfied rating."))
    # Who rated today is remembered apart from the ratings, by day-keyed marks (issue 24, finding 8).
    raters = [device.device_id] + ([seen.phone_key(phone_hash)] if phone_hash else [])
    if device.rated_today(point) or any(seen.seen_today(point, rater) for rater in raters):
        raise AlreadyRated()
    client_hash = keyed_hash("client", client)
    check_client_limits(point, client_hash)
    item = service_item.strip()[:200]
    if item and point.item_list and item not in point.item_list:
        item = ""
    if not all([seen.remember(point, rater) for rater in raters]):
        raise AlreadyRated()  # the same device or phone submitted twice at once: the first one counts
    rating = RealtimeRating(service_point=point, department_id=point.department_id, comment=comment[:2000],
                            service_item=item, client_hash=client_hash, created_at=utcnow(), **answered)
    db.session.add(rating)
    db.session.flush()
    flag_bursts(rating)
    if bad:
        open_follow_up(rating, callback_phone)
    device.mark(point)
    return rating


def check_client_limits(point: ServicePoint, client_hash: str) -> None:
    """Limits that do not rely on the device cookie (issue 24, finding 8): one client address may rate a point
    only so often a day, and all points only so often a minute. Raises TooManyRatings."""
    config = current_app.config
    today_start, _end = day_bounds(local_today())
    by_client = select(func.count()).select_from(RealtimeRating).where(RealtimeRating.client_hash == client_hash)
    at_point = db.session.scalar(by_client.where(RealtimeRating.service_point_id == point.id,
                                                 RealtimeRating.created_at >= today_start)) or 0
    if at_point >= config["REALTIME_CLIENT_POINT_DAILY_MAX"]:
        raise TooManyRatings(_("Too many ratings of this service point have come from your network today. "
                               "Please rate it again tomorrow."))
    last_minute = db.session.scalar(by_client.where(
        RealtimeRating.created_at > utcnow() - timedelta(minutes=1))) or 0
    if last_minute >= config["REALTIME_CLIENT_PER_MINUTE_MAX"]:
        raise TooManyRatings(_("Too many ratings have come from your network in the last minute. "
                               "Please wait a minute and try again."))


def flag_bursts(rating: RealtimeRating) -> None:
    """Flag the rating, and the burst it belongs to, when one client or one point rates too much too fast."""
    config = current_app.config
    rules = [
        ("client_burst", RealtimeRating.client_hash == rating.client_hash,
         config["REALTIME_BURST_CLIENT_COUNT"], config["REALTIME_BURST_CLIENT_MINUTES"]),
        ("point_burst", RealtimeRating.service_point_id == rating.service_point_id,
         config["REALTIME_BURST_POINT_COUNT"], config["REALTIME_BURST_POINT_MINUTES"]),
    ]
    for reason, condition, count, minutes in rules:
        since = rating.created_at - timedelta(minutes=minutes)
        burst = list(db.session.scalars(select(RealtimeRating).where(
            condition, RealtimeRating.created_at >= since, RealtimeRating.created_at <= rating.created_at)))
        if len(burst) >= count:
            for member in burst:
                if not member.flagged:
                    member.flagged, member.flag_reason, member.reviewed = True, reason, False


def open_follow_up(rating: RealtimeRating, callback_phone: str = "") -> FollowUpTask:
    """A task for the department, due in the configured number of working days."""
    days = current_app.config["REALTIME_FOLLOW_UP_WORKDAYS"]
    task = FollowUpTask(rating=rating, department_id=rating.department_id, opened_at=rating.created_at,
                        due_on=due_date(rating.created_at, days))
    if callback_phone.strip():
        try:
            e164 = normalise(callback_phone)
        except PhoneError:
            raise RatingError(_("Not a valid mainland China mobile number.")) from None
        task.callback_phone, task.callback_phone_masked = current_vault().seal(e164), mask(e164)
    db.session.add(task)
    return task


# --------------------------------------------------------------------------- staff: review and follow-up

def exclude(rating: RealtimeRating, reason: str, actor=None) -> None:
    """Leave a rating out of every figure, with the recorded reason."""
    reason = (reason or "").strip()
    if not reason:
        raise RatingError(_("Give the reason for excluding the rating."))
    rating.excluded, rating.excluded_reason, rating.reviewed = True, reason[:200], True
    rating.excluded_at = utcnow()
    rating.excluded_by_id = actor.id if actor is not None else None
    audit.record("realtime.exclude", f"realtime_rating:{rating.id}",
                 {"reason": rating.excluded_reason, "flag": rating.flag_reason}, actor=actor)


def include(rating: RealtimeRating, actor=None) -> None:
    """Undo an exclusion (audited)."""
    rating.excluded, rating.excluded_at, rating.excluded_by_id = False, None, None
    audit.record("realtime.include", f"realtime_rating:{rating.id}", {"previous_reason": rating.excluded_reason},
                 actor=actor)
    rating.excluded_reason = ""


def keep(rating: RealtimeRating, actor=None) -> None:
    """Mark a flagged rating as reviewed and genuine."""
    rating.reviewed = True
    audit.record("realtime.keep", f"realtime_rating:{rating.id}", {"flag": rating.flag_reason}, actor=actor)


def reveal_callback(task: FollowUpTask, actor=None) -> str:
    """The number a dissatisfied rater left to be called back on; every reveal is audited."""
    if not task.callback_phone:
        return ""
    audit.record("realtime.callback_reveal", f"follow_up:{task.id}", {"department_id": task.department_id},
                 actor=actor)
    return current_vault().open(task.callback_phone)


def complete_follow_up(task: FollowUpTask, *, action_taken: str, contacted: bool, rectified: bool,
                       actor=None) -> None:
    """The department records what it did, whether it reached the person and whether it put things right."""
    if task.status == FollowUpStatus.done:
        raise RatingError(_("This follow-up has been completed already."))
    if len((action_taken or "").strip()) < 5:
        raise RatingError(_("Describe what the department did (at least 5 characters)."))
    task.action_taken, task.contacted, task.rectified = action_taken.strip()[:4000], contacted, rectified
    task.status, task.completed_at = FollowUpStatus.done, utcnow()
    task.completed_by_id = actor.id if actor is not None else None
    audit.record("realtime.follow_up.complete", f"follow_up:{task.id}",
                 {"department_id": task.department_id, "contacted": contacted, "rectified": rectified,
                  "on_time": task.on_time}, actor=actor)


def rating_query(department_id: int | None = None, point_id: int | None = None, flagged: bool = False,
                 bad: bool = False) -> Select:
    """Ratings, newest first, filtered as the admin list asks."""
    query = select(RealtimeRating).order_by(RealtimeRating.created_at.desc())
    if department_id:
        query = query.where(RealtimeRating.department_id == department_id)
    if point_id:
        query = query.where(RealtimeRating.service_point_id == point_id)
    if flagged:
        query = query.where(RealtimeRating.flagged.is_(True))
    if bad:
        query = query.where(RealtimeRating.follow_up.has())
    return query


def follow_up_query(department_id: int | None = None, status: str = "", overdue: bool = False) -> Select:
    """Follow-up tasks, open ones and the oldest deadlines first."""
    query = select(FollowUpTask).order_by(FollowUpTask.status, FollowUpTask.due_on, FollowUpTask.id)
    if department_id:
        query = query.where(FollowUpTask.department_id == department_id)
    if status in FollowUpStatus.__members__:
        query = query.where(FollowUpTask.status == FollowUpStatus(status))
    if overdue:
        query = query.where(FollowUpTask.overdue(local_today()))
    return query


def pending_review_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RealtimeRating).where(
        RealtimeRating.flagged.is_(True), RealtimeRating.reviewed.is_(False))) or 0


# --------------------------------------------------------------------------- reports and the channel's numbers

@dataclass(frozen=True)
class ChannelScore:
    """A department's real-time channel for a period: mean on 0–100, count, and the shrunk mean."""

    department_id: int
    count: int
    mean: float | None
    shrunk_mean: float | None


def _included_in(start: date, end: date) -> list:
    lo, hi = period_bounds(start, end)
    # A flagged rating counts only once an admin has reviewed and kept it: until then it may be stuffing.
    return [RealtimeRating.created_at >= lo, RealtimeRating.created_at < hi, RealtimeRating.excluded.is_(False),
            or_(RealtimeRating.flagged.is_(False), RealtimeRating.reviewed.is_(True))]


def _rating_score_expression():
    """A rating's score in SQL: the mean of its answered dimensions mapped 5→100 … 1→20."""
    parts = [getattr(RealtimeRating, name) for name in DIMENSIONS]
    total = sum(func.coalesce(part, 0) for part in parts)
    answered = sum(func.coalesce(part * 0 + 1, 0) for part in parts)
    # level → score is linear (20 × level), so the mean of scores is 20 × the mean of levels.
    return 20.0 * total / answered


def channel_scores(start: date, end: date, prior_weight: float | None = None) -> dict[int, ChannelScore]:
    """Per department, the real-time ratings of the local dates ``start``…``end`` (inclusive), excluded ones left out.

    ``mean`` is the plain mean of the ratings' scores (a rating's score is the mean
    of its answered dimensions on the 100/80/60/40/20 scale). ``shrunk_mean`` is the
    Bayesian average (n·mean + w·city mean) / (n + w), where the city mean pools every
    included rating of the period and w is ``prior_weight`` (REALTIME_PRIOR_WEIGHT by
    default; 0 turns shrinkage off). Departments without ratings are absent.
    """
    weight = current_app.config["REALTIME_PRIOR_WEIGHT"] if prior_weight is None else float(prior_weight)
    if weight < 0:
        raise ValueError("prior_weight must not be negative")
    score = _rating_score_expression()
    rows = db.session.execute(
        select(RealtimeRating.department_id, func.count(), func.sum(score))
        .where(*_included_in(start, end)).group_by(RealtimeRating.department_id)).all()
    total_n = sum(n for _d, n, _s in rows)
    city_mean = sum(float(s) for _d, _n, s in rows) / total_n if total_n else None
    result = {}
    for department_id, n, total in rows:
        mean = float(total) / n
        shrunk = (n * mean + weight * city_mean) / (n + weight)
        result[department_id] = ChannelScore(department_id, n, round(mean, 4), round(shrunk, 4))
    return result


def city_mean(start: date, end: date) -> float | None:
    """The mean score of every included rating of the period."""
    score = _rating_score_expression()
    value = db.session.scalar(select(func.avg(score)).where(*_included_in(start, end)))
    return None if value is None else round(float(value), 4)


@dataclass
class FollowUpStats(CaseFigures):
    """Follow-up of 差评 for a department (or the city): how many, done, on time, rectified, overdue."""

    rectified: int = 0
    contacted: int = 0

    @property
    def done(self) -> int:
        """Follow-ups the department has completed."""
        return self.answered

    @property
    def rectification_rate(self) -> float | None:
        """Put right, among the completed follow-ups."""
        return self.rectified / self.done if self.done else None

    def count(self, case: FollowUpTask, today: date) -> None:
        """Add one follow-up as it stands on ``today``."""
        super().count(case, today)
        if case.answered:
            self.rectified += bool(case.rectified)
            self.contacted += bool(case.contacted)


def follow_up_stats(start: date, end: date) -> dict[int | None, FollowUpStats]:
    """Per department id (and None for the whole city), the follow-up of the 差评 opened in the period."""
    lo, hi = period_bounds(start, end)
    tasks = db.session.scalars(select(FollowUpTask).join(FollowUpTask.rating).where(
        FollowUpTask.opened_at >= lo, FollowUpTask.opened_at < hi, RealtimeRating.excluded.is_(False)))
    figures = figures_by_department(tasks, local_today(), FollowUpStats)
    # The city's line is there only when the period has any follow-up, as the overview expects.
    return {**figures, None: figures.city} if figures.city.total else {}


@dataclass
class PointSummary:
    point: ServicePoint
    count: int | None  # None (and mean, bad, flagged too): withheld under the small-group rule
    mean: float | None
    bad: int | None
    flagged: int | None
    withheld: bool = False


def point_summaries(start: date, end: date, department_id: int | None = None, *,
                    small_group_k: int | None = None) -> list[PointSummary]:
    """Per service point: included ratings, their mean, 差评 and flagged counts for the period.

    For a department-side reader pass ``small_group_k``: the points whose figures rest on fewer than k ratings are
    withheld, with the next-smallest when the rest would give them back (``small_groups.suppress``), and the
    flagged counts (the office's review) are left out.
    """
    score = _rating_score_expression()
    lo, hi = period_bounds(start, end)
    included = RealtimeRating.excluded.is_(False)
    if small_group_k is not None:  # as the channel counts them: a flagged rating only once reviewed and kept
        included = and_(included, or_(RealtimeRating.flagged.is_(False), RealtimeRating.reviewed.is_(True)))
    rows = db.session.execute(
        select(RealtimeRating.service_point_id, func.count(), func.avg(score),
               func.sum(case((or_(*(getattr(RealtimeRating, name) <= BAD_LEVEL for name in DIMENSIONS)), 1),
                             else_=0)))
        .where(RealtimeRating.created_at >= lo, RealtimeRating.created_at < hi, included)
        .group_by(RealtimeRating.service_point_id)).all()
    flagged = dict(db.session.execute(
        select(RealtimeRating.service_point_id, func.count())
        .where(RealtimeRating.created_at >= lo, RealtimeRating.created_at < hi, RealtimeRating.flagged.is_(True),
               RealtimeRating.reviewed.is_(False))
        .group_by(RealtimeRating.service_point_id)).all())
    by_point = {p: (n, avg, bad) for p, n, avg, bad in rows}
    query = ServicePoint.ordered()
    if department_id:
        query = query.where(ServicePoint.department_id == department_id)
    result = []
    for point in db.session.scalars(query):
        n, avg, bad = by_point.get(point.id, (0, None, 0))
        result.append(PointSummary(point, n, None if avg is None else round(float(avg), 1), int(bad or 0),
                                   flagged.get(point.id, 0)))
    if small_group_k is not None:
        withheld = small_groups.suppress({s.point.id: s.count for s in result}, small_group_k).cells
        result = [PointSummary(s.point, None, None, None, None, True) if s.point.id in withheld
                  else PointSummary(s.point, s.count, s.mean, s.bad, None) for s in result]
    return result
