"""What the complaints centre calls its categories (states, verdicts and history steps: ``app.casework.labels``)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.audit import labels as audit_labels
from app.casework import labels as case_labels
from app.casework.labels import pick
from app.casework.models import CaseKind, Confirmation, Outcome, Satisfaction
from app.complaints.models import ComplaintCategory


def category_label(category: ComplaintCategory | str) -> str:
    """The name of a complaint category."""
    return pick(category, discipline=_("Discipline inspection supervision"),
                procuratorial=_("Procuratorial legal supervision"),
                enforcement=_("Administrative law-enforcement supervision"),
                enterprise_policy=_("Enterprise-policy supervision"))


def _case_value_of_audit_entry(code: str) -> str | None:
    """A case's kind, outcome, confirmation or verdict in an audit entry, as the engine names it.

    Registered here, by the first kind of case, while the engine itself (app/casework) is being restructured;
    it belongs beside the engine's labels."""
    for values, label in ((CaseKind, case_labels.kind_label), (Outcome, case_labels.outcome_label),
                          (Confirmation, case_labels.confirmation_label),
                          (Satisfaction, case_labels.satisfaction_label)):
        if code in {member.value for member in values}:
            return label(code)
    return None


audit_labels.register_value_labels(_case_value_of_audit_entry)
