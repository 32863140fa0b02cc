"""Assessment schemes, a round's scored assessments and their per-department results.

A scheme is a versioned, immutable record: changing the weights makes a new
version. An assessment is one scoring of one round with one scheme version;
once published it is frozen (the model layer refuses edits, like the audit
log), and a correction is a new assessment version, the old one kept as
``superseded``.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, String, Text, UniqueConstraint, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.rounds.models import Campaign


class AssessmentFrozen(Exception):
    """Raised when code tries to change a scheme in use or a published assessment."""


class AssessmentStatus(str, enum.Enum):
    """scored (may be replaced) → published (frozen) → superseded (frozen, replaced by a correction)."""

    scored = "scored"
    published = "published"
    superseded = "superseded"


class CommentRelease(str, enum.Enum):
    """When liaisons may read respondents' comments about their department."""

    manual = "manual"                # only after an admin releases them for the round
    with_publication = "with_publication"  # as soon as the round is published


class AssessmentScheme(db.Model):
    """How a round is scored: policy and channel weights, grade bands, minimum raters, rank intervals."""

    __tablename__ = "assessment_schemes"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_assessment_schemes_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1)
    policy_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)   # category → weight
    channel_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # survey/realtime/complaints
    grade_bands: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)       # [[90, "优秀"], …] descending
    min_raters: Mapped[int] = mapped_column(default=30)
    rank_draws: Mapped[int] = mapped_column(default=1000)
    rank_seed: Mapped[int] = mapped_column(default=20261127)
    comment_release: Mapped[CommentRelease] = mapped_column(
        Enum(CommentRelease, native_enum=False, create_constraint=True, length=24, name="comment_release"),
        default=CommentRelease.manual)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def __repr__(self) -> str:
        return f"<AssessmentScheme {self.name} v{self.version}>"


class Assessment(db.Model):
    """One scoring of a round with one scheme version; ``version`` counts corrections (1, 2, …)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_assessments_campaign_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[AssessmentStatus] = mapped_column(
        Enum(AssessmentStatus, native_enum=False, create_constraint=True, length=16, name="assessment_status"),
        default=AssessmentStatus.scored, index=True)
    input_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical input arrays
    seed: Mapped[int] = mapped_column(default=0)
    invited: Mapped[int] = mapped_column(default=0)
    responded: Mapped[int] = mapped_column(default=0)
    # Channels combined, strata left out for want of respondents, questionnaire version: how it was computed.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    correction_reason: Mapped[str] = mapped_column(String(500), default="")
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the published results were labelled with when frozen ({"scheme": …, "dimensions": [...]}); the
    # departments' names and codes are on each result. Empty until written by scoring (issue 24, finding 3).
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    scheme: Mapped[AssessmentScheme] = relationship()
    campaign: Mapped[Campaign] = relationship()
    results: Mapped[list["AssessmentResult"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan",
        order_by="(AssessmentResult.rank.is_(None), AssessmentResult.rank, AssessmentResult.department_id)")

    @property
    def frozen(self) -> bool:
        return self.status != AssessmentStatus.scored

    def __repr__(self) -> str:
        return f"<Assessment campaign={self.campaign_id} v{self.version} {self.status.value}>"


class AssessmentResult(db.Model):
    """One department's figures in an assessment."""

    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("assessment_id", "department_id", name="uq_assessment_results_dept"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    # The department's code and name as published: the frozen page and exports show these, not the live ones.
    department_code: Mapped[str | None] = mapped_column(String(32))
    department_name: Mapped[str | None] = mapped_column(String(100))
    score: Mapped[float | None] = mapped_column(Float)
    se: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    n: Mapped[int] = mapped_column(default=0)
    category_means: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # category → {mean, se, n}
    dimension_means: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dimension → {mean, se, n}
    channel_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # channel → score
    rank: Mapped[int | None] = mapped_column()
    rank_low: Mapped[int | None] = mapped_column()
    rank_high: Mapped[int | None] = mapped_column()
    grade: Mapped[str] = mapped_column(String(16), default="")
    previous_score: Mapped[float | None] = mapped_column(Float)
    change: Mapped[float | None] = mapped_column(Float)
    change_significant: Mapped[bool] = mapped_column(default=False)

    assessment: Mapped[Assessment] = relationship(back_populates="results")
    department: Mapped[Department] = relationship()


class CommentReleaseRecord(db.Model):
    """An admin's release of a round's comments to the departments' liaisons."""

    __tablename__ = "comment_releases"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# --- freezing, enforced whatever the caller -------------------------------------------------------------

_LIFECYCLE_FIELDS = {"status", "published_at", "published_by_id", "superseded_at"}
_ALLOWED_MOVES = {(AssessmentStatus.scored, AssessmentStatus.published),
                  (AssessmentStatus.published, AssessmentStatus.superseded)}


def _old_value(target, key):
    history = inspect(target).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    return getattr(target, key)


@event.listens_for(AssessmentScheme, "before_update")
def _scheme_is_immutable(mapper, connection, target):
    raise AssessmentFrozen("an assessment scheme cannot be changed; create a new version")


@event.listens_for(AssessmentScheme, "before_delete")
def _scheme_kept(mapper, connection, target):
    used = connection.execute(select(Assessment.id).where(Assessment.scheme_id == target.id).limit(1)).first()
    if used:
        raise AssessmentFrozen("an assessment scheme in use cannot be deleted")


@event.listens_for(Assessment, "before_update")
def _assessment_frozen(mapper, connection, target):
    old = _old_value(target, "status")
    if old == AssessmentStatus.scored and target.status == AssessmentStatus.scored:
        return
    changed = {a.key for a in inspect(target).attrs if a.history.has_changes()}
    if (old, target.status) in _ALLOWED_MOVES and changed <= _LIFECYCLE_FIELDS:
        return
    raise AssessmentFrozen("a published assessment cannot be changed; make a correction instead")


@event.listens_for(Assessment, "before_delete")
def _assessment_kept(mapper, connection, target):
    if _old_value(target, "status") != AssessmentStatus.scored:
        raise AssessmentFrozen("a published assessment cannot be deleted")


def _refuse_if_parent_frozen(connection, assessment_id):
    status = connection.execute(select(Assessment.status).where(Assessment.id == assessment_id)).scalar()
    if status is not None and AssessmentStatus(status) != AssessmentStatus.scored:
        raise AssessmentFrozen("results of a published assessment cannot be changed")


@event.listens_for(AssessmentResult, "before_update")
def _result_frozen(mapper, connection, target):
    _refuse_if_parent_frozen(connection, _old_value(target, "assessment_id"))


@event.listens_for(AssessmentResult, "before_delete")
def _result_kept(mapper, connection, target):
    _refuse_if_parent_frozen(connection, target.assessment_id)


@event.listens_for(AssessmentResult, "before_insert")
def _no_results_added_later(mapper, connection, target):
    if target.assessment_id is not None:
        _refuse_if_parent_frozen(connection, target.assessment_id)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(orm_execute_state):
    """Bulk UPDATE/DELETE statements bypass the per-object hooks above; refuse them on frozen records."""
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        if any(m.class_ in (AssessmentScheme, Assessment, AssessmentResult) for m in orm_execute_state.all_mappers):
            raise AssessmentFrozen("assessments are changed one record at a time, through the scoring service")
