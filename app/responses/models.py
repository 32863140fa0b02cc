"""What respondents hand in, kept apart from who they are (背靠背).

The invitation side (tokens, the submission marker, the draft: ``app.rounds.models``) knows the respondent;
the response side here never does: no respondent, no invitation, no phone, no time finer than the day, and a
random id so that not even the order of submissions can be read from it. The only bridge is
``InvitationSubmission``, which says *that* an invitation was used — its primary key is what makes a second
submission impossible. This package imports nothing that knows a person (the layer contract checks it).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.platform.columns import random_id


class Response(db.Model):
    """One submitted questionnaire: the round, the version, the stratum and π — and nobody's name."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    stratum: Mapped[str] = mapped_column(String(120))
    inclusion_probability: Mapped[float] = mapped_column(Float)
    submitted_on: Mapped[date] = mapped_column()

    answers: Mapped[list["ResponseAnswer"]] = relationship(back_populates="response", cascade="all, delete-orphan")


class ResponseAnswer(db.Model):
    """One answer: per department (or none), per question, its value and score (None = missing)."""

    __tablename__ = "response_answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    response_id: Mapped[str] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    question: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float | None] = mapped_column(Float)

    response: Mapped[Response] = relationship(back_populates="answers")




class SealedResponse(db.Model):
    """A submitted response waiting to join ``responses`` together with others, in random order.

    Rows written in one transaction share tell-tale system columns (PostgreSQL's xmin, physical order,
    SQLite's rowid), so a response written beside its invitation's submission mark could be matched to it.
    Submissions are therefore sealed here and released in shuffled batches of at least
    RESPONSE_RELEASE_BATCH, and all at once when the round closes (app.responses.store.release).
    """

    __tablename__ = "sealed_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
