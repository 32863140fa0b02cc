"""The demo's open round: drawn from the demo pool, invitations in the console outbox with working links.

The round is made to look a few days old: the invitations went out ``SENT_DAYS_AGO`` days ago, about a
third of the invited have answered (simulated), more have opened their link, and the rest can be
reminded at once — so the progress table, the reminders and closing and scoring the round all have
something to show.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from sqlalchemy import select, update

from app.demo import city_model
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today, local_zone
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.rounds import draws, sending, service as rounds
from app.rounds.models import Campaign, Invitation, InvitationSubmission, LinkMode
from app.sms.models import SmsOutbox

DEMO_TITLE = "营商环境“背靠背”月度评价（演示）"
DEMO_BASE_URL = "http://127.0.0.1:5000"
SENT_DAYS_AGO = 4
RESPONSE_RATE = 0.36   # of the invited, answered so far
EXTRA_OPENED = 0.25    # of those who have not answered, opened the link


def open_round() -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.title == DEMO_TITLE))


def seed_open_round(base_url: str = DEMO_BASE_URL, today: date | None = None) -> Campaign | None:
    """Create, draw and send this month's demo round once; later runs only move its links to `base_url`."""
    existing = open_round()
    if existing is not None:
        _move_links(existing, base_url)
        return None
    today = today or local_today()
    # Sent a few days ago, but never before the first of the month (the round belongs to this month).
    started = max(today.replace(day=1), today - timedelta(days=SENT_DAYS_AGO))
    campaign = Campaign(month=today.strftime("%Y-%m"), title=DEMO_TITLE, sample_size=500, minimum_per_stratum=30)
    db.session.add(campaign)
    db.session.flush()
    version = db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.published).order_by(QuestionnaireVersion.id)).first()
    departments = list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))
    text = (f"【市营商环境办】${{name}}您好，您被随机选为本月政务服务评价人，请于${{deadline}}前点击 "
            f"{base_url}/s/${{token}} 完成评价，评价匿名进行。回复TD退订")
    rounds.configure(campaign, None, version=version, departments=departments, opens_on=started,
                     closes_on=started + timedelta(days=14), link_mode=LinkMode.link, sms_template_code="SMS_DEMO_001",
                     sms_template_text=text, reminder_template_text=text.replace("您被随机选为", "提醒：您被随机选为"),
                     max_reminders=2, reminder_spacing_days=3)
    draw = draws.freeze(campaign, None)
    draws.set_seed(draw, None)
    draws.draw_sample(draw, None)
    sending.start(campaign, None)
    db.session.commit()
    sending.send_queued(campaign.id)
    _as_if_under_way(campaign, started, today)
    db.session.commit()
    return campaign


def _as_if_under_way(campaign: Campaign, started: date, today: date) -> None:
    """Date the sending back to ``started`` and simulate the answers and link openings since."""
    from app.demo.assessment import PAST_ROUNDS, simulate_responses

    sent_at = datetime.combine(started, time(9, 30), local_zone()).astimezone(timezone.utc)
    db.session.execute(update(Invitation).where(Invitation.campaign_id == campaign.id).values(sent_at=sent_at))
    db.session.execute(update(SmsOutbox).where(SmsOutbox.campaign_id == campaign.id).values(created_at=sent_at))
    rng = np.random.default_rng(20261201)
    days = [started + timedelta(days=i) for i in range((today - started).days + 1)]
    # This month of the one model the past rounds were drawn from: the round continues their story.
    simulate_responses(campaign, rng, rate=RESPONSE_RATE, days=days,
                       quality=city_model.levels(campaign.departments, PAST_ROUNDS))
    answered = select(InvitationSubmission.invitation_id)
    db.session.execute(update(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.id.in_(answered))
                       .values(opened=True))
    waiting = list(db.session.scalars(select(Invitation.id).where(
        Invitation.campaign_id == campaign.id, Invitation.id.not_in(answered)).order_by(Invitation.id)))
    opened = [i for i in waiting if rng.random() < EXTRA_OPENED]
    if opened:
        db.session.execute(update(Invitation).where(Invitation.id.in_(opened)).values(opened=True))


def _move_links(campaign: Campaign, base_url: str) -> None:
    """Point the round's message templates and its outbox at `base_url` (the demo served on another port)."""
    match = re.search(r"(https?://\S+?)/s/\$\{token\}", campaign.sms_template_text or "")
    if match is None or match.group(1) == base_url:
        return
    old = match.group(1) + "/s/"
    campaign.sms_template_text = campaign.sms_template_text.replace(old, base_url + "/s/")
    campaign.reminder_template_text = (campaign.reminder_template_text or "").replace(old, base_url + "/s/")
    for message in db.session.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign.id)):
        message.text = message.text.replace(old, base_url + "/s/")
    db.session.commit()


def sample_link() -> str | None:
    """A working respondent link from the outbox: the first invitation of the open round not yet answered."""
    campaign = open_round()
    if campaign is None:
        return None
    answered = select(InvitationSubmission.invitation_id)
    text = db.session.scalar(select(SmsOutbox.text).where(
        SmsOutbox.campaign_id == campaign.id, SmsOutbox.kind == "invitation",
        SmsOutbox.invitation_id.not_in(answered)).order_by(SmsOutbox.id).limit(1))
    match = re.search(r"https?://\S+?/s/[A-Za-z0-9_-]+", text or "")
    return match.group(0) if match else None
