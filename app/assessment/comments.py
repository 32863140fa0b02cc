"""Respondents' comments about a department: held until released, then read by the department's liaison."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.assessment.errors import ScoringError
from app.assessment.inputs import item_table
from app.assessment.models import AssessmentStatus, CommentRelease, CommentReleaseRecord
from app.assessment.versions import current_assessment
from app.audit import service as audit
from app.extensions import db
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Campaign, CampaignStatus


def comments_released(campaign: Campaign) -> bool:
    """Whether liaisons may read the round's comments about their department."""
    if db.session.get(CommentReleaseRecord, campaign.id) is not None:
        return True
    assessment = current_assessment(campaign)
    return (assessment is not None and assessment.status == AssessmentStatus.published
            and assessment.scheme.comment_release == CommentRelease.with_publication)


def release_comments(campaign: Campaign, user) -> None:
    """An admin's release of the round's comments to the liaisons (once; audited)."""
    if campaign.status not in (CampaignStatus.scored, CampaignStatus.published):
        raise ScoringError(_("Comments can be released once the round is scored."))
    if db.session.get(CommentReleaseRecord, campaign.id) is not None:
        raise ScoringError(_("The round's comments are already released."))
    db.session.add(CommentReleaseRecord(campaign_id=campaign.id, released_by_id=user.id if user else None))
    audit.record("assessment.release_comments", f"campaign:{campaign.id}", {}, actor=user)
    db.session.flush()


def department_comments(campaign: Campaign, department_id: int) -> list[str]:
    """The text answers about one department in a round, in random-id order (no submission order)."""
    version = campaign.questionnaire_version
    keys = list(item_table(version.document).comments) if version else []
    if not keys:
        return []
    values = db.session.scalars(
        select(ResponseAnswer.value).join(Response, Response.id == ResponseAnswer.response_id)
        .where(Response.campaign_id == campaign.id, ResponseAnswer.department_id == department_id,
               ResponseAnswer.question.in_(keys)).order_by(ResponseAnswer.id))
    return [str(v).strip() for v in values if v is not None and str(v).strip()]
