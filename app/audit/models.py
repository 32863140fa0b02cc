"""The append-only, hash-chained audit log of every admin action."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditLogImmutable(Exception):
    """Raised when code tries to change or delete an audit entry."""


class AuditEntry(db.Model):
    """One admin action: who, when, what, on which object, with details.

    ``entry_hash`` is the SHA-256 of ``prev_hash`` and the entry's canonical
    content, so that changing, removing or reordering any entry breaks the chain.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Kept as text as well: the log must read the same after an account is renamed.
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def canonical_content(self) -> str:
        """The text the hash covers: stable key order, UTC timestamp to the microsecond."""
        return json.dumps(
            {
                "at": self.at.isoformat(timespec="microseconds"),
                "actor_id": self.actor_id,
                "actor_name": self.actor_name,
                "action": self.action,
                "target": self.target,
                "details": self.details,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        """SHA-256 of the previous entry's hash followed by this entry's canonical content."""
        return hashlib.sha256((self.prev_hash + self.canonical_content()).encode("utf-8")).hexdigest()


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditLogImmutable("audit log entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditLogImmutable("audit log entries cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(orm_execute_state):
    """Bulk UPDATE/DELETE statements bypass the per-object hooks above; refuse them too."""
    if orm_execute_state.is_update or orm_execute_state.is_delete:
        if any(mapper.class_ is AuditEntry for mapper in orm_execute_state.all_mappers):
            raise AuditLogImmutable("audit log entries cannot be changed or deleted")
