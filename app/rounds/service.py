"""A round's life after the draw: its setup, and the moves draft → drawn → sending → open → closed."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.audit import service as audit
from app.departments.models import Department
from app.extensions import db
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.rounds.models import Campaign, CampaignStatus, LinkMode

# Which moves are allowed; anything else is refused with a message (scoring adds closed → scored → published).
TRANSITIONS = {
    CampaignStatus.draft: {CampaignStatus.drawn},
    CampaignStatus.drawn: {CampaignStatus.sending, CampaignStatus.draft},
    CampaignStatus.sending: {CampaignStatus.open, CampaignStatus.closed},
    CampaignStatus.open: {CampaignStatus.closed},
    CampaignStatus.closed: {CampaignStatus.scored},
    CampaignStatus.scored: {CampaignStatus.published},
    CampaignStatus.published: set(),
}
EDITABLE = (CampaignStatus.draft, CampaignStatus.drawn)


class RoundError(ValueError):
    """A user-facing reason why a round change is refused."""


def move(campaign: Campaign, target: CampaignStatus, user=None, **details) -> None:
    """Change the round's status if the state machine allows it, and audit the move."""
    if target not in TRANSITIONS[campaign.status]:
        raise RoundError(_("A round cannot go from %(old)s to %(new)s.", old=campaign.status.value, new=target.value))
    old = campaign.status
    campaign.status = target
    audit.record(f"campaign.{target.value}", f"campaign:{campaign.id}", {"from": old.value, **details}, actor=user)


def configure(campaign: Campaign, user, *, version: QuestionnaireVersion, departments: list[Department],
              opens_on: date | None, closes_on: date, link_mode: LinkMode, sms_template_code: str,
              sms_template_text: str, reminder_template_text: str, max_reminders: int,
              reminder_spacing_days: int) -> None:
    """Set what the round asks, of which departments, when, and with which SMS (before sending starts)."""
    if campaign.status not in EDITABLE:
        raise RoundError(_("The round's questionnaire, departments and SMS are fixed once sending has started."))
    if version.status != VersionStatus.published:
        raise RoundError(_("A round uses a published questionnaire version."))
    if not departments:
        raise RoundError(_("Choose at least one department to evaluate."))
    if opens_on and closes_on < opens_on:
        raise RoundError(_("The round cannot close before it opens."))
    if link_mode == LinkMode.link and "${token}" not in sms_template_text:
        raise RoundError(_("In personal-link mode the message must contain ${token}, after the fixed address "
                           "(…/s/${token}): gateways refuse whole links in variables."))
    if link_mode == LinkMode.code and "${code}" not in sms_template_text:
        raise RoundError(_("In access-code mode the message must contain ${code}."))
    campaign.questionnaire_version = version
    campaign.departments = list(departments)
    campaign.opens_on, campaign.closes_on, campaign.link_mode = opens_on, closes_on, link_mode
    campaign.sms_template_code = sms_template_code.strip()
    campaign.sms_template_text = sms_template_text.strip()
    campaign.reminder_template_text = reminder_template_text.strip()
    campaign.max_reminders, campaign.reminder_spacing_days = max_reminders, reminder_spacing_days
    audit.record("campaign.configure", f"campaign:{campaign.id}", {
        "questionnaire_version": version.id, "departments": [d.code for d in departments],
        "closes_on": closes_on.isoformat(), "link_mode": link_mode.value}, actor=user)


def extend(campaign: Campaign, user, closes_on: date) -> None:
    """Give respondents more time (never less: links already sent promise a date)."""
    if campaign.status not in (CampaignStatus.sending, CampaignStatus.open, *EDITABLE):
        raise RoundError(_("Only a round that has not closed can be extended."))
    if campaign.closes_on and closes_on <= campaign.closes_on:
        raise RoundError(_("The new closing date must be later than %(day)s.", day=campaign.closes_on.isoformat()))
    old = campaign.closes_on
    campaign.closes_on = closes_on
    audit.record("campaign.extend", f"campaign:{campaign.id}",
                 {"from": old.isoformat() if old else None, "to": closes_on.isoformat()}, actor=user)


def close(campaign: Campaign, user) -> None:
    """Stop accepting answers: every link and code stops working; unfinished drafts and outbox texts go.

    Drafts sit next to the invitation, so they must not outlive the round; the console outbox holds the
    links in clear, which are useless from now on.
    """
    from sqlalchemy import delete, select

    from app.responses.store import release
    from app.rounds.models import Invitation, SurveyDraft
    from app.sms.models import SmsOutbox

    move(campaign, CampaignStatus.closed, user)
    db.session.flush()
    invited = select(Invitation.id).where(Invitation.campaign_id == campaign.id)
    drafts = db.session.execute(delete(SurveyDraft).where(SurveyDraft.invitation_id.in_(invited)))
    db.session.execute(delete(SmsOutbox).where(SmsOutbox.campaign_id == campaign.id))
    audit.record("campaign.drafts_deleted", f"campaign:{campaign.id}", {"drafts": drafts.rowcount}, actor=user)
    db.session.commit()
    release(campaign.id)  # whatever is still sealed joins the responses now


def progress(campaign: Campaign) -> list[dict]:
    """Per stratum: invited, accepted by the gateway, delivered, opened, submitted, response rate."""
    from sqlalchemy import case, func, select

    from app.rounds.models import Invitation, InvitationSubmission

    submitted = select(InvitationSubmission.invitation_id)
    rows = db.session.execute(
        select(Invitation.stratum, func.count(),
               func.sum(case((Invitation.sms_status.in_(("accepted", "delivered")), 1), else_=0)),
               func.sum(case((Invitation.sms_status == "delivered", 1), else_=0)),
               func.sum(case((Invitation.opened.is_(True), 1), else_=0)),
               func.sum(case((Invitation.id.in_(submitted), 1), else_=0)),
               func.sum(case((Invitation.sms_status == "failed", 1), else_=0)))
        .where(Invitation.campaign_id == campaign.id).group_by(Invitation.stratum).order_by(Invitation.stratum))
    out = []
    for stratum, invited, accepted, delivered, opened, answered, failed in rows:
        out.append({"stratum": stratum, "invited": invited, "accepted": accepted or 0, "delivered": delivered or 0,
                    "opened": opened or 0, "submitted": answered or 0, "failed": failed or 0,
                    "rate": (answered or 0) / invited if invited else 0.0})
    return out
