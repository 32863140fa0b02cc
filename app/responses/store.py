"""The anonymous response store: sealed submissions join ``responses`` in shuffled batches."""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import delete, func, select

from app.extensions import db
from app.responses.models import Response, ResponseAnswer, SealedResponse


def release(campaign_id: int, minimum: int = 1) -> int:
    """Move a round's sealed responses into ``responses`` in random order, if at least ``minimum`` wait.

    The DELETE … RETURNING is the claim: of two releases at once, only one gets the rows. It is tried only when
    a count says enough may be waiting: the DELETE locks the round's sealed rows, and a claim that finds too few
    and rolls back would make every simultaneous submission wait for it.
    """
    waiting = db.session.scalar(select(func.count()).select_from(SealedResponse)
                                .where(SealedResponse.campaign_id == campaign_id))
    if waiting < max(minimum, 1):
        db.session.rollback()
        return 0
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
