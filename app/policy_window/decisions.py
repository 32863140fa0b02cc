"""The department's decision on an application (部门办理) and the window's review of it before it goes out.

The lead department decides from the engine's one inbox (its assignment page includes the kind's own decision
form): **approved** or **partly approved** with the approved amount (万元) — which may exceed what the item's
rule gives (the fixed amount, or the rate of the declared figure within the cap) only with a recorded reason —,
**rejected**, naming the failed condition and the reason, or **returned for rework** (补正) with the list of the
missing materials.

How the engine follows (one cycle of a case):

- approved / partly / rejected: the decision is the lead department's reply (``casework.reply``); the application
  waits for the window's review (stage ``review``).
- rework: the department's assignment is answered too (its reply says what is missing), the application goes back
  to the window (stage ``supplement``, one more 补正 request counted, the enterprise told by SMS). When the
  materials are in, the window accepts again, which assigns the department anew (``casework.assign`` takes a case
  whose assignments were answered).
- the window's review: **confirmed**, the decision goes out (SMS and tracking page): approved → stage ``approved``
  (payment or delivery to come, ``app.policy_window.payments``); rejected → stage ``rejected``, and the engine asks
  the enterprise to confirm it has the answer (``request_confirmation`` with the outcome "explained": closed by
  the enterprise's rating through its link, or by the window after a phone call, ``close_rejected``).
  **Sent back**, the department must decide again: a new assignment to the lead department with the window's note
  as its instructions (stage ``handling``).

The failed condition of a rejection is kept in ``failed_rule`` as an index into the version's conditions as every
page lists them (``conditions``): its rules first, then its review conditions. "Another condition" keeps no index:
its legal reference, typed by the department, is part of the recorded reason (``decision_note``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from app.accounts.models import User
from app.casework import service as casework
from app.casework.deadlines import due_date
from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, CaseAssignment, CaseKind, CaseStatus, Outcome, Satisfaction
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.policy.models import ItemKind, PolicyItemVersion
from app.policy_window import notify, scope
from app.policy_window.cases import move
from app.policy_window.labels import decision_label
from app.policy_window.models import Decision, PolicyCase, Stage
from eligibility.benefits import FIXED, RATE

MIN_REASON = 5
OTHER = "other"
# A decision sent back by the window: the department decides again within its original deadline, or this many
# working days from today when that has passed or is nearer.
REDECIDE_WORKDAYS = 3


# --------------------------------------------------------------------------- what the rule gives

def amounted(version: PolicyItemVersion) -> bool:
    """Whether the item gives an amount (fixed, or a rate of a figure): approving it names the amount."""
    return (version.benefit_kind or "") in (FIXED, RATE)


def paid_in_money(version: PolicyItemVersion) -> bool:
    """Whether the item is delivered by a payment (a grant with an amount); others record their delivery."""
    return amounted(version) and version.kind == ItemKind.grant


def figures(case: PolicyCase) -> dict:
    """The figures an amount is computed from: those the enterprise declared, the profile's otherwise."""
    record = case.profile.record()
    record.update({k: v for k, v in (case.declared or {}).items() if v is not None})
    return record


@dataclass(frozen=True)
class Ceiling:
    """The most the item's rule gives this application without a recorded reason (None: cannot be computed,
    because the figure the rate applies to is unknown), and how it was computed."""

    amount: Decimal | None
    base_key: str = ""
    base_value: float | None = None


def ceiling(case: PolicyCase) -> Ceiling:
    found = case.version.benefit
    values = figures(case)
    amount = found.estimate(values)
    if found.kind == RATE:
        base = values.get(found.base)
        return Ceiling(amount, found.base, None if base is None else float(base))
    return Ceiling(amount)


# --------------------------------------------------------------------------- the conditions

@dataclass(frozen=True)
class Condition:
    index: int
    label: str
    legal_ref: str
    review: bool  # a condition checked by a person (not computed from the profile)


def conditions(version: PolicyItemVersion) -> list[Condition]:
    """The version's conditions as every page lists them: its rules, then its review conditions."""
    out = [Condition(i, r.get("label") or r.get("expression", ""), r.get("legal_ref", ""), False)
           for i, r in enumerate(version.rules or [])]
    start = len(out)
    out += [Condition(start + j, r.get("label", ""), r.get("legal_ref", ""), True)
            for j, r in enumerate(version.reviews or [])]
    return out


def failed_condition(case: PolicyCase) -> Condition | None:
    """The condition a rejection names (None for "another condition": see the reason)."""
    if case.failed_rule is None:
        return None
    found = conditions(case.version)
    return found[case.failed_rule] if 0 <= case.failed_rule < len(found) else None


# --------------------------------------------------------------------------- the department decides

def _text(value: str | None) -> str:
    return (value or "").strip()


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise CaseError(_("Give the approved amount in 10k yuan.")) from None
    if not amount.is_finite() or amount <= 0:
        raise CaseError(_("Give the approved amount in 10k yuan."))
    return amount


