"""How to reach the raiser of a case: each kind says it through the engine's registry (``app.casework.kinds``), so
the call-back check reads every kind's contact the same way without importing the kinds (they sit beside it)."""
from __future__ import annotations

from app.casework import kinds
from app.casework.models import Case


def phone(case: Case) -> str | None:
    """The raiser's phone in E.164, or None (no number left, erased, or a kind with no way to reach its raiser).
    Only the SMS gateway may be given it."""
    try:
        accessor = kinds.of(case).phone
    except KeyError:  # a kind not registered in this process
        return None
    return accessor(case) if accessor is not None else None


def reachable(case: Case) -> bool:
    """Whether the raiser can be sent a call-back SMS."""
    return phone(case) is not None
