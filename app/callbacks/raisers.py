"""How to reach the raiser of a case, per kind: the one place the call-back check reads a kind's contact details.

A complaint keeps its complainant's phone sealed (``Complaint.complainant_phone``); a forum problem will reach its
enterprise through the pool's phone. The check cannot import the kinds (they sit beside it in the layers), so
it reads the loaded case's own attribute by name: a case queried as ``Case`` comes back as its kind's subclass
(joined-table inheritance). When the casework engine's registry of kinds (``app.casework.kinds``) gains a
per-kind phone accessor, ``sealed_phone`` becomes a call to it and nothing else here changes.
"""
from __future__ import annotations

from app.casework.models import Case, CaseKind
from app.platform.phones import current_vault

# The attribute that holds a kind's sealed raiser phone (as stored: clear or encrypted by the phone vault).
SEALED_PHONE_ATTRIBUTE: dict[CaseKind, str] = {
    CaseKind.complaint: "complainant_phone",
}


def sealed_phone(case: Case) -> str:
    """The raiser's phone as stored ("" when the raiser left none or the kind has no phone for them)."""
    attribute = SEALED_PHONE_ATTRIBUTE.get(case.kind)
    return (getattr(case, attribute, "") or "") if attribute else ""


def reachable(case: Case) -> bool:
    """Whether the raiser can be sent a call-back SMS."""
    return bool(sealed_phone(case))


def phone(case: Case) -> str | None:
    """The raiser's phone in E.164, opened from its seal, or None. Only the SMS gateway may be given it."""
    stored = sealed_phone(case)
    return current_vault().open(stored) if stored else None
