"""Questionnaires and their versions: drafts that designers edit, published versions that rounds use."""
from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, UniqueConstraint, event, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history

from app.accounts.models import User
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow


class VersionStatus(str, enum.Enum):
    """A draft can still change; a published version never does."""

    draft = "draft"
    published = "published"


class PublishedVersionImmutable(Exception):
    """Raised when code tries to change or delete a published questionnaire version."""


def canonical_json(document: Any) -> str:
    """The text a document hash covers: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def document_hash(document: Any) -> str:
    """SHA-256 of the canonical JSON of a questionnaire document."""
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


class Questionnaire(db.Model):
    """A questionnaire: a name and the numbered versions of its document."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Nullable: the default questionnaire is created by the migration, not by a person.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.number"
    )

    @staticmethod
    def ordered():
        """Questionnaires, newest first."""
        return select(Questionnaire).order_by(Questionnaire.id.desc())

    @property
    def draft(self) -> QuestionnaireVersion | None:
        """The open draft, if any (there is at most one)."""
        return next((v for v in self.versions if v.status == VersionStatus.draft), None)

    @property
    def latest_published(self) -> QuestionnaireVersion | None:
        """The highest-numbered published version, if any."""
        published = [v for v in self.versions if v.status == VersionStatus.published]
        return published[-1] if published else None

    def __repr__(self) -> str:
        return f"<Questionnaire {self.id} {self.name}>"


class QuestionnaireVersion(db.Model):
    """Version n of a questionnaire's document. Once published it is frozen: edits start a new draft."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "number", name="uq_questionnaire_versions_number"),
        # At most one draft per questionnaire, enforced by the database under concurrency too.
        Index(
            "uq_questionnaire_versions_one_draft",
            "questionnaire_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        Enum(VersionStatus, native_enum=False, create_constraint=True, length=16, name="questionnaire_version_status"),
        default=VersionStatus.draft,
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_hash: Mapped[str | None] = mapped_column(String(64))
    # The version this draft was started from (None for a new or imported questionnaire).
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_versions.id"))
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")
    based_on: Mapped[QuestionnaireVersion | None] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.published

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.draft

    def title(self, locale: str = "zh") -> str:
        """The document's title in ``locale``, falling back to Chinese."""
        title = (self.document or {}).get("title") or {}
        return title.get(locale) or title.get("zh") or ""

    def hash_matches(self) -> bool:
        """True if the stored hash still matches the document (published versions only)."""
        return self.document_hash is not None and self.document_hash == document_hash(self.document)

    def __repr__(self) -> str:
        return f"<QuestionnaireVersion {self.questionnaire_id}v{self.number} {self.status.value}>"


# Columns that define what a published version is; none may change after publication.
_FROZEN = ("document", "document_hash", "number", "questionnaire_id", "status", "published_at", "published_by_id")


@event.listens_for(QuestionnaireVersion, "before_update")
def _refuse_changing_published(mapper, connection, target):
    status = get_history(target, "status")
    was = status.deleted[0] if status.deleted else target.status
    if was != VersionStatus.published:
        return  # a draft, or a draft being published right now
    changed = [name for name in _FROZEN if get_history(target, name).has_changes()]
    if changed:
        raise PublishedVersionImmutable(f"published questionnaire versions cannot be changed ({', '.join(changed)})")


@event.listens_for(QuestionnaireVersion, "before_delete")
def _refuse_deleting_published(mapper, connection, target):
    status = get_history(target, "status")
    was = status.deleted[0] if status.deleted else target.status
    if was == VersionStatus.published:
        raise PublishedVersionImmutable("published questionnaire versions cannot be deleted")
