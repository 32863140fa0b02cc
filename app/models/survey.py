"""What respondents hand in, kept apart from who they are (背靠背).

The invitation side (tokens, the submission marker, the draft) knows the
respondent; the response side (``Response``, ``ResponseAnswer``) never does:
no respondent, no invitation, no phone, no time finer than the day, and a
random id so that not even the order of submissions can be read from it.
The only bridge is ``InvitationSubmission``, which says *that* an invitation
was used — its primary key is what makes a second submission impossible.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow


def random_id() -> str:
    return secrets.token_hex(16)


class InvitationToken(db.Model):
    """A secret that opens an invitation: a link token or an access code, stored only as its SHA-256.

    Each SMS (the invitation, each reminder) may carry a new secret; all stay
    valid until the round closes.
    """

    __tablename__ = "invitation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # link | code
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InvitationSubmission(db.Model):
    """The mark that an invitation has been used. One row at most: the primary key enforces it."""

    __tablename__ = "invitation_submissions"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)


class SurveyDraft(db.Model):
    """Answers saved as the respondent goes, so a dropped connection loses nothing; deleted on submission."""

    __tablename__ = "survey_drafts"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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


class SmsOutbox(db.Model):
    """Messages of the console SMS backend (demo and development): what would have been sent."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    phone_masked: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))  # invitation | reminder
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsDailyCount(db.Model):
    """Messages sent to one number on one day, for the per-number daily cap (numbers as keyed hashes)."""

    __tablename__ = "sms_daily_counts"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class SealedResponse(db.Model):
    """A submitted response waiting to join ``responses`` together with others, in random order.

    Rows written in one transaction share tell-tale system columns (PostgreSQL's xmin, physical order,
    SQLite's rowid), so a response written beside its invitation's submission mark could be matched to it.
    Submissions are therefore sealed here and released in shuffled batches of at least
    RESPONSE_RELEASE_BATCH, and all at once when the round closes (app/services/responses.release).
    """

    __tablename__ = "sealed_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
