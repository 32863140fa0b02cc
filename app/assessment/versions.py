"""A round's assessment versions: the one that counts, every one, and the previous round's published one."""
from __future__ import annotations

from sqlalchemy import Select, select

from app.assessment.models import Assessment, AssessmentStatus
from app.extensions import db
from app.rounds.models import Campaign


def current_query(campaign_id: int) -> Select:
    """The statement selecting the assessment that counts for a round: the newest one not superseded."""
    return (select(Assessment).where(Assessment.campaign_id == campaign_id,
                                     Assessment.status != AssessmentStatus.superseded)
            .order_by(Assessment.version.desc()).limit(1))


def current_assessment(campaign: Campaign) -> Assessment | None:
    """The assessment that counts for a round: the newest one not superseded."""
    return db.session.scalar(current_query(campaign.id))


def assessment_history(campaign: Campaign) -> list[Assessment]:
    """Every assessment version of a round, newest first."""
    return list(db.session.scalars(select(Assessment).where(Assessment.campaign_id == campaign.id)
                                   .order_by(Assessment.version.desc())))


def previous_published(campaign: Campaign) -> Assessment | None:
    """The published assessment of the latest earlier round, if any."""
    return db.session.scalar(
        select(Assessment).join(Campaign, Campaign.id == Assessment.campaign_id)
        .where(Campaign.month < campaign.month, Assessment.status == AssessmentStatus.published)
        .order_by(Campaign.month.desc(), Assessment.version.desc()).limit(1))
