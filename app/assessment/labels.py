"""What a published assessment is labelled with (issue 24, finding 3): the departments' codes and names on each
result, the scheme's label and the round's dimensions on the assessment, written while it is still ``scored`` and
frozen with it when it is published.

The page and the exports of a published assessment show these stored labels (``reports.department_labels``), so
that renaming — or swapping the names and codes of — departments after publication changes nothing published.
The audit log records the labels when an assessment is published or corrected, and `flask scores verify` compares
them with what is stored (``differences``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.assessment.models import Assessment, AssessmentScheme
from app.assessment.reports import dimension_keys
from app.departments.models import Department
from app.extensions import db
from app.rounds.models import Campaign


def stamp(assessment: Assessment, campaign: Campaign, scheme: AssessmentScheme) -> None:
    """Write the live codes and names of the departments, the scheme label and the round's dimensions onto an
    assessment that is still ``scored`` (the freeze refuses it afterwards)."""
    ids = [r.department_id for r in assessment.results]
    live = {d.id: d for d in db.session.scalars(select(Department).where(Department.id.in_(ids or [0])))}
    for r in assessment.results:
        dept = live[r.department_id]
        if (r.department_code, r.department_name) != (dept.code, dept.name):
            r.department_code, r.department_name = dept.code, dept.name
    labels = {"scheme": scheme.label, "dimensions": dimension_keys(campaign)}
    if assessment.labels != labels:
        assessment.labels = labels


def record(assessment: Assessment) -> dict[str, Any]:
    """The stored labels as the audit log keeps them (JSON: department ids as strings)."""
    labels = assessment.labels or {}
    return {"scheme": labels.get("scheme"), "dimensions": labels.get("dimensions"),
            "departments": {str(r.department_id): [r.department_code, r.department_name]
                            for r in sorted(assessment.results, key=lambda r: r.department_id)}}


def differences(stored: dict[str, Any], recorded: dict[str, Any]) -> list[str]:
    """What differs between the labels stored now and those an audit entry recorded, one line per change."""
    out = []
    if stored.get("scheme") != recorded.get("scheme"):
        out.append(f"scheme label is {stored.get('scheme')!r}, recorded {recorded.get('scheme')!r}")
    if stored.get("dimensions") != recorded.get("dimensions"):
        out.append(f"dimensions are {stored.get('dimensions')!r}, recorded {recorded.get('dimensions')!r}")
    now, then = stored.get("departments") or {}, recorded.get("departments") or {}
    for dept in sorted(set(now) | set(then), key=lambda d: int(d)):
        if dept not in then:
            out.append(f"department {dept} has a result the record does not list")
            continue
        if dept not in now:
            out.append(f"department {dept} is recorded but has no result")
            continue
        for i, what in enumerate(("code", "name")):
            if now[dept][i] != then[dept][i]:
                out.append(f"department {dept}: stored {what} is {now[dept][i]!r}, recorded {then[dept][i]!r}")
    return out
