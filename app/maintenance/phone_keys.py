"""Re-encrypting every sealed value under the current PHONE_ENCRYPTION_KEY (`flask phones rekey`).

A key rotation (docs/DEPLOYMENT.md, Rotating secrets) leaves values sealed with the old key until they are
rewritten; the application reads them meanwhile through PHONE_ENCRYPTION_OLD_KEYS. This module rewrites them
all, so that the old key can leave the environment:

- What is sealed: SEALED_COLUMNS — pool members' numbers, complainants' numbers, real-time call-back numbers,
  staff mobile numbers and TOTP secrets (everything app/platform/phones.py's vault seals). The lookup hashes are not touched: their key,
  PHONE_INDEX_KEY, does not change with a rotation.
- It refuses to run without an explicit PHONE_INDEX_KEY (see app/platform/phones.py: the hashes must not follow the key),
  and when any value is sealed with no configured key (it would be lost): it names the table and the row ids.
- Batches of ``batch_size`` rows, one transaction each; a row is rewritten only if it still holds the value read
  (a conditional UPDATE), so a number changed by the application meanwhile — sealed with the current key
  already — is left as it is. Values already under the current key are left alone: running it again changes
  nothing. Values stored in clear text (before encryption was turned on) get encrypted.
- A last count says whether anything is still under an old key (an instance still running with the old key as
  PHONE_ENCRYPTION_KEY writes such values: restart every instance, then run it again).
- One audit entry, ``phones.rekey``, with counts only; neither the counts nor anything else here ever holds a
  number or a secret.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Column, Table, select, update

from app.accounts.models import User
from app.audit import service as audit
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.phones import PhoneVault, Sealed, current_vault
from app.pool.models import Respondent
from app.realtime.models import FollowUpTask

SEALED_COLUMNS: tuple[tuple[type, str], ...] = (
    (Respondent, "phone"),
    (Complaint, "complainant_phone"),
    (FollowUpTask, "callback_phone"),
    (User, "totp_secret"),
    (User, "mobile"),
)
UNREADABLE_IDS_SHOWN = 20


class RekeyError(Exception):
    """Why the values cannot be re-encrypted now (never holds a value)."""


@dataclass
class ColumnCount:
    """One sealed column: how many of its values are in each state (and, after a run, rewritten)."""

    label: str  # "respondents.phone"
    current: int = 0
    old: int = 0
    clear: int = 0
    unreadable_ids: list[int] = field(default_factory=list)
    reencrypted: int = 0
    encrypted: int = 0  # clear-text values encrypted
    changed_meanwhile: int = 0


@dataclass
class RekeyResult:
    columns: list[ColumnCount]
    still_old: int = 0  # values under an old key after the run


def _columns() -> list[tuple[str, Table, Column]]:
    found = []
    for model, name in SEALED_COLUMNS:
        table = model.__table__
        found.append((f"{table.name}.{name}", table, table.c[name]))
    return found


def _batches(table: Table, column: Column, batch_size: int):
    """The (id, value) rows holding something, by id, ``batch_size`` at a time (keyset paging: rows rewritten
    while it runs neither repeat nor get skipped)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(table.c.id, column).where(table.c.id > last_id, column.is_not(None), column != "")
            .order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return
        yield rows
        last_id = rows[-1][0]


def count(batch_size: int = 1000) -> list[ColumnCount]:
    """How many values of each sealed column are under the current key, an old key, in clear text, or unreadable."""
    vault = current_vault()
    counts = []
    for label, table, column in _columns():
        tally = ColumnCount(label)
        for rows in _batches(table, column, batch_size):
            for row_id, value in rows:
                state = vault.state(value)
                if state == Sealed.unreadable:
                    tally.unreadable_ids.append(row_id)
                else:
                    setattr(tally, state.value, getattr(tally, state.value) + 1)
        counts.append(tally)
    return counts


def check_ready(vault: PhoneVault) -> None:
    """Refuse a run that would lose data or change the lookup hashes."""
    if not vault.encrypting:
        raise RekeyError("PHONE_ENCRYPTION_KEY is not set: there is no key to re-encrypt under.")
    if not current_app.config.get("PHONE_INDEX_KEY"):
        raise RekeyError("PHONE_INDEX_KEY is not set: the phone lookup hashes are still derived from "
                         "PHONE_ENCRYPTION_KEY, so a rotation would change them (opted-out numbers could be imported "
                         "again). With the key the database was first encrypted with as PHONE_ENCRYPTION_KEY, run "
                         "`flask phones show-index-key`, set PHONE_INDEX_KEY to what it prints, restart, then rotate "
                         "(docs/DEPLOYMENT.md, Rotating secrets).")


def unreadable_message(counts: list[ColumnCount]) -> str | None:
    """Which rows no configured key decrypts (ids only), or None."""
    lost = [c for c in counts if c.unreadable_ids]
    if not lost:
        return None
    parts = []
    for c in lost:
        shown = ", ".join(str(i) for i in c.unreadable_ids[:UNREADABLE_IDS_SHOWN])
        hidden = len(c.unreadable_ids) - UNREADABLE_IDS_SHOWN
        more = f" and {hidden} more" if hidden > 0 else ""
        parts.append(f"{c.label} (ids {shown}{more})")
    return ("No configured key decrypts these values; add the key they were sealed with to PHONE_ENCRYPTION_OLD_KEYS "
            "and run again. Nothing was changed. " + "; ".join(parts))


def _rewrite_batch(vault: PhoneVault, table: Table, column: Column, rows, tally: ColumnCount) -> None:
    for row_id, value in rows:
        state = vault.state(value)
        if state not in (Sealed.old, Sealed.clear):  # current: nothing to do; unreadable: refused before
            continue
        result = db.session.execute(update(table).where(table.c.id == row_id, column == value)
                                    .values({column.name: vault.reseal(value)}))
        if result.rowcount != 1:
            tally.changed_meanwhile += 1
        elif state == Sealed.old:
            tally.reencrypted += 1
        else:
            tally.encrypted += 1


def rekey(batch_size: int = 500) -> RekeyResult:
    """Re-encrypt every sealed value under the current key, batch by batch; one audit entry. Commits."""
    vault = current_vault()
    check_ready(vault)
    before = count()
    problem = unreadable_message(before)
    if problem:
        raise RekeyError(problem)
    for (_label, table, column), tally in zip(_columns(), before):
        for rows in _batches(table, column, batch_size):
            _rewrite_batch(vault, table, column, rows, tally)
            db.session.commit()
    after = count()
    result = RekeyResult(before, still_old=sum(c.old for c in after))
    details = {c.label: c.reencrypted for c in before}
    details["clear_text_encrypted"] = sum(c.encrypted for c in before)
    details["still_under_an_old_key"] = result.still_old
    audit.record("phones.rekey", "", details)
    db.session.commit()
    return result
