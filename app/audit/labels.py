"""What the auditor's page reads for the codes of an audit entry: its action, the kind of its target, the keys and
the coded values of its details, in the reader's language.

The entry itself keeps the codes (the hash covers them, and the CSV export carries them unchanged for checking
the chain outside); only the page translates. Codes that belong to higher domains, which this package cannot
import (a respondent category's key, a scheme's stored label), are read by the lookups those domains register.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext, ngettext

ACTIONS = {
    "assessment.answers_export": _l("Round answers exported"),
    "assessment.correct": _l("Results corrected"),
    "assessment.export": _l("Results exported"),
    "assessment.labels_backfilled": _l("Published labels recorded"),
    "assessment.release_comments": _l("Comments released to liaisons"),
    "assessment.rescore": _l("Round scored again"),
    "assessment_scheme.create": _l("Assessment scheme recorded"),
    "audit.export": _l("Audit log exported"),
    "audit.verify": _l("Audit chain verified"),
    "auth.login": _l("Logged in"),
    "auth.login_failed": _l("Failed login"),
    "auth.login_throttled": _l("Login held back"),
    "auth.logout": _l("Logged out"),
    "campaign.configure": _l("Round configured"),
    "campaign.create": _l("Round created"),
    "campaign.drafts_deleted": _l("Unsubmitted drafts deleted"),
    "campaign.extend": _l("Round extended"),
    "campaign.draft": _l("Round back to draft"),
    "campaign.drawn": _l("Round drawn"),
    "campaign.sending": _l("Round sending invitations"),
    "campaign.open": _l("Round opened"),
    "campaign.closed": _l("Round closed"),
    "campaign.scored": _l("Round scored"),
    "campaign.published": _l("Results published"),
    "complaint.accept": _l("Complaint accepted"),
    "complaint.assign": _l("Complaint assigned"),
    "complaint.attachment.download": _l("Complaint attachment downloaded"),
    "complaint.attachment.share": _l("Complaint attachment shared"),
    "complaint.close": _l("Complaint closed"),
    "complaint.decline": _l("Complaint declined"),
    "complaint.export": _l("Complaints exported"),
    "complaint.note": _l("Complaint note added"),
    "complaint.phone_reveal": _l("Complainant's phone shown"),
    "complaint.reassign": _l("Complaint reassigned"),
    "complaint.remind": _l("Department reminded"),
    "complaint.reopen": _l("Complaint reopened"),
    "complaint.reply": _l("Department replied"),
    "complaint.view": _l("Complaint viewed"),
    "complaint.withdraw": _l("Assignment withdrawn"),
    "department.activate": _l("Department activated or deactivated"),
    "department.create": _l("Department created"),
    "department.import": _l("Departments imported"),
    "department.update": _l("Department changed"),
    "draw.draw": _l("Sample drawn"),
    "draw.freeze": _l("Frame frozen"),
    "draw.plan": _l("Sample plan saved"),
    "draw.seed": _l("Seed set"),
    "draw.void": _l("Draw voided"),
    "phones.rekey": _l("Phone key rotated"),
    "profile.import": _l("Enterprise profiles imported"),
    "profile.update": _l("Enterprise profile changed"),
    "pool.category.create": _l("Respondent category added"),
    "pool.export": _l("Pool exported"),
    "pool.import": _l("Pool imported"),
    "pool.member.status": _l("Member status changed"),
    "pool.member.update": _l("Member changed"),
    "pool.targets": _l("Category targets changed"),
    "questionnaire.create": _l("Questionnaire created"),
    "questionnaire.discard": _l("Questionnaire draft discarded"),
    "questionnaire.draft": _l("Questionnaire draft started"),
    "questionnaire.edit": _l("Questionnaire draft edited"),
    "questionnaire.import": _l("Questionnaire imported"),
    "questionnaire.publish": _l("Questionnaire version published"),
    "realtime.callback_reveal": _l("Call-back number shown"),
    "realtime.exclude": _l("Rating excluded"),
    "realtime.export": _l("Real-time ratings exported"),
    "realtime.follow_up.complete": _l("Follow-up recorded"),
    "realtime.include": _l("Rating counted again"),
    "realtime.keep": _l("Flagged rating kept"),
    "realtime.point.create": _l("Service point added"),
    "realtime.point.update": _l("Service point changed"),
    "retention.purge": _l("Old data erased"),
    "sms.queue": _l("Invitations queued"),
    "sms.remind": _l("Reminders sent"),
    "sms.resume": _l("Sending resumed"),
    "sms.send": _l("Invitations sent"),
    "callback.close": _l("Call-back check closed"),
    "callback.draw": _l("Call-back check drawn"),
    "callback.freeze": _l("Call-back check frame frozen"),
    "callback.seed": _l("Call-back check seed set"),
    "callback.send": _l("Call-back links sent"),
    "forum.draw.draw": _l("Forum invitations drawn"),
    "forum.draw.export": _l("Forum draw evidence downloaded"),
    "forum.draw.freeze": _l("Forum draw frame frozen"),
    "forum.invitation.answer": _l("Invitation answered"),
    "forum.invitation.attendance": _l("Attendance recorded"),
    "forum.invitation.choose": _l("Enterprises invited"),
    "forum.invitation.remove": _l("Invitation withdrawn"),
    "forum.invitation.send": _l("Forum invitations sent"),
    "forum.meeting.create": _l("Meeting planned"),
    "forum.meeting.held": _l("Meeting held"),
    "forum.meeting.update": _l("Meeting changed"),
    "forum.notify": _l("Enterprise told by SMS"),
    "profile.push_restore": _l("Policy messages to an enterprise restored"),
    "policy.notify": _l("Enterprise told of its application by SMS"),
    "policy_window.consultation.create": _l("Consultation logged at the policy window"),
    "policy_window.consultation.answer": _l("Consultation answered"),
    "policy_window.consultation.edit": _l("Consultation's enterprise or item set"),
    "policy_window.consultation.apply": _l("Consultation turned into an application"),
    "policy.payment": _l("Payment on a policy application recorded"),
    # The enterprise's side of the window (app/policy_window/online.py).
    "policy.code_sent": _l("Code for an online application sent by SMS"),
    "policy.draft_saved": _l("Online application draft saved"),
    "policy.asked_online": _l("Question about a policy asked online"),
    "forum.phone_reveal": _l("Enterprise's full number shown"),
    "forum.raise": _l("Problem raised"),
    "forum.report_publish": _l("Meeting report published"),
    "forum.view": _l("Forum problem viewed"),
    "policy.create": _l("Policy added"),
    "policy.update": _l("Policy changed"),
    "policy.import": _l("Policy items imported"),
    "policy.item.create": _l("Policy item added"),
    "policy.item.edit": _l("Policy item draft changed"),
    "policy.item.version": _l("Policy item changed: new version"),
    "policy.item.publish": _l("Policy item published"),
    "policy.item.expire": _l("Policy item expired"),
    "policy.item.repeal": _l("Policy item repealed"),
    "policy.window.create": _l("Policy window added"),
    "policy.window.update": _l("Policy window changed"),
    "policy.promise.create": _l("Investment promise recorded"),
    "policy.promise.deliver": _l("Investment promise delivered"),
    "policy.promise.cancel": _l("Investment promise cancelled"),
    "policy.match": _l("Policy item matched against the enterprises"),
    "policy.opt_out": _l("Enterprise asked for no more policy messages"),
    "policy.push": _l("Policy item pushed by SMS"),
    "policy.automatic_batch": _l("Enterprises asked to confirm an item without application"),
    "user.create": _l("Account created"),
    "user.mobile": _l("Mobile number for reminders changed"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.reactivate": _l("Account reactivated"),
    "user.role_change": _l("Role changed"),
    "user.two_factor_disabled": _l("Two-step login turned off"),
    "user.two_factor_enabled": _l("Two-step login turned on"),
    "user.two_factor_reset": _l("Two-step login reset"),
    "user.update": _l("Account changed"),
}

TARGETS = {
    "campaign": lazy_pgettext("audit target", "Round"),
    "user": lazy_pgettext("audit target", "Account"),
    "department": lazy_pgettext("audit target", "Department"),
    "complaint": lazy_pgettext("audit target", "Complaint"),
    "service_point": lazy_pgettext("audit target", "Service point"),
    "realtime_rating": lazy_pgettext("audit target", "Real-time rating"),
    "questionnaire": lazy_pgettext("audit target", "Questionnaire"),
    "questionnaire_version": lazy_pgettext("audit target", "Questionnaire version"),
    "assessment_scheme": lazy_pgettext("audit target", "Assessment scheme"),
    "respondent": lazy_pgettext("audit target", "Pool member"),
    "follow_up": lazy_pgettext("audit target", "Follow-up"),
    "pool": lazy_pgettext("audit target", "Respondent pool"),
    "realtime": lazy_pgettext("audit target", "Real-time ratings"),
    "complaints": lazy_pgettext("audit target", "Complaints"),
    "audit_log": lazy_pgettext("audit target", "Audit log"),
    "phones": lazy_pgettext("audit target", "Phone numbers"),
    "retention": lazy_pgettext("audit target", "Retention"),
    "personal-data": lazy_pgettext("audit target", "Personal data"),
    "category": lazy_pgettext("audit target", "Respondent category"),
    "departments": lazy_pgettext("audit target", "Departments"),
    "forum": lazy_pgettext("audit target", "Forum problem"),
    "policy": lazy_pgettext("audit target", "Policy application"),
    "forum_meeting": lazy_pgettext("audit target", "Forum meeting"),
    "callback": lazy_pgettext("audit target", "Call-back check"),
    "policy": lazy_pgettext("audit target", "Policy"),
    "policy_item": lazy_pgettext("audit target", "Policy item"),
    "policy_catalogue": lazy_pgettext("audit target", "Policy catalogue"),
    "policy_window": lazy_pgettext("audit target", "Policy window"),
    "policy_consultation": lazy_pgettext("audit target", "Policy consultation"),
    "investment_promise": lazy_pgettext("audit target", "Investment promise"),
    "policy_item_version": lazy_pgettext("audit target", "Policy item version"),
    "profile": lazy_pgettext("audit target", "Enterprise profile"),
    "profiles": lazy_pgettext("audit target", "Enterprise profiles"),
    "consultation": lazy_pgettext("audit target", "Policy consultation"),
}



# The steps of a case (app/casework records "<kind>.<step>"): a kind without its own names reads "<kind>: <step>".
CASE_STEPS = {
    "accept": lazy_pgettext("case step", "accepted"),
    "acknowledge": lazy_pgettext("case step", "assignment acknowledged"),
    "assign": lazy_pgettext("case step", "assigned"),
    "attachment.share": lazy_pgettext("case step", "attachment shared"),
    "close": lazy_pgettext("case step", "closed"),
    "contact_attempt": lazy_pgettext("case step", "raiser not reached"),
    "decline": lazy_pgettext("case step", "not accepted"),
    "note": lazy_pgettext("case step", "note added"),
    "progress": lazy_pgettext("case step", "progress reported"),
    "reassign": lazy_pgettext("case step", "reassigned"),
    "remind": lazy_pgettext("case step", "department reminded"),
    "reopen": lazy_pgettext("case step", "reopened"),
    "reply": lazy_pgettext("case step", "department replied"),
    "retract": lazy_pgettext("case step", "withdrawn by the raiser"),
    "request_confirmation": lazy_pgettext("case step", "raiser asked to confirm"),
    "withdraw": lazy_pgettext("case step", "assignment withdrawn"),
}

KEYS = {
    "above_rule": lazy_pgettext("audit detail", "above rule"),
    "amount": lazy_pgettext("audit detail", "amount"),
    "approved": lazy_pgettext("audit detail", "approved"),
    "before": lazy_pgettext("audit detail", "before"),
    "budget": lazy_pgettext("audit detail", "budget"),
    "budget_used": lazy_pgettext("audit detail", "budget used"),
    "co": lazy_pgettext("audit detail", "co"),
    "confirmed": lazy_pgettext("audit detail", "confirmed"),
    "consent": lazy_pgettext("audit detail", "consent"),
    "decided": lazy_pgettext("audit detail", "decided"),
    "decision": lazy_pgettext("audit detail", "decision"),
    "declined": lazy_pgettext("audit detail", "declined"),
    "eligibility": lazy_pgettext("audit detail", "eligibility"),
    "fields": lazy_pgettext("audit detail", "fields"),
    "item": lazy_pgettext("audit detail", "item"),
    "origin": lazy_pgettext("audit detail", "origin"),
    "over_budget": lazy_pgettext("audit detail", "over budget"),
    "paid": lazy_pgettext("audit detail", "paid"),
    "paid_on": lazy_pgettext("audit detail", "paid on"),
    "payments": lazy_pgettext("audit detail", "payments"),
    "phone": lazy_pgettext("audit detail", "phone"),
    "reason_given": lazy_pgettext("audit detail", "reason given"),
    "receipt": lazy_pgettext("audit detail", "receipt"),
    "received": lazy_pgettext("audit detail", "received"),
    "requests": lazy_pgettext("audit detail", "requests"),
    "rule_amount": lazy_pgettext("audit detail", "rule amount"),
    "stage": lazy_pgettext("audit detail", "stage"),
    "visits": lazy_pgettext("audit detail", "visits"),
    "what": lazy_pgettext("audit detail", "what"),
    "maximum": lazy_pgettext("audit detail", "maximum per department"),
    "minimum": lazy_pgettext("audit detail", "minimum per department"),
    "period": lazy_pgettext("audit detail", "period"),
    "sent": lazy_pgettext("audit detail", "sent"),
    "without_phone": lazy_pgettext("audit detail", "without a phone"),
    "at_meeting": lazy_pgettext("audit detail", "raised at the meeting"),
    "attended": lazy_pgettext("audit detail", "attended"),
    "attending": lazy_pgettext("audit detail", "will attend"),
    "capped": lazy_pgettext("audit detail", "held back by the daily cap"),
    "category": lazy_pgettext("audit detail", "category"),
    "chair": lazy_pgettext("audit detail", "chair"),
    "held_on": lazy_pgettext("audit detail", "meeting day"),
    "identity_shared": lazy_pgettext("audit detail", "identity shared with departments"),
    "invitation": lazy_pgettext("audit detail", "invitation"),
    "keys": lazy_pgettext("audit detail", "pool numbers"),
    "accepted": lazy_pgettext("audit detail", "accepted"),
    "attempts": lazy_pgettext("audit detail", "attempts"),
    "confirmation": lazy_pgettext("audit detail", "confirmation"),
    "outcome": lazy_pgettext("audit detail", "outcome"),
    "added": lazy_pgettext("audit detail", "added"),
    "allocation": lazy_pgettext("audit detail", "allocation"),
    "assessment": lazy_pgettext("audit detail", "assessment"),
    "broken_id": lazy_pgettext("audit detail", "first broken entry"),
    "changes": lazy_pgettext("audit detail", "changes"),
    "checked": lazy_pgettext("audit detail", "entries checked"),
    "closes_on": lazy_pgettext("audit detail", "closes on"),
    "code": lazy_pgettext("audit detail", "code"),
    "commitment": lazy_pgettext("audit detail", "commitment"),
    "cycle": lazy_pgettext("audit detail", "cycle"),
    "department": lazy_pgettext("audit detail", "department"),
    "departments": lazy_pgettext("audit detail", "departments"),
    "drafts": lazy_pgettext("audit detail", "drafts"),
    "draw": lazy_pgettext("audit detail", "draw"),
    "due_on": lazy_pgettext("audit detail", "due on"),
    "end": lazy_pgettext("audit detail", "to date"),
    "entries": lazy_pgettext("audit detail", "entries"),
    "failed": lazy_pgettext("audit detail", "failed"),
    "file": lazy_pgettext("audit detail", "file"),
    "files": lazy_pgettext("audit detail", "files"),
    "sms": lazy_pgettext("audit detail", "SMS sent"),
    "set": lazy_pgettext("audit detail", "set"),
    "filters": lazy_pgettext("audit detail", "filters"),
    "flag": lazy_pgettext("audit detail", "flag"),
    "format": lazy_pgettext("audit detail", "format"),
    "frame_size": lazy_pgettext("audit detail", "frame size"),
    "from": lazy_pgettext("audit detail", "from"),
    "input_hash": lazy_pgettext("audit detail", "input hash"),
    "invitations": lazy_pgettext("audit detail", "invitations"),
    "ip": lazy_pgettext("audit detail", "IP address"),
    "labels": lazy_pgettext("audit detail", "labels"),
    "link_mode": lazy_pgettext("audit detail", "link mode"),
    "name": lazy_pgettext("audit detail", "name"),
    "ok": lazy_pgettext("audit detail", "intact"),
    "on_time": lazy_pgettext("audit detail", "on time"),
    "overdue": lazy_pgettext("audit detail", "overdue"),
    "previous_satisfaction": lazy_pgettext("audit detail", "previous satisfaction"),
    "questionnaire_version": lazy_pgettext("audit detail", "questionnaire version"),
    "reason": lazy_pgettext("audit detail", "reason"),
    "replaced": lazy_pgettext("audit detail", "replaced"),
    "results_hash": lazy_pgettext("audit detail", "results hash"),
    "retry": lazy_pgettext("audit detail", "to retry"),
    "role": lazy_pgettext("audit detail", "role"),
    "satisfaction": lazy_pgettext("audit detail", "satisfaction"),
    "scheme": lazy_pgettext("audit detail", "scheme"),
    "seed": lazy_pgettext("audit detail", "seed"),
    "selected": lazy_pgettext("audit detail", "selected"),
    "selection_hash": lazy_pgettext("audit detail", "selection hash"),
    "skipped_rows": lazy_pgettext("audit detail", "rows skipped"),
    "source": lazy_pgettext("audit detail", "source"),
    "start": lazy_pgettext("audit detail", "from date"),
    "status": lazy_pgettext("audit detail", "status"),
    "substantiated": lazy_pgettext("audit detail", "substantiated"),
    "to": lazy_pgettext("audit detail", "to"),
    "unchanged": lazy_pgettext("audit detail", "unchanged"),
    "updated": lazy_pgettext("audit detail", "updated"),
    "username": lazy_pgettext("audit detail", "username"),
    "version": lazy_pgettext("audit detail", "version"),
    "reopened": lazy_pgettext("audit detail", "reopened"),
    "title": lazy_pgettext("audit detail", "title"),
    "level": lazy_pgettext("audit detail", "level"),
    "delivered_on": lazy_pgettext("audit detail", "delivered on"),
    "profiles": lazy_pgettext("audit detail", "enterprise profiles"),
    "eligible": lazy_pgettext("audit detail", "eligible"),
    "likely": lazy_pgettext("audit detail", "likely eligible"),
    "missing": lazy_pgettext("audit detail", "missing data"),
    "ineligible": lazy_pgettext("audit detail", "not eligible"),
    "already": lazy_pgettext("audit detail", "sent before"),
    "opted_out": lazy_pgettext("audit detail", "opted out"),
    "no_phone": lazy_pgettext("audit detail", "without a mobile number"),
    "push": lazy_pgettext("audit detail", "push"),
    "notice": lazy_pgettext("audit detail", "policy message"),
    "purpose": lazy_pgettext("audit detail", "what is checked"),
    # 免申即享 batches (app/policy_window/automatic.py)
    "batch": lazy_pgettext("audit detail", "batch"),
    "window": lazy_pgettext("audit detail", "window"),
    "holding": lazy_pgettext("audit detail", "already holding an application"),
    "excluded": lazy_pgettext("audit detail", "taken off the list"),
    "changed": lazy_pgettext("audit detail", "no longer eligible"),
    "listed": lazy_pgettext("audit detail", "asked to confirm"),
}


VALUES = {
    "resolution": lazy_pgettext("audit value", "call-back check (solved?)"),
    "delivery": lazy_pgettext("audit value", "delivery check (received?)"),
    "draft": lazy_pgettext("audit value", "draft"),
    "drawn": lazy_pgettext("audit value", "drawn"),
    "sending": lazy_pgettext("audit value", "sending"),
    "open": lazy_pgettext("audit value", "open"),
    "closed": lazy_pgettext("audit value", "closed"),
    "scored": lazy_pgettext("audit value", "scored"),
    "published": lazy_pgettext("audit value", "published"),
    "superseded": lazy_pgettext("audit value", "superseded"),
    "link": lazy_pgettext("audit value", "personal link"),
    "code": lazy_pgettext("audit value", "access code"),
    "generated": lazy_pgettext("audit value", "generated"),
    "typed": lazy_pgettext("audit value", "typed"),
    "satisfied": lazy_pgettext("audit value", "satisfied"),
    "basically": lazy_pgettext("audit value", "basically satisfied"),
    "unsatisfied": lazy_pgettext("audit value", "unsatisfied"),
    "client_burst": lazy_pgettext("audit value", "a burst of ratings from one source"),
    "xlsx": "XLSX",
    "csv": "CSV",
}


_LOOKUPS: list[Callable[[str], str | None]] = []


def register_actions(labels: dict[str, Any]) -> None:
    """A domain's actions recorded under codes it builds (``policy.<step>``), with their names."""
    ACTIONS.update(labels)


