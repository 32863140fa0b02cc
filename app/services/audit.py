"""Writing and verifying the hash-chained audit log."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select, text

from app.extensions import db
from app.models.audit import GENESIS_HASH, AuditEntry
from app.models.types import utcnow

# Any constant: PostgreSQL's advisory lock key that serialises writers of the chain.
_CHAIN_LOCK_KEY = 0x6B6B62  # "bkb"


def record(action: str, target: str = "", details: dict[str, Any] | None = None, *, actor=None) -> AuditEntry:
    """Append an entry to the audit log in the current transaction (the caller commits).

    ``actor`` defaults to the logged-in user; command-line actions pass none and
    are recorded as ``cli``. Never put phone numbers or other personal data in
    ``details``.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if db.session.get_bind().dialect.name == "postgresql":
        # Two transactions appending at once would both chain to the same predecessor.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "cli",
        action=action,
        target=target,
        details=details or {},
        prev_hash=prev_hash or GENESIS_HASH,
    )
    entry.entry_hash = entry.compute_hash()
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: how many entries, and the first broken one if any."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain() -> ChainReport:
    """Walk the log in order and report the first entry whose links or content do not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)):
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.id, "previous hash does not match the entry before it")
        if entry.compute_hash() != entry.entry_hash:
            return ChainReport(checked, entry.id, "content does not match its hash")
        expected_prev = entry.entry_hash
        checked += 1
    return ChainReport(checked)
