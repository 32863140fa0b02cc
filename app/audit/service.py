"""Writing and verifying the hash-chained audit log."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select, text

from app.audit.models import GENESIS_HASH, AuditEntry
from app.extensions import db
from app.platform.columns import utcnow

# Any constant: PostgreSQL's advisory lock key that serialises writers of the chain.
_CHAIN_LOCK_KEY = 0x6B6B62  # "bkb"


# The actor name of an entry about somebody who is not logged in: a failed or throttled login.
ANONYMOUS_ACTOR = "anonymous"


def record(action: str, target: str = "", details: dict[str, Any] | None = None, *, actor=None,
           anonymous: bool = False) -> AuditEntry:
    """Append an entry to the audit log in the current transaction (the caller commits).

    ``actor`` defaults to the logged-in user; command-line actions pass none and
    are recorded as ``cli``; ``anonymous`` records a web request of nobody logged
    in (a failed login). A staff member's entry made on the web, and an anonymous
    one, also carry the client's address (``ip``). Never put phone numbers or
    other personal data in ``details``.
    """
    if actor is None and not anonymous and has_request_context() and current_user.is_authenticated:
        actor = current_user
    details = dict(details or {})
    address = _client_address() if actor is not None or anonymous else None
    if address:
        details["ip"] = address
    if db.session.get_bind().dialect.name == "postgresql":
        # Two transactions appending at once would both chain to the same predecessor.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else (ANONYMOUS_ACTOR if anonymous else "cli"),
        action=action,
        target=target,
        details=details,
        prev_hash=prev_hash or GENESIS_HASH,
    )
    entry.entry_hash = entry.compute_hash()
    db.session.add(entry)
    return entry


def _client_address() -> str | None:
    """The address the request came from (ProxyFix has put the client's in place of the proxy's); none outside
    a request. Only asked for staff and anonymous logins: on a visitor's page nobody is logged in, so an entry
    written there would have no actor, and no address."""
    return request.remote_addr if has_request_context() else None


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


@dataclass(frozen=True)
class ChainHead:
    """The newest point of the chain: how many entries it holds and the last one's hash.

    Publishing it outside the database (the monthly notice, a letter to the auditor) anchors the log: the chain
    alone cannot show that its newest entries were deleted, an anchor can.
    """

    count: int
    entry_hash: str

    @property
    def anchor(self) -> str:
        """COUNT:HASH, the text ``flask audit verify --anchor`` takes back."""
        return f"{self.count}:{self.entry_hash}"


def head() -> ChainHead:
    """The number of entries and the newest entry's hash (the genesis hash for an empty log)."""
    # One statement, so that an entry appended meanwhile cannot pair one count with another entry's hash.
    count, newest = db.session.execute(
        select(func.count(), select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
               .scalar_subquery()).select_from(AuditEntry)).one()
    return ChainHead(count or 0, newest or GENESIS_HASH)


def parse_anchor(value: str) -> ChainHead:
    """COUNT:HASH as printed by ``flask audit head``; ValueError saying what is wrong."""
    count_text, sep, entry_hash = value.strip().partition(":")
    entry_hash = entry_hash.strip().lower()
    if not sep or not count_text.strip().isdigit():
        raise ValueError(f"an anchor is COUNT:HASH as `flask audit head` prints it, not {value!r}")
    if len(entry_hash) != 64 or any(c not in "0123456789abcdef" for c in entry_hash):
        raise ValueError(f"the hash of anchor {value!r} is not 64 hexadecimal digits")
    return ChainHead(int(count_text), entry_hash)


def check_anchor(anchor: ChainHead) -> str:
    """An empty string when entry number ``anchor.count`` (in chain order) has ``anchor.entry_hash``; else why not.

    Together with ``verify_chain`` this proves that every entry up to the anchor is still there, unchanged.
    """
    if anchor.count == 0:
        return "" if anchor.entry_hash == GENESIS_HASH else "an anchor of 0 entries must carry the genesis hash"
    found = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id)
                              .offset(anchor.count - 1).limit(1))
    if found is None:
        count = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return (f"the log holds {count} entries but the anchor says it held {anchor.count}: "
                f"the newest entries were deleted")
    if found != anchor.entry_hash:
        return f"entry {anchor.count} does not have the anchored hash: the log was rewritten up to there"
    return ""
