"""What the complaints centre calls its categories, statuses, verdicts and history steps, in the reader's language."""
from __future__ import annotations

import enum

from flask_babel import gettext as _

from app.complaints.models import ComplaintCategory, ComplaintStatus, Satisfaction


def _pick(item, **labels: str) -> str:
    """The label of an enum member or its value; an unknown value is shown as it is."""
    value = item.value if isinstance(item, enum.Enum) else item
    return labels.get(value, value)


def category_label(category: ComplaintCategory | str) -> str:
    """The name of a complaint category."""
    return _pick(category, discipline=_("Discipline inspection supervision"),
                 procuratorial=_("Procuratorial legal supervision"),
                 enforcement=_("Administrative law-enforcement supervision"),
                 enterprise_policy=_("Enterprise-policy supervision"))


def status_label(status: ComplaintStatus | str) -> str:
    """A complaint's status as the complainant and the handlers read it."""
    return _pick(status, submitted=_("Awaiting acceptance"), declined=_("Not accepted"), accepted=_("Accepted"),
                 assigned=_("Being handled"), replied=_("Replied, awaiting closure"),
                 closed=_("Closed and answered"))


def satisfaction_label(value: Satisfaction | str) -> str:
    """The complainant's verdict at closing."""
    return _pick(value, satisfied=_("Satisfied"), basically=_("Basically satisfied"),
                 unsatisfied=_("Not satisfied"), unreachable=_("Could not be reached"))


def event_label(kind: str) -> str:
    """One step of a complaint's history."""
    return _pick(kind, submitted=_("Complaint received"), accepted=_("Accepted for handling"),
                 declined=_("Not accepted"), assigned=_("Assigned to a department"),
                 withdrawn=_("Assignment withdrawn"), reminded=_("Department reminded"),
                 replied=_("Department replied"), closed=_("Closed and answered"),
                 substantiated=_("Found substantiated against"), reopened=_("Reopened"), note=_("Note"))
