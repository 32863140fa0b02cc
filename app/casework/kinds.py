"""What each kind of case tells the engine: who organises it, how departments read what was raised, how the
raiser hears of progress. A kind registers itself once, when its package is loaded (``register``)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.casework.models import Case, CaseKind
from app.platform.roles import Role


@dataclass(frozen=True)
class Kind:
    """One front door of the engine.

    ``organiser_role``: staff who see the raiser's identity and every file, assign, close and sign off.
    ``raised_template``: the template that shows a department what was raised (given ``case`` and ``identity``,
    the raiser's identity or None when the department may not see it).
    ``organiser_endpoint``: the organisers' page of one case (called with ``number``).
    ``notify``: tells the raiser, by their own channel, that there is news on ``case`` (a progress update, the
    answer to confirm); None when the kind has no channel to the raiser.
    ``identity``: the raiser's identity as the organisers see it (a dict of labelled fields), or None.
    ``phone``: the raiser's mobile number (E.164) for a message about the case — a progress update, the
    call-back check — or None when there is none; every use of it is the caller's to audit.
    ``file_endpoint``: where a file of the kind's cases is downloaded (called with ``attachment_id``).
    ``confirm_on_reply``: when every department has answered, ask the raiser to confirm at once (with the lead
    department's outcome and reply) instead of waiting for an organiser.
    ``answer_template``: the kind's own answer for the LEAD department, included on the assignment page in place of
    the engine's reply form (given ``item``, ``case``, ``kind``); its form posts to the kind's own route, which
    answers through ``service.reply``. Co-departments keep the engine's reply form. Empty: the engine's form.
    """

    kind: CaseKind
    organiser_role: Role
    raised_template: str
    organiser_endpoint: str
    notify: Callable[[Case, str], None] | None = None
    identity: Callable[[Case], dict | None] | None = None
    phone: Callable[[Case], str | None] | None = None
    file_endpoint: str = ""
    confirm_on_reply: bool = False
    answer_template: str = ""


_KINDS: dict[CaseKind, Kind] = {}


def register(kind: Kind) -> None:
    _KINDS[kind.kind] = kind


def of(case_or_kind: Case | CaseKind | str) -> Kind:
    """The registered kind of a case (or of a kind's value)."""
    key = case_or_kind.kind if isinstance(case_or_kind, Case) else CaseKind(case_or_kind)
    return _KINDS[key]


def registered() -> list[Kind]:
    return list(_KINDS.values())
