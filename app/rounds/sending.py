"""Sending the round's SMS: invitations, reminders to non-respondents, and opt-out replies.

At most once per message: a batch is marked ``sending`` and committed *before*
the gateway is called, so a worker that dies mid-call never sends the same
invitation twice on restart (the ``sending`` ones wait for the operator). A
restarted ``flask worker`` queues the rest of such a round again
(``requeue_interrupted``), so that nothing still ``queued`` is lost.
Transient gateway errors are retried with backoff; permanent ones are recorded
with their reason. Each number gets at most SMS_DAILY_CAP_PER_NUMBER messages a
day (Beijing time), and batches are spaced to the provider's rate — which holds
only if one job at a time sends a round: the job and the reminders hold the
round's job lock (``app.platform.jobs.exclusive``) while they send.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.extensions import db
from app.platform.jobs import SEND_ROUND, JobLock, exclusive, is_held
from app.platform.phones import current_vault, mask
from app.pool import service as pool
from app.pool.models import MemberStatus, Respondent
from app.rounds import invitations, service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission, LinkMode
from app.sms import SmsMessage, make_backend, send_all
from app.sms.models import SmsOutbox
from app.sms.notify import within_daily_cap

log = logging.getLogger(__name__)


class SendingError(ValueError):
    """A user-facing reason why sending is refused."""


def _backend(campaign: Campaign, kind: str):
    """The configured gateway; the console one writes what it would send to the outbox."""
    text = campaign.reminder_template_text if kind == "reminder" and campaign.reminder_template_text \
        else campaign.sms_template_text

    def to_outbox(message: SmsMessage, rendered: str) -> None:
        db.session.add(SmsOutbox(campaign_id=campaign.id, invitation_id=int(message.reference),
                                 phone_masked=mask(message.phone_e164), kind=kind,
                                 text=rendered[:1000]))

    config = {**current_app.config, "SMS_TEMPLATES": {campaign.sms_template_code: text}}
    return make_backend(config, sink=to_outbox)


def _params(campaign: Campaign, invitation: Invitation, secret: str) -> dict[str, str]:
    name = invitation.respondent.name
    params = {
        "name": name[:10],
        "month": campaign.month,
        "deadline": campaign.closes_on.strftime("%m月%d日") if campaign.closes_on else "",
    }
    params["token" if campaign.link_mode == LinkMode.link else "code"] = secret
    return params


def start(campaign: Campaign, user) -> int:
    """Queue every invitation of a drawn, configured round and start sending; returns how many."""
    if campaign.questionnaire_version is None or not campaign.departments or campaign.closes_on is None \
            or not campaign.sms_template_text:
        raise SendingError(_("Set the questionnaire, the departments, the closing date and the SMS text first."))
    rounds.move(campaign, CampaignStatus.sending, user)
    queued = 0
    for invitation in db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id,
                                                                  Invitation.sms_status == "pending")):
        invitation.sms_status = "queued"
        queued += 1
    audit.record("sms.queue", f"campaign:{campaign.id}", {"invitations": queued}, actor=user)
    return queued


def waiting(campaign: Campaign) -> dict[str, int]:
    """What the sending buttons would send: ``pending`` invitations (never queued: "send") and ``unsent`` ones
    (queued, or left in flight by a crash or a daily cap: "resume")."""
    rows = dict(db.session.execute(select(Invitation.sms_status, func.count()).where(
        Invitation.campaign_id == campaign.id).group_by(Invitation.sms_status)).all())
    return {"pending": rows.get("pending", 0), "unsent": rows.get("queued", 0) + rows.get("sending", 0)}


def _under_daily_cap(respondent: Respondent) -> bool:
    """Count one message to this number today, if the cap allows it."""
    return within_daily_cap(respondent.phone_hash)


def _claim(ids: list[int], kind: str, now: datetime, spacing: timedelta | None = None) -> list[int]:
    """Atomically take invitations for one send, so that two jobs (or two clicks) never both send them.

    Invitations go queued → sending; reminders move ``last_reminded_at`` to now, which the spacing rule of a
    second attempt then excludes.
    """
    if kind == "invitation":
        statement = (update(Invitation).where(Invitation.id.in_(ids), Invitation.sms_status == "queued")
                     .values(sms_status="sending"))
    else:
        cutoff = now - spacing
        statement = (update(Invitation)
                     .where(Invitation.id.in_(ids),
                            func.coalesce(Invitation.last_reminded_at, Invitation.sent_at) <= cutoff)
                     .values(last_reminded_at=now))
    return list(db.session.scalars(statement.returning(Invitation.id)))


def _send(campaign: Campaign, ids: list[int], kind: str) -> dict[str, int]:
    """Claim, prepare (new secrets, daily cap) and commit, then call the gateway, then record each outcome.

    The secrets and the claim are committed before the gateway is called: a crash during the call leaves
    the batch ``sending`` (never sent twice) and every link that went out valid.
    """
    counts = {"accepted": 0, "failed": 0, "retry": 0}
    now = datetime.now(timezone.utc)
    claimed = _claim(ids, kind, now, timedelta(days=campaign.reminder_spacing_days))
    if not claimed:
        db.session.commit()
        return counts
    vault = current_vault()
    batch = db.session.scalars(select(Invitation).where(Invitation.id.in_(claimed))
                               .options(selectinload(Invitation.respondent)).order_by(Invitation.id)).all()
    messages, by_reference = [], {}
    for invitation in batch:
        if not _under_daily_cap(invitation.respondent):
            invitation.sms_error = "daily cap reached; send again tomorrow"
            if kind == "invitation":
                invitation.sms_status = "queued"
            continue
        secret = invitations.issue(invitation, campaign.link_mode.value)
        messages.append(SmsMessage(phone_e164=vault.open(invitation.respondent.phone),
                                   template_code=campaign.sms_template_code,
                                   params=_params(campaign, invitation, secret),
                                   sign_name=current_app.config.get("SMS_SIGN_NAME", ""),
                                   reference=str(invitation.id)))
        by_reference[str(invitation.id)] = invitation
    db.session.commit()
    if not messages:
        return counts
    for result in send_all(_backend(campaign, kind), messages):
        invitation = by_reference[result.reference]
        invitation.sms_attempts += 1
        if result.accepted:
            counts["accepted"] += 1
            invitation.sms_error, invitation.sms_provider_id = "", result.provider_id
            if kind == "invitation":
                invitation.sms_status, invitation.sent_at = "accepted", now
            else:
                invitation.reminders_sent += 1
        elif result.transient and invitation.sms_attempts < current_app.config["SMS_MAX_ATTEMPTS"]:
            counts["retry"] += 1
            invitation.sms_error = f"{result.error_code}: {result.error_message or ''}"[:200]
            if kind == "invitation":
                invitation.sms_status = "queued"
        else:
            counts["failed"] += 1
            invitation.sms_error = f"{result.error_code}: {result.error_message or ''}"[:200]
            if kind == "invitation":
                invitation.sms_status = "failed"
    db.session.commit()
    return counts


def send_queued(campaign_id: int) -> dict[str, int]:
    """The job: send every queued invitation of a round in batches, retrying transient failures.

    One job at a time per round. Several can be queued for one round (the worker queues an interrupted round
    again when it starts, an operator presses send or resume while a job runs), and two sending at once would
    each go at the provider's full rate: twice the allowed rate between them. So the job holds the round's
    lock while it sends, and a job that finds the round locked leaves at once without sending anything: the
    running one sends everything queued, also what was queued after it started. Even what was queued in the
    instant between its last look and the release of the lock, when the other job had already left: after
    releasing, it looks again and takes the lock once more for anything new (not for what it gave up on:
    the daily cap, the attempts used up).

    When nothing is left queued or in flight, the round opens.
    """
    totals = {"accepted": 0, "failed": 0, "retry": 0}
    while True:
        with exclusive(SEND_ROUND, campaign_id) as lock:
            if lock is None:
                log.info("round %s: already being sent by another job; this one leaves it to that job", campaign_id)
                return totals
            given_up = _send_round(campaign_id, lock, totals)
        newly_queued = set(_queued_ids(campaign_id)) - given_up
        db.session.rollback()  # only read: end the transaction before leaving or sending again
        if not newly_queued:
            return totals


def _queued_ids(campaign_id: int) -> list[int]:
    return list(db.session.scalars(select(Invitation.id).where(
        Invitation.campaign_id == campaign_id, Invitation.sms_status == "queued").order_by(Invitation.id)))


def _send_round(campaign_id: int, lock: JobLock, totals: dict[str, int]) -> set[int]:
    """Send what is queued while holding the round's lock, adding to ``totals``.

    Returns the invitations left queued (held back by the daily cap, or out of attempts), or nothing when the
    lock was lost midway (its database connection dropped and another job took it): a batch is only sent
    while the lock is known to be held.
    """
    campaign = db.session.get(Campaign, campaign_id)
    backoff = current_app.config["SMS_RETRY_BACKOFF_SECONDS"]
    batch_size = current_app.config["SMS_JOB_BATCH"]
    for attempt in range(current_app.config["SMS_MAX_ATTEMPTS"]):
        queued = _queued_ids(campaign_id)
        if not queued:
            break
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        for start_at in range(0, len(queued), batch_size):
            if not lock.kept():
                db.session.rollback()
                log.warning("round %s: the sending lock was lost; another job sends the rest", campaign_id)
                return set()
            counts = _send(campaign, queued[start_at:start_at + batch_size], "invitation")
            for key in totals:
                totals[key] += counts[key]
            if current_app.config["SMS_BACKEND"] != "console":  # spacing for the provider's rate limits
                time.sleep(current_app.config["SMS_BATCH_PAUSE_SECONDS"])
    given_up = set(_queued_ids(campaign_id))
    remaining = db.session.scalar(select(Invitation.id).where(
        Invitation.campaign_id == campaign_id, Invitation.sms_status.in_(("queued", "sending"))).limit(1))
    if remaining is None and campaign.status == CampaignStatus.sending:
        rounds.move(campaign, CampaignStatus.open, None, **totals)
    audit.record("sms.send", f"campaign:{campaign_id}", dict(totals))
    db.session.commit()
    log.info("round %s: %s", campaign_id, totals)
    return given_up


def resume(campaign: Campaign, user) -> int:
    """After a crash or a daily cap: give invitations left in flight back to the queue, and send again.

    An invitation left ``sending`` may or may not have reached the gateway; the operator, who chose to resume,
    accepts that such a person might get the message twice.
    """
    if campaign.status not in (CampaignStatus.sending, CampaignStatus.open):
        raise SendingError(_("Only a round that is sending or open can resume sending."))
    stuck = db.session.execute(update(Invitation).where(
        Invitation.campaign_id == campaign.id, Invitation.sms_status == "sending").values(sms_status="queued"))
    audit.record("sms.resume", f"campaign:{campaign.id}", {"requeued_in_flight": stuck.rowcount}, actor=user)
    return stuck.rowcount


def requeue_interrupted() -> dict[int, int]:
    """At worker start: hand rounds whose sending job died with its worker to the queue again.

    A worker killed mid-job (SIGKILL, out of memory, a reboot) leaves its RQ job in the started or failed
    registry, where nothing runs it again, and the round's unsent invitations ``queued``. Queueing
    ``send_queued`` for every round still ``sending`` with queued invitations picks them up. A round whose job
    still waits in the queue is left to that job, and one that a live job is sending (it holds the round's
    lock, which a dead job's session no longer does) is left to that job, which sends what is queued. The
    batch in flight at the kill stays ``sending`` and is not sent again (at most once): its messages may or
    may not have reached the gateway, and the operator decides, after checking the provider's delivery
    report, whether to resume (which sends them again).
    Returns {round id: invitations queued again}.
    """
    from app.platform.jobs import enqueue, waiting_calls

    rows = db.session.execute(
        select(Invitation.campaign_id, func.count()).join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(Campaign.status == CampaignStatus.sending, Invitation.sms_status == "queued")
        .group_by(Invitation.campaign_id).order_by(Invitation.campaign_id)).all()
    in_flight = db.session.execute(
        select(Invitation.campaign_id, func.count()).join(Campaign, Campaign.id == Invitation.campaign_id)
        .where(Campaign.status == CampaignStatus.sending, Invitation.sms_status == "sending")
        .group_by(Invitation.campaign_id)).all()
    db.session.rollback()  # nothing written: end the read before a job (maybe inline) starts its own
    being_sent = {campaign_id for campaign_id in {c for c, _ in rows} | {c for c, _ in in_flight}
                  if is_held(SEND_ROUND, campaign_id)}
    for campaign_id in sorted(being_sent):
        log.info("round %s: being sent by a running job; left to it", campaign_id)
    for campaign_id, count in in_flight:
        if campaign_id not in being_sent:
            log.warning("round %s: %s invitations are marked sending, left by a worker that stopped mid-call; "
                        "they are never sent again unless an operator resumes sending — check the provider's "
                        "delivery report first", campaign_id, count)
    waiting = waiting_calls(send_queued)  # a job not started yet will do it: no need for another
    requeued = {campaign_id: count for campaign_id, count in rows
                if (campaign_id,) not in waiting and campaign_id not in being_sent}
    for campaign_id, count in requeued.items():
        log.info("round %s: %s queued invitations handed to the queue again", campaign_id, count)
        enqueue(send_queued, campaign_id)
    return requeued


def reminder_candidates(campaign: Campaign) -> list[Invitation]:
    """Invited, not submitted, still in the pool, under the reminder limit, and not reminded too recently."""
    now = datetime.now(timezone.utc)
    spacing = timedelta(days=campaign.reminder_spacing_days)
    submitted = select(InvitationSubmission.invitation_id)
    rows = db.session.scalars(
        select(Invitation).join(Respondent, Invitation.respondent_id == Respondent.id)
        .where(Invitation.campaign_id == campaign.id, Invitation.sms_status.in_(("accepted", "delivered")),
               Invitation.id.not_in(submitted), Respondent.status == MemberStatus.active,
               Invitation.reminders_sent < campaign.max_reminders)
        .order_by(Invitation.id))
    return [i for i in rows if (i.last_reminded_at or i.sent_at or now - spacing) <= now - spacing]


def send_reminders(campaign: Campaign, user) -> dict[str, int]:
    """Remind the non-respondents once (each gets a new secret; the old one keeps working)."""
    if campaign.status != CampaignStatus.open:
        raise SendingError(_("Reminders go out only while the round is open."))
    with exclusive(SEND_ROUND, campaign.id) as lock:  # not alongside a job sending the round (resumed)
        if lock is None:
            raise SendingError(_("Messages of this round are being sent right now; send the reminders once "
                                 "that is done."))
        candidates = reminder_candidates(campaign)
        counts = _send(campaign, [i.id for i in candidates], "reminder") if candidates \
            else {"accepted": 0, "failed": 0, "retry": 0}
    audit.record("sms.remind", f"campaign:{campaign.id}", {"candidates": len(candidates), **counts}, actor=user)
    return counts


OPT_OUT_WORDS = {"TD", "T", "N", "退订", "退出", "取消"}


def handle_reply(phone_e164: str, text: str) -> bool:
    """A reply from a respondent's phone: 回复TD退订 (and its variants) opts the member out."""
    if text.strip().upper() not in OPT_OUT_WORDS:
        return False
    vault = current_vault()
    member = db.session.scalar(select(Respondent).where(Respondent.phone_hash == vault.lookup_hash(phone_e164),
                                                        Respondent.status != MemberStatus.opted_out))
    if member is None:
        return False
    pool.set_status(member, MemberStatus.opted_out, "回复TD退订")
    return True
