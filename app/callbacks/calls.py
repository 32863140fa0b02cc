"""The calls of a check: each drawn case's raiser gets an SMS with a personal one-time link, answers once, anonymously.

A link token has 128 random bits (``secrets.token_urlsafe(16)``); only its SHA-256 is kept, on the call, as a
round's invitation keeps its link's. The answer is **sealed** in the same transaction that marks the call used —
the mark says that the link was used, never with what — and joins ``callback_answers`` only in shuffled batches
(``release``, the idea of ``app.responses.store``): rows written together share tell-tale system columns, and a
lone answer inserted right after a call was marked would betray whose it was. Closing the check stops every link
and releases whatever is still sealed.

A delivery check (兑现回访) asks its four questions (``answer_delivery``); its answers are sealed and released the
same way, into ``callback_delivery_answers``. The one thing that may reach the calling side is the enterprise's
own request to be contacted (``follow_up_requested``), allowed only after "not received" or "partly": it names the
case to the window, never the answers.
"""
from __future__ import annotations

import enum
import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from app.accounts.models import User
from app.audit import service as audit
from app.callbacks import raisers
from app.callbacks.draw import CallbackError
from app.callbacks.models import (
    NOT_RECEIVED,
    AmountRight,
    CallbackAnswer,
    CallbackCall,
    CallbackCheck,
    CallbackDeliveryAnswer,
    CallbackSealedAnswer,
    CheckStatus,
    Purpose,
    Received,
    Satisfied,
    Solved,
)
from app.casework.models import Case
from app.extensions import db
from app.platform.columns import utcnow
from app.platform.links import public_base_url
from app.sms.notify import send_one

LINK_PATH = "/c/"  # the raiser's page, /c/<token> (app.callbacks.routes; masked in logs by app.platform.log_masking)
MAX_TOKEN_LENGTH = 64
RETURNS = (0, 1, 2, 3)  # 3 stands for "3 times or more"


class Access(str, enum.Enum):
    """What a call-back link leads to."""

    ok = "ok"
    unknown = "unknown"   # no such link, or one replaced by a newer SMS
    used = "used"
    closed = "closed"


def _hash(token: str) -> str:
    return hashlib.sha256(f"callback:{token}".encode("utf-8")).hexdigest()


