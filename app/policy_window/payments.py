"""Payment and delivery (兑现到位), and the enterprise's confirmation of receipt.

An approved money item (a grant with an amount, ``decisions.paid_in_money``) is delivered only when paid:
payments (amount, day, voucher, paying department) possibly in parts, never more in total than the approved
amount; each draws down the item's budget (``app.policy_window.budget``), and a payment that would take the item
past its budget needs a recorded reason (the override, kept with the payment and in the audit log). Paid in full,
the application is at stage ``paid`` and the enterprise is asked by SMS to confirm receipt. Other items record
their delivery (certificate issued, reduction applied) in words.

A case is **delivered** only when paid (or delivered) AND confirmed: by the enterprise from its link
(``Receipt.link``, the enterprise's pages) or by the window after a phone call (``confirm_receipt_by_phone``).
Both go through ``confirm_receipt``, whose engine part (``close_delivered``) closes the case as solved (partly
solved for a partly approved one) with the confirmation it had.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from app.audit import service as audit
from app.casework import service as casework
from app.casework.errors import CaseError
from app.casework.models import CaseStatus, Confirmation, Outcome, Satisfaction
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.policy.models import PolicyItem
from app.policy_window import budget, notify, scope
from app.policy_window.cases import move
from app.policy_window.decisions import MIN_REASON, decision_text, paid_in_money
from app.policy_window.models import Decision, PolicyCase, PolicyPayment, Receipt, Stage

PAYABLE = (Stage.approved, Stage.paid)


class OverBudget(CaseError):
    """The payment would take the item past its budget and no reason was recorded: the page asks for one."""


def _may_act(case: PolicyCase, actor) -> None:
    if actor is None or not scope.may_act_for(actor, case.window):
        raise CaseError(_("Only the application's window records its payment and delivery."))


def _money(value, message: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise CaseError(message) from None
    if not amount.is_finite() or amount <= 0:
        raise CaseError(message)
    return amount


def outstanding(case: PolicyCase) -> Decimal:
    """What is still to be paid of the approved amount."""
    return (case.approved_amount or Decimal("0")) - case.paid_total


def record_payment(case: PolicyCase, amount, paid_on: date, voucher: str, paying_department: Department, actor,
                   over_budget_reason: str = "") -> PolicyPayment:
    """One payment on an approved money item; paid in full, the application is paid and the enterprise told."""
    _may_act(case, actor)
    if case.stage not in PAYABLE or case.decision not in (Decision.approved, Decision.partly):
        raise CaseError(_("Payments are recorded only on an approved application."))
    if not paid_in_money(case.version) or case.approved_amount is None:
        raise CaseError(_("This item is not paid in money: record its delivery instead."))
    amount = _money(amount, _("Give the amount paid in 10k yuan."))
    voucher = (voucher or "").strip()
    if not voucher:
        raise CaseError(_("Give the voucher or reference number of the payment."))
    if paid_on is None or paid_on > local_today():
        raise CaseError(_("The day of payment cannot be in the future."))
    if paying_department is None:
        raise CaseError(_("Choose the paying department."))
    item = case.version.item
    # One payment at a time per item (PostgreSQL; SQLite writes one at a time anyway): two windows paying at once
    # must not both find the budget, or the case's approved amount, still free.
    db.session.execute(select(PolicyItem.id).where(PolicyItem.id == item.id).with_for_update())
    db.session.refresh(case, ["payments"])
    if amount > outstanding(case):
        raise CaseError(_("The payments would exceed the approved amount: %(left)s (10k yuan) is left to pay.",
                          left=outstanding(case)))
    budget_total, used = budget.total(item), budget.used(item)
    over = budget_total is not None and used + amount > budget_total
    reason = (over_budget_reason or "").strip()
    if over and len(reason) < MIN_REASON:
        raise OverBudget(_("This payment takes the item past its budget (%(budget)s, %(used)s used, in 10k yuan): "
                           "record the reason for exceeding it (at least 5 characters).",
                           budget=budget_total, used=used))
    payment = PolicyPayment(case=case, amount=amount, paid_on=paid_on, voucher=voucher[:100],
                            department_id=paying_department.id, over_budget_reason=reason if over else "",
                            recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(payment)
    db.session.flush()
    audit.record("policy.payment", casework.target(case),
                 {"amount": str(amount), "paid_on": paid_on.isoformat(), "department": paying_department.code,
                  "item": item.code, "budget": None if budget_total is None else str(budget_total),
                  "budget_used": str(used + amount), "over_budget": over}, actor=actor)
    if outstanding(case) <= 0:
        case.paid_at = utcnow()
        move(case, Stage.paid, "paid", _("%(amount)s (10k yuan) paid in full.", amount=case.paid_total),
             actor=actor, details={"paid": str(case.paid_total), "payments": len(case.payments)})
        notify.tell(case, "paid")
    else:
        casework.event(case, "part_payment", _("%(amount)s (10k yuan) paid; %(left)s to pay.", amount=amount,
                                          left=outstanding(case)), actor=actor)
    return payment


def record_delivery(case: PolicyCase, note: str, actor) -> PolicyCase:
    """The delivery of an item that is not paid in money (a certificate issued, a reduction applied)."""
    _may_act(case, actor)
    if case.stage != Stage.approved or case.decision not in (Decision.approved, Decision.partly):
        raise CaseError(_("A delivery is recorded only on an approved application."))
    if paid_in_money(case.version):
        raise CaseError(_("This item is paid in money: record its payments."))
    note = (note or "").strip()
    if len(note) < MIN_REASON:
        raise CaseError(_("Say what was delivered (at least 5 characters)."))
    case.delivery_note, case.paid_at = note, utcnow()
    move(case, Stage.paid, "delivered", note, actor=actor)
    notify.tell(case, "paid")
    return case


def close_delivered(case: PolicyCase, confirmation: Confirmation | str, satisfaction: Satisfaction | str,
                    actor=None, comment: str = "") -> None:
    """The engine's part of a confirmed receipt: the case closes as solved (partly solved when partly approved),
    with the enterprise's own rating through its link (``Confirmation.raiser``) or the verdict the window
    recorded after a phone call (``Confirmation.staff_call``)."""
    outcome = Outcome.partly_solved if case.decision == Decision.partly else Outcome.solved
    reply = decision_text(case)
    if case.paid_total:
        reply += _(" Paid: %(amount)s (10k yuan).", amount=case.paid_total)
    elif case.delivery_note:
        reply += " " + case.delivery_note
    confirmation = Confirmation(confirmation)
    if confirmation == Confirmation.raiser:
        if case.status != CaseStatus.confirming:
            casework.request_confirmation(case, outcome=outcome, public_reply=reply, actor=actor)
        casework.confirm_by_raiser(case, satisfaction, comment)
    elif confirmation == Confirmation.staff_call:
        casework.close(case, outcome=outcome, satisfaction=satisfaction, public_reply=reply, note=comment,
                       details={"stage": case.stage.value}, actor=actor)
    else:
        raise CaseError(_("A receipt is confirmed by the enterprise or by a phone call."))


def confirm_receipt(case: PolicyCase, receipt: Receipt | str, satisfaction: Satisfaction | str, actor=None,
                    comment: str = "") -> PolicyCase:
    """The enterprise has it: stage ``delivered`` (only from ``paid``), the receipt recorded, the case closed."""
    receipt = Receipt(receipt)
    if case.stage != Stage.paid:
        raise CaseError(_("Receipt can be confirmed only once the payment or delivery is recorded."))
    case.receipt, case.receipt_at = receipt, utcnow()
    move(case, Stage.delivered, "received", actor=actor, details={"receipt": receipt.value})
    close_delivered(case, Confirmation.raiser if receipt == Receipt.link else Confirmation.staff_call,
                    satisfaction, actor=actor, comment=comment)
    return case


def confirm_receipt_by_phone(case: PolicyCase, actor, satisfaction: Satisfaction | str,
                             note: str = "") -> PolicyCase:
    """The window called the enterprise, which confirmed it received the money or the delivery."""
    _may_act(case, actor)
    return confirm_receipt(case, Receipt.phone, satisfaction, actor=actor, comment=note)
