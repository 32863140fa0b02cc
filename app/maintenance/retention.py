"""Data retention: erase personal data the platform no longer needs (`flask retention purge`).

What is erased, and what is kept on purpose:

- **Members who left the pool** (paused or opted out) more than RETENTION_LEFT_MEMBER_DAYS ago (365): their
  name, organisation, extra attributes, phone number and masked number. The row stays, with its key, category,
  district and status: frames, invitations and draw evidence refer to members by key and stratum only
  (``FrameMember`` copies both), so every past draw still replays and verifies. ``erased_on`` records the day.
- **Opt-outs stay honoured.** The keyed phone hash of an *opted-out* member is kept: it is what makes a pool
  import refuse to re-enrol that number ("opted out … not re-enrolled by an import"). It is an HMAC under a key
  keyed by PHONE_INDEX_KEY (by default derived from PHONE_ENCRYPTION_KEY), so it reveals the number only to someone who also holds the key. A *paused*
  member's hash is erased with the rest: a later import of that number enrols a new member, as for anyone else.
  An erased member cannot be reactivated until an operator enters a name and phone number again (their page).
- **Complaints** closed or declined more than COMPLAINT_CONTACT_RETENTION_DAYS ago (730): the complainant's
  name, organisation, phone (sealed, masked and hashed) and free-text contact. The contact becomes ``ERASED`` so
  that the complaint still counts as a named one (not anonymous) in the analysis of its period.
- **Daily SMS counters** (keyed phone hashes per day, for the per-number cap) older than a week: they only
  matter on their day. So do **real-time SMS codes** (keyed phone hash, hashed code): deleted a week after they
  expired. The one-rating-per-day rule keeps no hash on the rating (see the device marks below).
- **Call-back numbers** that dissatisfied raters left for their follow-up: erased CALLBACK_RETENTION_DAYS (90)
  after the department recorded the follow-up. The masked number stays, for the record.
- **Real-time device marks** (``realtime_seen_devices``, a daily-keyed hash per device or verified phone and
  point): deleted once their day is over (also lazily by the next rating); a rating never holds a device or
  phone identifier.
- **Real-time raters' keyed client hashes** (of the address): they serve the per-client limits and burst
  detection, which look at a day at most; after a week they are blanked, except on flagged ratings still
  awaiting review. Otherwise anyone holding SECRET_KEY could test a known address against every rating ever made.
- **Complainants' own attachments** (not the departments' evidence) go with their identity: an ID-card photo
  or a contract names the complainant as surely as the name field does. Files and rows are deleted.
- **The secrets of a closed round** (the SHA-256 of its link tokens and access codes): deleted ROUND_APPEAL_DAYS
  (30) after the round's closing day, once it is closed, scored or published. Until then a link shows the same
  "closed" page as every other link of the round; afterwards it is an unknown link, like every other link of
  the round. Invitations (their SMS status, whether opened), submission marks, responses and counts stay.

One audit entry records the counts, never who.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select, update

from app.audit import service as audit
from app.casework.models import CaseAttachment, CaseStatus
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import MemberStatus, Respondent
from app.realtime.models import FollowUpTask, RealtimeRating, RealtimeSeenDevice, RealtimeSmsCode
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationToken
from app.sms.models import SmsDailyCount

ERASED = "—"  # what an erased text field shows where an empty one would read as "never given"
DAILY_COUNTER_DAYS = 7
# A member invited to a round still under way keeps their number until it ends: the round may still text them.
_LIVE_ROUNDS = (CampaignStatus.drawn, CampaignStatus.sending, CampaignStatus.open)
_ENDED_ROUNDS = (CampaignStatus.closed, CampaignStatus.scored, CampaignStatus.published)


@dataclass(frozen=True)
class PurgeCounts:
    """How many records a purge erased (or, in a dry run, would erase)."""

    members: int = 0
    opted_out_hashes_kept: int = 0
    complaints: int = 0
    sms_daily_counters: int = 0
    callback_phones: int = 0
    sms_codes: int = 0
    rating_hashes: int = 0
    complainant_attachments: int = 0
    round_secrets: int = 0
    seen_devices: int = 0  # real-time marks of past days (issue 24, finding 8)


def _member_filter(today: date):
    cutoff = today - timedelta(days=current_app.config["RETENTION_LEFT_MEMBER_DAYS"])
    in_live_round = exists().where(Invitation.respondent_id == Respondent.id,
                                   Invitation.campaign_id == Campaign.id, Campaign.status.in_(_LIVE_ROUNDS))
    return and_(Respondent.status != MemberStatus.active, Respondent.status_changed_on.is_not(None),
                Respondent.status_changed_on <= cutoff, Respondent.erased_on.is_(None), ~in_live_round)


def _complaint_filter(now: datetime):
    cutoff = now - timedelta(days=current_app.config["COMPLAINT_CONTACT_RETENTION_DAYS"])
    ended = or_(and_(Complaint.status == CaseStatus.closed, Complaint.closed_at <= cutoff),
                and_(Complaint.status == CaseStatus.declined, Complaint.declined_at <= cutoff))
    identified = or_(Complaint.complainant_name != "", Complaint.complainant_organisation != "",
                     Complaint.complainant_phone != "", Complaint.complainant_phone_hash.is_not(None),
                     and_(Complaint.complainant_contact != "", Complaint.complainant_contact != ERASED))
    return and_(ended, identified)


def _round_secrets_filter(today: date):
    """The secrets of rounds closed (or scored, published) whose closing day is more than the appeal period ago.

    A round closed early is counted from its planned closing day: later, so never too soon.
    """
    cutoff = today - timedelta(days=current_app.config["ROUND_APPEAL_DAYS"])
    ended = select(Campaign.id).where(Campaign.status.in_(_ENDED_ROUNDS), Campaign.closes_on.is_not(None),
                                      Campaign.closes_on < cutoff)
    return InvitationToken.invitation_id.in_(select(Invitation.id).where(Invitation.campaign_id.in_(ended)))


def _count(model, condition) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def purge(*, dry_run: bool = False, today: date | None = None) -> PurgeCounts:
    """Erase what the retention rules say has been kept long enough; the caller commits.

    ``dry_run`` counts without changing anything (and writes no audit entry).
    """
    seen_day = today or local_today()  # the marks are kept by the city's calendar day
    today = today or local_today()
    now = datetime.combine(today, datetime.now(timezone.utc).timetz())
    members = _member_filter(today)
    complaints = _complaint_filter(now)
    old_counters = SmsDailyCount.day < today - timedelta(days=DAILY_COUNTER_DAYS)
    old_codes = RealtimeSmsCode.expires_at < now - timedelta(days=DAILY_COUNTER_DAYS)
    old_ratings = and_(RealtimeRating.created_at < now - timedelta(days=DAILY_COUNTER_DAYS),
                       or_(RealtimeRating.flagged.is_(False), RealtimeRating.reviewed.is_(True)),
                       RealtimeRating.client_hash != "")
    old_seen = RealtimeSeenDevice.day < seen_day
    old_attachments = and_(CaseAttachment.assignment_id.is_(None),
                           CaseAttachment.case_id.in_(select(Complaint.id).where(complaints)))
    old_callbacks = and_(FollowUpTask.callback_phone != "", FollowUpTask.completed_at.is_not(None),
                         FollowUpTask.completed_at <= now - timedelta(days=current_app.config["CALLBACK_RETENTION_DAYS"]))
    round_secrets = _round_secrets_filter(today)
    counts = PurgeCounts(
        members=_count(Respondent, members),
        opted_out_hashes_kept=_count(Respondent, and_(members, Respondent.status == MemberStatus.opted_out)),
        complaints=_count(Complaint, complaints),
        sms_daily_counters=_count(SmsDailyCount, old_counters),
        callback_phones=_count(FollowUpTask, old_callbacks),
        sms_codes=_count(RealtimeSmsCode, old_codes),
        rating_hashes=_count(RealtimeRating, old_ratings),
        complainant_attachments=_count(CaseAttachment, old_attachments),
        round_secrets=_count(InvitationToken, round_secrets),
        seen_devices=_count(RealtimeSeenDevice, old_seen),
    )
    if dry_run:
        return counts
    erased_member = {"name": ERASED, "organisation": "", "attributes": {}, "phone": "", "phone_masked": "",
                     "erased_on": today}
    # Opted-out members keep their keyed hash (so that an import never re-enrols them); paused ones lose it.
    db.session.execute(update(Respondent).where(members, Respondent.status == MemberStatus.opted_out)
                       .values(**erased_member).execution_options(synchronize_session=False))
    db.session.execute(update(Respondent).where(members, Respondent.status != MemberStatus.opted_out)
                       .values(**erased_member, phone_hash="").execution_options(synchronize_session=False))
    _delete_attachments(old_attachments)  # before the complaints stop matching the filter
    db.session.execute(update(RealtimeRating).where(old_ratings).values(client_hash="")
                       .execution_options(synchronize_session=False))
    # The filter reads the case's columns too: match by id, or the UPDATE would join nothing to ``cases``.
    db.session.execute(update(Complaint).where(Complaint.id.in_(select(Complaint.id).where(complaints))).values(
        complainant_name="", complainant_organisation="", complainant_phone="", complainant_phone_masked="",
        complainant_phone_hash=None, complainant_contact=ERASED).execution_options(synchronize_session=False))
    db.session.execute(delete(SmsDailyCount).where(old_counters).execution_options(synchronize_session=False))
    db.session.execute(delete(RealtimeSmsCode).where(old_codes).execution_options(synchronize_session=False))
    db.session.execute(delete(RealtimeSeenDevice).where(old_seen).execution_options(synchronize_session=False))
    db.session.execute(update(FollowUpTask).where(old_callbacks).values(callback_phone="")
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(InvitationToken).where(round_secrets).execution_options(synchronize_session=False))
    audit.record("retention.purge", "personal-data", {
        **asdict(counts),
        "member_days": current_app.config["RETENTION_LEFT_MEMBER_DAYS"],
        "complaint_days": current_app.config["COMPLAINT_CONTACT_RETENTION_DAYS"],
        "callback_days": current_app.config["CALLBACK_RETENTION_DAYS"],
        "round_appeal_days": current_app.config["ROUND_APPEAL_DAYS"],
    })
    db.session.expire_all()
    return counts


def _delete_attachments(condition) -> None:
    """Rows first (the transaction may still roll back and keep them), files once the rows are gone."""
    from app.complaints.service import attachment_path

    attachments = list(db.session.scalars(select(CaseAttachment).where(condition)))
    paths = [attachment_path(a) for a in attachments]
    for attachment in attachments:
        db.session.delete(attachment)
    db.session.flush()
    for path in paths:
        path.unlink(missing_ok=True)