def lead_of(case: PolicyCase) -> CaseAssignment | None:
    """The lead department's newest assignment of this cycle: after a rework or a decision sent back, the
    department is assigned anew in the same cycle, and its newest assignment is the one that decides (the engine's
    ``lead_assignment`` names the first)."""
    leads = [a for a in case.current_assignments if a.lead]
    return leads[-1] if leads else case.lead_assignment


def _deciding(assignment: CaseAssignment) -> PolicyCase:
    case = assignment.case
    if case.kind != CaseKind.policy or not assignment.lead:
        raise CaseError(_("Only the lead department decides on an application."))
    if assignment.status != AssignmentStatus.pending:
        raise CaseError(_("This assignment has been answered or withdrawn already."))
    if case.stage != Stage.handling:
        raise CaseError(_("The application is not with the department for a decision."))
    return case


def decide(assignment: CaseAssignment, decision: Decision | str, *, amount=None, amount_reason: str = "",
           failed: str | int | None = None, legal_ref: str = "", note: str = "", missing: list[str] | None = None,
           actor=None) -> PolicyCase:
    """The lead department's decision on its assignment (see the module's docstring for what follows).

    ``amount``: the approved amount (万元) of an approved or partly approved item that gives an amount;
    ``amount_reason``: why it is above what the rule gives; ``failed``: a rejection's failed condition, the index of
    ``conditions`` or ``"other"`` (then ``legal_ref`` names the provision); ``note``: the reason of a rejection, or
    the department's remarks; ``missing``: the materials a rework asks for.
    """
    case = _deciding(assignment)
    try:
        decision = Decision(decision)
    except ValueError:
        raise CaseError(_("Choose the decision.")) from None
    note = _text(note)
    if decision == Decision.rework:
        return _rework(assignment, case, missing or [], note, actor)
    details: dict = {"decision": decision.value, "department": assignment.department.code}
    case.failed_rule, case.approved_amount, case.amount_reason = None, None, ""
    if decision == Decision.rejected:
        text = _rejection(case, failed, _text(legal_ref), note)
        details["failed"] = case.failed_rule if case.failed_rule is not None else OTHER
    else:
        text = _approval(case, decision, amount, _text(amount_reason), note, details)
    case.decision, case.decision_note = decision, note if decision != Decision.rejected else text
    case.decided_at, case.decided_by_id = utcnow(), actor.id if actor is not None else None
    casework.reply(assignment, _("The department's decision: %(text)s", text=decision_text(case)), actor=actor)
    move(case, Stage.review, "decided", text, public=False, actor=actor, details=details)
    return case


def _approval(case: PolicyCase, decision: Decision, amount, reason: str, note: str, details: dict) -> str:
    version = case.version
    if not amounted(version):
        if decision == Decision.partly and len(note) < MIN_REASON:
            raise CaseError(_("Say which part is approved (at least 5 characters)."))
        return note
    approved = _amount(amount)
    limit = ceiling(case).amount
    above = limit is None or approved > limit
    if above and len(reason) < MIN_REASON:
        if limit is None:
            raise CaseError(_("The amount the rule gives cannot be computed (the figure it applies to is "
                              "unknown): record the reason for this amount (at least 5 characters)."))
        raise CaseError(_("%(amount)s is more than the rule gives (%(limit)s): record the reason (at least 5 "
                          "characters).", amount=approved, limit=limit))
    case.approved_amount = approved
    case.amount_reason = reason if above else ""
    details.update({"amount": str(approved), "rule_amount": None if limit is None else str(limit),
                    "above_rule": above})
    return note


def _rejection(case: PolicyCase, failed, legal_ref: str, note: str) -> str:
    if len(note) < MIN_REASON:
        raise CaseError(_("A rejection needs its reason (at least 5 characters)."))
    if failed is None or failed == "":
        raise CaseError(_("A rejection must name the condition that is not met."))
    if str(failed) == OTHER:
        if not legal_ref:
            raise CaseError(_("Name the legal reference of the condition that is not met."))
        case.failed_rule = None
        return _("%(reason)s (legal reference: %(ref)s)", reason=note, ref=legal_ref)
    try:
        index = int(failed)
    except (TypeError, ValueError):
        raise CaseError(_("A rejection must name the condition that is not met.")) from None
    if not 0 <= index < len(conditions(case.version)):
        raise CaseError(_("A rejection must name the condition that is not met."))
    case.failed_rule = index
    return note


def _rework(assignment: CaseAssignment, case: PolicyCase, missing: list[str], note: str, actor) -> PolicyCase:
    wanted = list(dict.fromkeys(m.strip() for m in missing if m and m.strip()))
    if not wanted:
        raise CaseError(_("List the missing materials."))
    case.decision, case.decision_note = Decision.rework, note
    case.decided_at, case.decided_by_id = utcnow(), actor.id if actor is not None else None
    case.supplement_requests += 1
    case.supplement_list = wanted
    casework.reply(assignment, _("Returned for missing materials: %(list)s", list="、".join(wanted))
                   + (f"\n{note}" if note else ""), actor=actor)
    move(case, Stage.supplement, "returned", "、".join(wanted), actor=actor,
         details={"department": assignment.department.code, "materials": len(wanted),
                  "requests": case.supplement_requests})
    notify.tell(case, "supplement")
    return case


