"""Saving drafts and submitting responses, anonymously and exactly once."""
from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, load_only

from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from app.responses.models import SealedResponse
from app.responses.store import release
from app.rounds.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    InvitationSubmission,
    SurveyDraft,
    campaign_departments,
)


class AlreadySubmitted(Exception):
    """The invitation was used by another (perhaps simultaneous) submission."""


@dataclass
class Visit:
    """What every survey page needs about the session's invitation, read in one query."""

    invitation: Invitation  # with its campaign loaded
    submitted: bool
    draft: dict  # the answers saved so far (empty before the first page)
    version_hash: str | None  # the round's questionnaire version's document hash (None for a draft version)
    # Held so that the session's identity map (weak references) keeps it: saving or deleting the draft
    # later in the request then needs no second SELECT.
    draft_row: SurveyDraft | None = None


# Built once: a statement object keeps its compiled form and cache key, and these run on every survey page.
_VISIT = (
    select(Invitation, InvitationSubmission.invitation_id, SurveyDraft, QuestionnaireVersion.document_hash,
           QuestionnaireVersion.status)
    .join(Campaign, Campaign.id == Invitation.campaign_id)
    # Only the columns the survey pages use (another one would be loaded when first read).
    .options(load_only(Invitation.id, Invitation.campaign_id, Invitation.stratum, Invitation.inclusion_probability,
                       Invitation.opened),
             contains_eager(Invitation.campaign).load_only(
                 Campaign.id, Campaign.title, Campaign.status, Campaign.opens_on, Campaign.closes_on,
                 Campaign.questionnaire_version_id, Campaign.created_at))
    .outerjoin(InvitationSubmission, InvitationSubmission.invitation_id == Invitation.id)
    .outerjoin(SurveyDraft, SurveyDraft.invitation_id == Invitation.id)
    .outerjoin(QuestionnaireVersion, QuestionnaireVersion.id == Campaign.questionnaire_version_id)
    .where(Invitation.id == bindparam("invitation_id"))
)
_ROUND_DEPARTMENTS = (
    select(Department.code, Department.name, Department.id, Department.kind)
    .join(campaign_departments, campaign_departments.c.department_id == Department.id)
    .where(campaign_departments.c.campaign_id == bindparam("campaign_id"))
    .order_by(Department.sort_order)
)


def visit(invitation_id: int) -> Visit | None:
    """The invitation and its round, whether it has been used, its draft and its version's hash — or None."""
    row = db.session.execute(_VISIT, {"invitation_id": invitation_id}).first()
    if row is None:
        return None
    invitation, submitted, draft, version_hash, version_status = row
    return Visit(invitation, submitted is not None, dict(draft.data) if draft else {},
                 version_hash if version_status == VersionStatus.published else None, draft)


# Documents of published questionnaire versions by (id, document hash). A published version never changes
# (app/questionnaires/models.py refuses it), so its parsed document can be kept for the life of the process;
# the hash in the key makes an entry name one document only. Callers must not modify the documents.
_DOCUMENTS: dict[tuple[int, str], dict] = {}


def questionnaire_document(version_id: int, version_hash: str | None) -> tuple[dict, tuple | None]:
    """The round's questionnaire document and a key that names it for the form cache (None: not cacheable)."""
    key = (version_id, version_hash) if version_hash else None
    document = _DOCUMENTS.get(key) if key else None
    if document is None:
        document = db.session.get(QuestionnaireVersion, version_id).document
        if key:
            if len(_DOCUMENTS) >= 64:  # a bound, not a policy: rounds use a handful of versions
                _DOCUMENTS.clear()
            _DOCUMENTS[key] = document
    return document, (("questionnaire_version", *key) if key else None)


class RoundClosed(Exception):
    """The round stopped taking answers while the respondent was answering."""


_TAKING_ANSWERS = (CampaignStatus.sending, CampaignStatus.open)


def _hold(invitation: Invitation) -> bool:
    """Lock the invitation for the rest of the transaction, and say whether its round still takes answers.

    Saving a page and submitting take turns on the invitation: an UPDATE that changes nothing a reader cares
    about (whoever saves or submits has opened the link) takes its row lock on PostgreSQL and the database's
    write lock on SQLite. Without it, a page saved from a second tab at the moment of submission could write
    its draft after the submission deleted the draft, and leave answers tied to a used invitation. The round's
    status is then read under a share lock, which waits for a closing in progress (``rounds.close`` updates
    the round before it deletes the drafts), so that no draft or submission slips in behind a closing.
    """
    db.session.execute(update(Invitation).where(Invitation.id == invitation.id).values(opened=True)
                       .execution_options(synchronize_session=False))
    status = db.session.scalar(select(Campaign.status).where(Campaign.id == invitation.campaign_id)
                               .with_for_update(read=True))
    return status in _TAKING_ANSWERS


