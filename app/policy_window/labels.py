"""The policy window's words in the reader's language: stages, decisions, origins, channels, consent, receipt, and
the steps an application's history records (registered with the engine's history labels)."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l, pgettext

from app.audit import labels as audit_labels
from app.casework import labels as case_labels
from app.casework.labels import pick
from app.policy.explain import result_label
from app.policy_window.models import Channel, Consent, Decision, Origin, Receipt, Stage
from eligibility.evaluation import Result


def stage_label(stage: Stage | str) -> str:
    return pick(stage, draft=_("Being filled in"), consent=_("Awaiting the enterprise's consent"),
                intake=_("At the window"), supplement=_("Materials missing"), handling=_("With the department"),
                review=_("Decision under the window's review"), approved=_("Approved, to be paid"),
                paid=_("Paid, awaiting confirmation of receipt"), delivered=_("Received"),
                rejected=_("Not approved"), declined=_("Declined by the enterprise"), withdrawn=_("Withdrawn"))


def decision_label(decision: Decision | str) -> str:
    return pick(decision, approved=_("Approved"), partly=_("Partly approved"), rejected=_("Not approved"),
                rework=_("Returned for missing materials"))


def origin_label(origin: Origin | str) -> str:
    return pick(origin, window=_("At the window"), online=_("Online"), automatic=_("Without application"))


def channel_label(channel: Channel | str) -> str:
    return pick(channel, window=pgettext("consultation channel", "At the window"),
                phone=pgettext("consultation channel", "By phone"), online=pgettext("consultation channel", "Online"))


def consent_label(consent: Consent | str) -> str:
    return pick(consent, accepted=pgettext("consent", "Accepted"), declined=pgettext("consent", "Declined"), correction=_("Asked to correct its data"))


def receipt_label(receipt: Receipt | str) -> str:
    return pick(receipt, link=_("Confirmed by the enterprise"), phone=_("Confirmed by phone to the window"))


# An application's history: every step recorded by app.policy_window.cases.move (and the engine's own).
STEPS = {
    "applied": _l("Application received"),
    "handed_in": _l("Application handed in online"),
    "materials": _l("Materials received"),
    "supplement": _l("Missing materials requested"),
    "supplemented": _l("Missing materials handed in"),
    "declared": _l("Declared figures recorded"),
    "referred": _l("Referred to the department"),
    "decided": _l("Department decided"),
    "returned": _l("Returned for missing materials"),
    "reviewed": _l("Decision reviewed by the window"),
    "sent_back": _l("Decision sent back to the department by the window"),
    "part_payment": _l("Part payment recorded"),
    "paid": _l("Payment recorded"),
    "delivered": _l("Delivery recorded"),
    "received": _l("Receipt confirmed"),
    "app_withdrawn": _l("Application withdrawn"),  # a history step's name holds 16 characters at most
    "consent_asked": _l("Enterprise asked to consent"),
    "consented": _l("Enterprise consented"),
    "consent_declined": _l("Enterprise declined"),
    "correction": _l("Enterprise asked to correct its data"),
}
def _value_of_audit_entry(code: str) -> str | None:
    """A stage, decision, origin, consent, receipt or eligibility result in an audit entry, by its name."""
    for values, label in ((Stage, stage_label), (Decision, decision_label), (Origin, origin_label),
                          (Consent, consent_label), (Receipt, receipt_label)):
        if code in values._value2member_map_:
            return label(code)
    if code in Result._value2member_map_:
        return result_label(code)
    return str(NEWS_LABELS[code]()) if code in NEWS_LABELS else None


# What an SMS about an application told the enterprise (``policy.notify``'s ``what``), beyond the stages' names.
NEWS_LABELS = {"received": lambda: _("Application accepted"), "decided": lambda: _("Decision made"),
               "progress": lambda: _("Progress update")}


audit_labels.register_value_labels(_value_of_audit_entry)
case_labels.register_events({step: (lambda label=label: label) for step, label in STEPS.items()})
audit_labels.register_actions({f"policy.{step}": label for step, label in STEPS.items()})