def find(token: str) -> tuple[Access, CallbackCall | None]:
    """The call a link opens and whether it may still be answered."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return Access.unknown, None
    call = db.session.scalar(select(CallbackCall).where(CallbackCall.token_hash == _hash(token)))
    if call is None:
        return Access.unknown, None
    if call.check.status != CheckStatus.drawn:
        return Access.closed, None
    return (Access.used, None) if call.used else (Access.ok, call)


# --- sending ---------------------------------------------------------------------------------------------

def unsent(check: CallbackCheck) -> int:
    """Calls whose raiser has not been sent a link yet."""
    return db.session.scalar(select(func.count()).select_from(CallbackCall)
                             .where(CallbackCall.check_id == check.id, CallbackCall.sent_at.is_(None),
                                    CallbackCall.token_hash.is_(None)))


def send(check_id: int, user_id: int | None = None) -> tuple[int, int]:
    """Send every unsent call its link; returns (sent, failed). A job: it commits around each gateway call.

    Each call is claimed (its token's hash written) and committed before the gateway is asked, so that a second
    job, or a crash and a restart, never sends the same raiser two links; a refused message frees the claim.
    """
    check = db.session.get(CallbackCheck, check_id)
    if check is None or check.status != CheckStatus.drawn:
        return 0, 0
    config = current_app.config
    base = public_base_url()  # a job has no request to build the address from
    prefix = "CALLBACK_DELIVERY" if check.purpose == Purpose.delivery else "CALLBACK"
    sent = failed = 0
    ids = list(db.session.scalars(select(CallbackCall.id).where(
        CallbackCall.check_id == check_id, CallbackCall.sent_at.is_(None), CallbackCall.token_hash.is_(None))
        .order_by(CallbackCall.id)))
    for call_id in ids:
        token = secrets.token_urlsafe(16)
        claimed = db.session.execute(update(CallbackCall).where(
            CallbackCall.id == call_id, CallbackCall.sent_at.is_(None), CallbackCall.token_hash.is_(None))
            .values(token_hash=_hash(token)))
        db.session.commit()
        if claimed.rowcount != 1:
            continue
        call = db.session.get(CallbackCall, call_id)
        phone = raisers.phone(db.session.get(Case, call.case_id))
        accepted = phone is not None and send_one(
            phone, kind="callback", template_code=config[f"{prefix}_SMS_TEMPLATE_CODE"],
            template_text=config[f"{prefix}_SMS_TEMPLATE_TEXT"],
            params={"link": f"{base}{LINK_PATH}{token}"}, reference=f"callback:{call_id}")
        if accepted:
            call.sent_at = utcnow()
            sent += 1
        else:
            call.token_hash, call.send_failures = None, call.send_failures + 1
            failed += 1
        db.session.commit()
    audit.record("callback.send", f"callback:{check_id}", {"sent": sent, "failed": failed},
                 actor=None if user_id is None else db.session.get(User, user_id))
    db.session.commit()
    return sent, failed


# --- answering -----------------------------------------------------------------------------------------------

def answer(call: CallbackCall, solved: Solved | str, satisfied: Satisfied | str, returns: int) -> None:
    """Seal one raiser's answers and mark the call used, in one transaction; CallbackError if it is too late.

    What is kept: the check, the department, whether the department claimed the case solved, the three
    answers — nothing that leads back to the call, the case or the raiser, and no time.
    """
    solved, satisfied = Solved(solved), Satisfied(satisfied)
    if returns not in RETURNS:
        raise CallbackError(_("Choose how many times you had to go back."))
    _seal(call, {"department_id": call.department_id, "claimed_solved": call.claimed_solved,
                 "solved": solved.value, "satisfied": satisfied.value, "returns": returns})


def answer_delivery(call: CallbackCall, received: Received | str, amount_right: AmountRight | str, visits: int,
                    satisfied: Satisfied | str, follow_up: bool = False) -> None:
    """Seal one enterprise's four answers to a delivery check and mark the call used; CallbackError if refused.

    ``follow_up``: the enterprise asks the window to contact it — allowed after "not received" or "partly" only,
    and recorded on the call (which knows the case), apart from the answers, which know neither the case nor it.
    """
    received, amount_right, satisfied = Received(received), AmountRight(amount_right), Satisfied(satisfied)
    if visits not in RETURNS:
        raise CallbackError(_("Choose how many times you had to come to a window."))
    if follow_up and received not in NOT_RECEIVED:
        raise CallbackError(_("A contact from the window can be asked for only when it was not received, or only "
                              "partly."))
    _seal(call, {"department_id": call.department_id, "received": received.value,
                 "amount_right": amount_right.value, "visits": visits, "satisfied": satisfied.value},
          follow_up=follow_up)


def _seal(call: CallbackCall, payload: dict, follow_up: bool = False) -> None:
    """Mark the call used (and, if asked, for a follow-up) and seal the answers, in one transaction."""
    check_id = call.check_id
    # Conditional: of two submissions at once (a double tap, two tabs) only the first marks the call.
    marked = db.session.execute(
        update(CallbackCall).where(CallbackCall.id == call.id, CallbackCall.used.is_(False),
                                   CallbackCall.check_id.in_(select(CallbackCheck.id).where(
                                       CallbackCheck.id == check_id, CallbackCheck.status == CheckStatus.drawn)))
        .values(used=True, follow_up_requested=bool(follow_up)))
    if marked.rowcount != 1:
        db.session.rollback()
        raise CallbackError(_("This link has already been used, or the check has ended."))
    db.session.add(CallbackSealedAnswer(check_id=check_id, payload=payload))
    db.session.commit()  # the answer must be kept whatever happens next in the request
    release(check_id, current_app.config["CALLBACK_RELEASE_BATCH"])


def _answer_row(check_id: int, purpose: Purpose, payload: dict):
    """The anonymous row a sealed payload becomes, in its purpose's table."""
    if purpose == Purpose.delivery:
        return CallbackDeliveryAnswer(check_id=check_id, department_id=payload["department_id"],
                                      received=Received(payload["received"]),
                                      amount_right=AmountRight(payload["amount_right"]), visits=payload["visits"],
                                      satisfied=Satisfied(payload["satisfied"]))
    return CallbackAnswer(check_id=check_id, department_id=payload["department_id"],
                          claimed_solved=payload["claimed_solved"], solved=Solved(payload["solved"]),
                          satisfied=Satisfied(payload["satisfied"]), returns=payload["returns"])


def release(check_id: int, minimum: int = 1) -> int:
    """Move a check's sealed answers into its purpose's answer table in random order, if at least ``minimum`` wait.

    As ``app.responses.store.release``: the DELETE … RETURNING is the claim between concurrent releases.
    """
    waiting = db.session.scalar(select(func.count()).select_from(CallbackSealedAnswer)
                                .where(CallbackSealedAnswer.check_id == check_id))
    if waiting < max(minimum, 1):
        return 0
    sealed = list(db.session.execute(delete(CallbackSealedAnswer).where(CallbackSealedAnswer.check_id == check_id)
                                     .returning(CallbackSealedAnswer.payload)).scalars())
    if len(sealed) < max(minimum, 1):
        db.session.rollback()
        return 0
    secrets.SystemRandom().shuffle(sealed)
    purpose = db.session.scalar(select(CallbackCheck.purpose).where(CallbackCheck.id == check_id))
    for payload in sealed:
        db.session.add(_answer_row(check_id, purpose, payload))
    db.session.commit()
    return len(sealed)


def close(check: CallbackCheck, user) -> int:
    """End the check: every link stops and every sealed answer is released. Returns how many were released."""
    closed = db.session.execute(update(CallbackCheck).where(CallbackCheck.id == check.id,
                                                            CallbackCheck.status == CheckStatus.drawn)
                                .values(status=CheckStatus.closed, closed_at=utcnow(),
                                        closed_by_id=user.id if user else None))
    if closed.rowcount != 1:
        raise CallbackError(_("Only a drawn check that is still open can be closed."))
    db.session.refresh(check)
    audit.record("callback.close", f"callback:{check.id}", {}, actor=user)
    db.session.commit()  # closed before the release, so that no answer slips in after it
    return release(check.id, 1)
