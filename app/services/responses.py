"""Saving drafts and submitting responses, anonymously and exactly once."""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Invitation, InvitationSubmission, Response, ResponseAnswer, SealedResponse, SurveyDraft

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
    """Seal one response and mark the invitation used, in one transaction — or raise AlreadySubmitted.

    ``answers`` are forms.questionnaire Answers (department code or None, question, value, score). What is
    kept: the round, the questionnaire version, the stratum and π, the day, the answers — nothing that leads
    back to the invitation. The response joins the others in ``responses`` when enough are sealed (release).
    """
    departments = {d.code: d.id for d in invitation.campaign.departments}
    payload = {
        "questionnaire_version_id": version_id,
        "stratum": invitation.stratum,
        "inclusion_probability": invitation.inclusion_probability,
        "submitted_on": datetime.now(BEIJING).date().isoformat(),
        "answers": [[departments.get(a.department) if a.department else None, a.question, a.value, a.score]
                    for a in answers],
    }
    draft = db.session.get(SurveyDraft, invitation.id)  # looked up first: no flush may happen below
    if draft is not None:
        db.session.delete(draft)
    db.session.add(InvitationSubmission(invitation_id=invitation.id))
    db.session.add(SealedResponse(campaign_id=invitation.campaign_id, payload=payload))
    try:
        db.session.commit()
    except IntegrityError:
        # The primary key of InvitationSubmission: somebody else (another tab, a double tap) got there first.
        db.session.rollback()
        raise AlreadySubmitted() from None
    release(invitation.campaign_id, current_app.config["RESPONSE_RELEASE_BATCH"])


def release(campaign_id: int, minimum: int = 1) -> int:
    """Move a round's sealed responses into ``responses`` in random order, if at least ``minimum`` wait.

    The DELETE … RETURNING is the claim: of two releases at once, only one gets the rows.
    """
    sealed = db.session.execute(delete(SealedResponse).where(SealedResponse.campaign_id == campaign_id)
                                .returning(SealedResponse.payload)).scalars().all()
    if len(sealed) < max(minimum, 1):
        db.session.rollback()
        return 0
    sealed = list(sealed)
    secrets.SystemRandom().shuffle(sealed)
    for payload in sealed:
        response = Response(
            campaign_id=campaign_id,
            questionnaire_version_id=payload["questionnaire_version_id"],
            stratum=payload["stratum"],
            inclusion_probability=payload["inclusion_probability"],
            submitted_on=date.fromisoformat(payload["submitted_on"]),
        )
        response.answers = [ResponseAnswer(department_id=department_id, question=question, value=value, score=score)
                            for department_id, question, value, score in payload["answers"]]
        db.session.add(response)
    db.session.commit()
    return len(sealed)


def department_choices(invitation: Invitation) -> list[tuple[str, str]]:
    """(code, name) of the round's departments, in display order, for the form factory."""
    return [(d.code, d.name) for d in invitation.campaign.departments]
