"""What the enterprise's tracking page (/w/<token>) shows of one application — and nothing of any other.

Where it is (the stage), who has it (the window; the department once referred), the deadline and whether it
is overdue, what it needs from the enterprise, the decision with its reason, the payments, and the public steps
of its history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import format_decimal, gettext as _

from app.casework.labels import event_label
from app.platform.calendar import local_today
from app.policy.explain import lines
from app.policy.notices import wan
from app.policy_window import decisions, labels, online
from app.policy_window.models import Decision, PolicyCase, Stage
from eligibility.fields import BY_KEY

REFERRED = frozenset({Stage.handling, Stage.review, Stage.approved, Stage.paid, Stage.delivered, Stage.rejected})
DECIDED = frozenset({Stage.approved, Stage.paid, Stage.delivered, Stage.rejected})


@dataclass(frozen=True)
class Step:
    at: object
    label: str
    note: str


@dataclass(frozen=True)
class Page:
    case: PolicyCase
    stage_label: str
    holder: str
    department: str
    due_on: date | None
    overdue: bool
    decision_label: str
    approved: str
    failed: dict | None
    payments: list
    paid_total: str
    history: list[Step]
    figures: list[dict]

    @property
    def stage(self) -> str:
        return self.case.stage.value


def holder(case: PolicyCase) -> str:
    """Who has the application now: the lead department while it handles it, the window otherwise."""
    lead = decisions.lead_of(case)
    if case.stage == Stage.handling and lead is not None:
        return lead.department.name
    return case.window.name


def failed_rule(case: PolicyCase) -> dict | None:
    """A rejection's failed condition and its article (a computed rule or a condition checked by a person)."""
    found = decisions.failed_condition(case) if case.decision == Decision.rejected else None
    return {"label": found.label, "legal_ref": found.legal_ref} if found is not None else None


def page(case: PolicyCase, today: date | None = None) -> Page:
    today = today or local_today()
    lead = decisions.lead_of(case)
    due = lead.due_on if lead is not None else None
    shown = case.stage in DECIDED and case.decision is not None
    return Page(
        case=case, stage_label=labels.stage_label(case.stage), holder=holder(case),
        department=lead.department.name if lead is not None else "",
        due_on=due if case.stage not in DECIDED else None,
        overdue=bool(lead is not None and case.stage == Stage.handling and lead.overdue(today)),
        decision_label=labels.decision_label(case.decision) if shown else "",
        approved=wan(case.approved_amount) if shown and case.approved_amount is not None else "",
        failed=failed_rule(case) if shown else None,
        payments=list(case.payments), paid_total=wan(case.paid_total) if case.payments else "",
        history=[Step(e.at, event_label(e.kind), e.note) for e in case.events if e.public],
        figures=figures(case) if case.stage == Stage.draft else [])


def figures(case: PolicyCase) -> list[dict]:
    """The draft's figures to declare: key, label, unit, and the value declared (or the profile's on record)."""
    record = case.profile.record()
    out = []
    for key in online.declared_fields(case.version):
        field = BY_KEY[key]
        value = (case.declared or {}).get(key, record.get(key))
        out.append({"key": key, "label": _(field.label), "unit": _(field.unit) if field.unit and field.unit != "%"
                    else field.unit, "value": "" if value is None else format_decimal(value, format="0.##")})
    return out


def trace_lines(case: PolicyCase):
    return lines(case.version, case.trace or [])
