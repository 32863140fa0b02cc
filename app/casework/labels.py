"""What the casework engine calls its states, outcomes, verdicts, confirmations and history steps, in the
reader's language. Each kind adds its own categories (``app.complaints.labels``, ``app.forum.labels``)."""
from __future__ import annotations

import enum

from flask_babel import gettext as _, pgettext

from app.audit import labels as audit_labels
from app.casework.models import CaseKind, CaseStatus, Confirmation, Outcome, Satisfaction


def pick(item, **labels: str) -> str:
    """The label of an enum member or its value; an unknown value is shown as it is."""
    value = item.value if isinstance(item, enum.Enum) else item
    return labels.get(value, value)


def kind_label(kind: CaseKind | str) -> str:
    """The front door a case came in by."""
    return pick(kind, complaint=pgettext("case kind", "Complaint"), forum=pgettext("case kind", "Forum problem"),
                policy=pgettext("case kind", "Policy application"))


def status_label(status: CaseStatus | str) -> str:
    """A case's status as the raiser and the staff read it."""
    return pick(status, submitted=_("Awaiting acceptance"), declined=_("Not accepted"), accepted=_("Accepted"),
                assigned=_("Being handled"), replied=_("Replied, awaiting closure"),
                confirming=_("Awaiting the raiser's confirmation"), closed=_("Closed and answered"))


def satisfaction_label(value: Satisfaction | str) -> str:
    """The raiser's verdict at closing."""
    return pick(value, satisfied=_("Satisfied"), basically=_("Basically satisfied"),
                unsatisfied=_("Not satisfied"), unreachable=_("Could not be reached"))


def outcome_label(value: Outcome | str) -> str:
    """What became of a case."""
    return pick(value, solved=_("Solved"), partly_solved=_("Partly solved"),
                explained=_("Explained, cannot be solved"), duplicate=_("Duplicate, merged"),
                redirected=_("Not our responsibility, redirected"), answered_on_spot=_("Answered on the spot"))


def confirmation_label(value: Confirmation | str) -> str:
    """Who confirmed the closing."""
    return pick(value, raiser=_("Confirmed by the raiser through their link"),
                staff_call=_("Confirmed by phone, recorded by staff"),
                sign_off=_("Raiser unreachable, signed off by a supervisor"))


# Steps a kind records beyond the engine's own (``register_events``): step → a function giving its label.
_KIND_EVENTS: dict[str, object] = {}


def register_events(labels: dict[str, object]) -> None:
    """A kind's own history steps and their labels (callables, so that they are translated when shown)."""
    _KIND_EVENTS.update(labels)


def event_label(kind: str) -> str:
    """One step of a case's history."""
    if kind in _KIND_EVENTS:
        return str(_KIND_EVENTS[kind]())
    return pick(kind, submitted=_("Complaint received"), raised=_("Problem raised"),
                accepted=_("Accepted for handling"), declined=_("Not accepted"),
                assigned=_("Assigned to a department"), acknowledged=_("Assignment acknowledged"),
                progress=_("Progress update"), withdrawn=_("Assignment withdrawn"),
                reminded=_("Department reminded"), replied=_("Department replied"),
                confirming=_("Raiser asked to confirm"), attempt=_("Raiser could not be reached"),
                closed=_("Closed and answered"), substantiated=_("Found substantiated against"),
                reopened=_("Reopened"), note=_("Note"),
                retracted=_("Withdrawn by the raiser"))


def _value_of_audit_entry(code: str) -> str | None:
    """A case's kind, outcome, confirmation or verdict in an audit entry, as the engine names it."""
    for values, label in ((CaseKind, kind_label), (Outcome, outcome_label), (Confirmation, confirmation_label),
                          (Satisfaction, satisfaction_label)):
        if code in {member.value for member in values}:
            return label(code)
    return None


audit_labels.register_value_labels(_value_of_audit_entry)