def register_value_labels(lookup: Callable[[str], str | None]) -> None:
    """Let a domain name its codes on the auditor's page: ``lookup(code)`` gives a label, or None if not its own."""
    _LOOKUPS.append(lookup)


def value_label(code: str) -> str:
    """A coded value as people read it: this module's table, then the domains' lookups, else the value as is."""
    if code in VALUES:
        return str(VALUES[code])
    for lookup in _LOOKUPS:
        label = lookup(code)
        if label is not None:
            return label
    return code


def actor_label(name: str, actor_id: int | None) -> str:
    """Who acted: a username, or the command line, or somebody not logged in (a failed login)."""
    if actor_id is not None:
        return name
    return {"cli": _("Command line"), "anonymous": _("Not logged in")}.get(name, name)


def action_label(action: str) -> str:
    """The action's name: from the table, or a case's kind and step; the code for an action not known yet."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    kind, _sep, step = action.partition(".")
    if step in CASE_STEPS:
        return _("%(kind)s: %(step)s", kind=value_label(kind), step=CASE_STEPS[step])
    return action


def target_label(target: str) -> str:
    """「评价轮次 12」 for ``campaign:12``; a target without an id is a whole area (``pool``)."""
    kind, _sep, ident = target.partition(":")
    name = str(TARGETS.get(kind, kind))
    return f"{name} {ident}" if ident else name


def details_label(details: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, value) pairs of an entry's details as people read them: keys labelled, yes/no for booleans, codes
    through ``value_label``, lists joined; what nests deeper is counted (the CSV export carries it whole)."""
    label_of = value_label

    def scalar(value) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, str):
            return label_of(value)
        return str(value)

    def text(value) -> str:
        if isinstance(value, dict):
            if all(not isinstance(v, (dict, list)) for v in value.values()):
                return "，".join(f"{str(KEYS.get(k, '')) or label_of(k)} {scalar(v)}" for k, v in value.items()) or "—"
            return ngettext("%(num)d item", "%(num)d items", len(value))
        if isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                return "、".join(scalar(v) for v in value) or "—"
            return ngettext("%(num)d item", "%(num)d items", len(value))
        return scalar(value)

    return [(str(KEYS.get(key, key)), text(value)) for key, value in sorted(details.items())]