def save_draft(invitation: Invitation, data: dict) -> bool:
    """Replace the saved answers; False (nothing saved) if the invitation was used or its round closed
    meanwhile. The caller commits (or rolls back on False)."""
    if not _hold(invitation):
        return False
    if db.session.scalar(select(InvitationSubmission.invitation_id)
                         .where(InvitationSubmission.invitation_id == invitation.id)) is not None:
        return False
    draft = db.session.get(SurveyDraft, invitation.id)
    if draft is None:
        db.session.add(SurveyDraft(invitation_id=invitation.id, data=data))
    else:
        draft.data = data
    return True


def mark_opened(invitation: Invitation) -> None:
    """For the round's progress table; opening says nothing about what was answered."""
    if not invitation.opened:
        invitation.opened = True


def submit(invitation: Invitation, version_id: int, answers, department_ids: dict[str, int] | None = None,
           submission_key: str | None = None) -> None:
    """Seal one response and mark the invitation used, in one transaction — or raise AlreadySubmitted (or
    RoundClosed, if the round was closed meanwhile).

    ``submission_key`` (the one-page survey's id of this submission) is kept on the submission mark, so that a
    retry of the same submission can be told from a different one (``submitted_with``).

    ``answers`` are forms.questionnaire Answers (department code or None, question, value, score). What is
    kept: the round, the questionnaire version, the stratum and π, the day, the answers — nothing that leads
    back to the invitation. The response joins the others in ``responses`` when enough are sealed (release).
    ``department_ids`` (code -> id of the round's departments) saves reading them again.
    """
    if department_ids is None:
        department_ids = {d.code: d.id for d in invitation.campaign.departments}
    campaign_id = invitation.campaign_id  # read now: the commit expires the invitation
    payload = {
        "questionnaire_version_id": version_id,
        "stratum": invitation.stratum,
        "inclusion_probability": invitation.inclusion_probability,
        "submitted_on": local_today().isoformat(),
        "answers": [[department_ids.get(a.department) if a.department else None, a.question, a.value, a.score]
                    for a in answers],
    }
    if not _hold(invitation):  # a page being saved at this moment finishes first, and its draft goes too
        db.session.rollback()
        raise RoundClosed()
    db.session.execute(delete(SurveyDraft).where(SurveyDraft.invitation_id == invitation.id)
                       .execution_options(synchronize_session=False))
    db.session.add(InvitationSubmission(invitation_id=invitation.id, submission_key=submission_key))
    db.session.add(SealedResponse(campaign_id=campaign_id, payload=payload))
    try:
        db.session.commit()
    except IntegrityError:
        # The primary key of InvitationSubmission: somebody else (another tab, a double tap) got there first.
        db.session.rollback()
        raise AlreadySubmitted() from None
    release(campaign_id, current_app.config["RESPONSE_RELEASE_BATCH"])



def submitted_with(invitation_id: int, submission_key: str | None) -> bool:
    """Whether this invitation was used by the submission that carried ``submission_key`` (a retry of it)."""
    if not submission_key:
        return False
    stored = db.session.scalar(select(InvitationSubmission.submission_key)
                               .where(InvitationSubmission.invitation_id == invitation_id))
    return stored is not None and hmac.compare_digest(stored, submission_key)


def round_departments(campaign_id: int) -> list[tuple[str, str, int, str]]:
    """(code, name, id, kind) of a round's departments, in display order (one query, no objects)."""
    return [(code, name, id_, getattr(kind, "value", kind)) for code, name, id_, kind
            in db.session.execute(_ROUND_DEPARTMENTS, {"campaign_id": campaign_id})]


# The departments of open rounds, for the survey pages: a round's list is fixed once sending starts
# (rounds.configure refuses), so only a renamed department can make an entry stale — for at most this long.
ROUND_DEPARTMENTS_TTL_SECONDS = 30.0
_OPEN_ROUND_DEPARTMENTS: dict[tuple, tuple[float, list[tuple[str, str, int, str]]]] = {}


def open_round_departments(campaign: Campaign) -> list[tuple[str, str, int, str]]:
    """round_departments() of a round that is sending or open, read at most every 30 s per process."""
    key = (campaign.id, campaign.created_at)  # an id alone could name another round in another database
    now = time.monotonic()
    cached = _OPEN_ROUND_DEPARTMENTS.get(key)
    if cached is not None and now - cached[0] < ROUND_DEPARTMENTS_TTL_SECONDS:
        return cached[1]
    rows = round_departments(campaign.id)
    if len(_OPEN_ROUND_DEPARTMENTS) >= 64:  # a bound, not a policy: few rounds are open at once
        _OPEN_ROUND_DEPARTMENTS.clear()
    _OPEN_ROUND_DEPARTMENTS[key] = (now, rows)
    return rows