def decision_text(case: PolicyCase) -> str:
    """The decision in words, as the department's reply, the window and the enterprise read it."""
    words = [decision_label(case.decision)]
    if case.decision in (Decision.approved, Decision.partly) and case.approved_amount is not None:
        words.append(_("approved amount: %(amount)s (10k yuan)", amount=case.approved_amount))
    if case.decision == Decision.rejected:
        found = failed_condition(case)
        if found is not None:
            ref = f"（{found.legal_ref}）" if found.legal_ref else ""
            words.append(_("condition not met: %(label)s", label=found.label) + ref)
    text = "；".join(words) + "。"
    return text + case.decision_note if case.decision_note else text


def take_offer(case: PolicyCase) -> None:
    """A 免申即享 offer the enterprise accepted: the decision prepared with its batch (approved, at the estimate, by
    whoever made the batch) becomes, in the engine, the lead department's answer — the case is accepted, assigned to
    the item's responsible department and answered at once with that decision — so that the window reviews it like
    any decision, and the payment and the enterprise's receipt close it like an application."""
    if case.status != CaseStatus.submitted or case.decision is None:
        return
    decider = db.session.get(User, case.decided_by_id) if case.decided_by_id else None
    version = case.version
    lead = version.department
    casework.accept(case, actor=decider)
    casework.assign(case, [lead], due_date(local_today(), version.promised_days),
                    _("Without application (免申即享): the decision prepared with the batch."), lead_id=lead.id,
                    actor=decider)
    casework.reply(lead_of(case), _("The department's decision: %(text)s", text=decision_text(case)),
                   actor=decider)


# --------------------------------------------------------------------------- the window reviews

def may_review(user, case: PolicyCase) -> bool:
    """Window staff of the application's window, the policy officer (and the administrator)."""
    return scope.may_act_for(user, case.window)


def review(case: PolicyCase, actor, approve: bool, note: str = "") -> PolicyCase:
    """The window's review of the department's decision: confirmed, it goes out; sent back, the department decides
    again (``note`` says why, at least 5 characters)."""
    if actor is None or not may_review(actor, case):
        raise CaseError(_("Only the application's window reviews its decision."))
    if case.stage != Stage.review or case.decision not in (Decision.approved, Decision.partly, Decision.rejected):
        raise CaseError(_("There is no decision waiting for the window's review."))
    note = _text(note)
    if not approve:
        return _send_back(case, actor, note)
    if case.status != CaseStatus.replied:
        raise CaseError(_("Not every department on the case has answered yet."))
    case.reviewed_at, case.reviewed_by_id = utcnow(), actor.id
    text = decision_text(case)
    details = {"decision": case.decision.value, "confirmed": True}
    if case.decision == Decision.rejected:
        move(case, Stage.rejected, "reviewed", text, actor=actor, details=details)
        casework.request_confirmation(case, outcome=Outcome.explained, public_reply=text, actor=actor)
    else:
        move(case, Stage.approved, "reviewed", text, actor=actor, details=details)
    notify.tell(case, "decided")
    return case


def _send_back(case: PolicyCase, actor, note: str) -> PolicyCase:
    if len(note) < MIN_REASON:
        raise CaseError(_("Say why the decision goes back to the department (at least 5 characters)."))
    lead = lead_of(case)
    if lead is None:
        raise CaseError(_("The application has no department to send the decision back to."))
    today = local_today()
    due_on: date = max(lead.due_on, due_date(today, REDECIDE_WORKDAYS))
    previous = case.decision.value
    case.decision, case.approved_amount, case.amount_reason, case.failed_rule = None, None, "", None
    case.decision_note, case.decided_at, case.decided_by_id = "", None, None
    move(case, Stage.handling, "sent_back", note, public=False, actor=actor,
         details={"decision": previous, "confirmed": False})
    casework.assign(case, [lead.department], due_on, note, lead_id=lead.department_id, actor=actor)
    return case


def close_rejected(case: PolicyCase, satisfaction: Satisfaction | str, actor) -> None:
    """The window recorded, after a phone call, the enterprise's verdict on the rejection it was sent: the engine
    closes the case (outcome "explained", confirmed by a staff call)."""
    if actor is None or not may_review(actor, case):
        raise CaseError(_("Only the application's window reviews its decision."))
    if case.stage != Stage.rejected:
        raise CaseError(_("The application was not rejected."))
    casework.close(case, outcome=Outcome.explained, satisfaction=satisfaction, public_reply=case.public_reply,
                   actor=actor, details={"stage": case.stage.value})
