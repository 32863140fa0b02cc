"""Saving drafts and submitting responses, anonymously and exactly once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    Department, Invitation, InvitationSubmission, Response, ResponseAnswer, SurveyDraft,
)

BEIJING = timezone(timedelta(hours=8))


class AlreadySubmitted(Exception):
    """The invitation was used by another (perhaps simultaneous) submission."""


def load_draft(invitation: Invitation) -> dict:
    """The answers saved so far (an empty dict before the first page)."""
    draft = db.session.get(SurveyDraft, invitation.id)
    return dict(draft.data) if draft else {}


def save_draft(invitation: Invitation, data: dict) -> None:
    """Replace the saved answers (the caller commits)."""
    draft = db.session.get(SurveyDraft, invitation.id)
    if draft is None:
        db.session.add(SurveyDraft(invitation_id=invitation.id, data=data))
    else:
        draft.data = data


def mark_opened(invitation: Invitation) -> None:
    """For the round's progress table; opening says nothing about what was answered."""
    if not invitation.opened:
        invitation.opened = True


def submit(invitation: Invitation, version_id: int, answers) -> None:
    """Store one response and mark the invitation used, in one transaction — or raise AlreadySubmitted.

    ``answers`` are forms.questionnaire Answers (department code or None, question, value, score). The
    response keeps the round, the questionnaire version, the stratum and π, and the day — nothing that
    leads back to the invitation: its id is random and no timestamp finer than the day is kept.
    """
    departments = {d.code: d.id for d in invitation.campaign.departments}
    response = Response(
        campaign_id=invitation.campaign_id,
        questionnaire_version_id=version_id,
        stratum=invitation.stratum,
        inclusion_probability=invitation.inclusion_probability,
        submitted_on=datetime.now(BEIJING).date(),
    )
    response.answers = [
        ResponseAnswer(department_id=departments.get(a.department) if a.department else None,
                       question=a.question, value=a.value, score=a.score)
        for a in answers
    ]
    draft = db.session.get(SurveyDraft, invitation.id)  # looked up first: no flush may happen below
    if draft is not None:
        db.session.delete(draft)
    db.session.add(InvitationSubmission(invitation_id=invitation.id))
    db.session.add(response)
    try:
        db.session.commit()
    except IntegrityError:
        # The primary key of InvitationSubmission: somebody else (another tab, a double tap) got there first.
        db.session.rollback()
        raise AlreadySubmitted() from None


def department_choices(invitation: Invitation) -> list[tuple[str, str]]:
    """(code, name) of the round's departments, in display order, for the form factory."""
    return [(d.code, d.name) for d in invitation.campaign.departments if isinstance(d, Department)]
