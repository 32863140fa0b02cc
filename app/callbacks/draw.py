"""The call-back check's sample: the same verifiable draw as a monthly round's, on closed cases.

Which cases: every case **closed in the period** (local dates) with a valid outcome — solved, partly solved,
explained, answered on the spot; duplicates and redirected cases are left out, as the solved rate leaves them
out, since no department handled them. The check is there to test what departments report as solved, so the
claimed outcome is part of each case's **stratum**: ``<department code>|solved`` (solved or partly solved) or
``<department code>|unsolved``. Sampling the unsolved too keeps the check from being a test only of good news
(a case closed as "explained" that the raiser says was solved is worth knowing too) and lets the report set
the two side by side; the stratum makes the claim part of the committed frame, so it cannot change after the seed.

Per department: at most ``maximum`` cases are drawn, all of them when fewer; a department with fewer closed
cases than ``minimum`` is drawn from not at all and reported as too few to judge. A department's number is
shared between its two strata in proportion to their sizes (``sampling.allocation_plan``). Cases whose raiser
left no phone cannot be called: they are not in the frame, and the check counts them per department.

A **delivery** check (兑现回访, ``Purpose.delivery``) draws in the same way from the policy applications paid or
delivered in the period (``app.callbacks.delivery.paid_cases``), one stratum per department,
``<department code>|delivered``: every one of them is reported delivered, and whether it was is the question.

The steps are a round's (``app.rounds.draws``): ``create`` freezes the frame and records its SHA-256
commitment, to be published before any seed exists; ``set_seed``; ``draw`` takes the smallest tickets
(``sampling.select``). ``evidence_files`` are the files ``tools/verify_draw.py`` replays.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectin_polymorphic, selectinload

import sampling
from app.audit import labels as audit_labels, service as audit
from app.callbacks import delivery, raisers
from app.callbacks.models import CallbackCall, CallbackCheck, CallbackFrameMember, CheckStatus, Purpose
from app.casework.models import INVALID_OUTCOMES, Case, CaseAssignment, CaseStatus
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today, period_bounds
from app.platform.columns import utcnow
from app.platform.dates import EARLIEST
from app.rounds.draws import DrawError, Verification, clean_seed, compare_selection, csv_text

SOLVED, UNSOLVED, DELIVERED = "solved", "unsolved", "delivered"
LARGEST_PER_DEPARTMENT = 500
# What the frame is, in plan.json (a file for auditors, in the language of the rest of its fields).
POPULATIONS = {
    Purpose.resolution: "cases closed in the period with a valid outcome and a phone, under their lead department",
    Purpose.delivery: "policy applications at stage paid or delivered, paid in the period, with a phone, "
                      "under their lead department",
}


class CallbackError(ValueError):
    """A user-facing reason why a step of the check is refused."""


def stratum(department_code: str, claimed_solved: bool, purpose: Purpose = Purpose.resolution) -> str:
    """The stratum of a case: its department's code and what the department claims (solved or not; delivered)."""
    if purpose == Purpose.delivery:
        return f"{department_code}|{DELIVERED}"
    return f"{department_code}|{SOLVED if claimed_solved else UNSOLVED}"


def department_of(stratum_label: str) -> str:
    return stratum_label.rsplit("|", 1)[0]


@dataclass(frozen=True)
class Stratum:
    """One stratum of a check, as its page shows it."""

    label: str
    department: str  # the department's name, or its code if it no longer exists
    claimed_solved: bool  # claimed solved; in a delivery check, reported delivered
    size: int
    drawn: int


def strata(check: CallbackCheck) -> list[Stratum]:
    """The check's strata with N_h and n_h, by department code, claimed solved first."""
    names = {code: name for code, name in db.session.execute(select(Department.code, Department.name))}
    return [Stratum(label, names.get(department_of(label), department_of(label)),
                    label.endswith((f"|{SOLVED}", f"|{DELIVERED}")),
                    size, check.allocation.get(label, 0))
            for label, size in sorted(check.stratum_sizes.items(),
                                      key=lambda item: (department_of(item[0]), not item[0].endswith(f"|{SOLVED}")))]


def closed_cases(start: date, end: date) -> list[tuple[Case, Department]]:
    """The cases closed in the period with a valid outcome, each with its lead department, by tracking number."""
    since, until = period_bounds(start, end)
    cases = db.session.scalars(
        select(Case).options(selectin_polymorphic(Case, Case.__subclasses__()),
                             selectinload(Case.assignments).joinedload(CaseAssignment.department))
        .where(Case.status == CaseStatus.closed, Case.closed_at >= since, Case.closed_at < until,
               Case.outcome.is_not(None), Case.outcome.not_in(INVALID_OUTCOMES))
        .order_by(Case.tracking_number)).all()
    found = []
    for case in cases:
        lead = case.lead_assignment
        if lead is not None:
            found.append((case, lead.department))
    return found


def check_plan(start: date, end: date, minimum: int, maximum: int) -> None:
    """CallbackError naming what is wrong with a period or the bounds per department."""
    today = local_today()
    if start > end:
        raise CallbackError(_("The period's first day (%(start)s) is after its last day (%(end)s).",
                              start=start.isoformat(), end=end.isoformat()))
    if start < EARLIEST or end > today:
        raise CallbackError(_("The period must lie between %(low)s and today (%(high)s).",
                              low=EARLIEST.isoformat(), high=today.isoformat()))
    if not 1 <= minimum <= LARGEST_PER_DEPARTMENT or not 1 <= maximum <= LARGEST_PER_DEPARTMENT:
        raise CallbackError(_("The minimum and the maximum per department must be whole numbers from 1 to %(n)d.",
                              n=LARGEST_PER_DEPARTMENT))
    if minimum > maximum:
        raise CallbackError(_("The minimum per department (%(minimum)d) is larger than the maximum (%(maximum)d).",
                              minimum=minimum, maximum=maximum))


def allocate(stratum_sizes: dict[str, int], minimum: int, maximum: int) -> dict[str, int]:
    """n_h per stratum: per department min(N, maximum) if N ≥ minimum, else 0; shared in proportion to N_h."""
    by_department: dict[str, dict[str, int]] = {}
    for label, size in stratum_sizes.items():
        by_department.setdefault(department_of(label), {})[label] = size
    allocation = {}
    for sizes in by_department.values():
        closed = sum(sizes.values())
        wanted = min(closed, maximum) if closed >= minimum else 0
        allocation.update(sampling.allocation_plan(dict(sorted(sizes.items())), wanted, method="proportional"))
    return dict(sorted(allocation.items()))


def population(purpose: Purpose, start: date, end: date) -> list[tuple[Case, Department, bool]]:
    """The cases a check of ``purpose`` draws from, each with its lead department and the department's claim."""
    if purpose == Purpose.delivery:
        return [(case, department, True) for case, department in delivery.paid_cases(start, end)]
    return [(case, department, case.solved) for case, department in closed_cases(start, end)]


def create(start: date, end: date, minimum: int, maximum: int, user,
           purpose: Purpose | str = Purpose.resolution) -> CallbackCheck:
    """Step 1: freeze the frame of the period's cases (closed; or paid or delivered) and record its commitment."""
    purpose = Purpose(purpose)
    check_plan(start, end, minimum, maximum)
    frame, without_phone = [], Counter()
    for case, department, claimed in population(purpose, start, end):
        if raisers.reachable(case):
            frame.append((case, department, claimed, stratum(department.code, claimed, purpose)))
        else:
            without_phone[str(department.id)] += 1
    if not frame:
        if purpose == Purpose.delivery:
            raise CallbackError(_("No policy application paid or delivered in this period can be called back: "
                                  "nothing to draw."))
        raise CallbackError(_("No case closed in this period can be called back: nothing to draw."))
    keys, strata = [case.tracking_number for case, *_ in frame], [label for *_, label in frame]
    try:
        fingerprint = sampling.commitment(keys, strata)
    except ValueError as exc:
        raise CallbackError(_("The frame cannot be committed to: %(reason)s", reason=str(exc))) from None
    sizes = dict(sorted(Counter(strata).items()))
    check = CallbackCheck(purpose=purpose, period_start=start, period_end=end, minimum=minimum, maximum=maximum,
                          status=CheckStatus.frozen, stratum_sizes=sizes, allocation=allocate(sizes, minimum, maximum),
                          without_phone=dict(sorted(without_phone.items())), frame_size=len(frame),
                          commitment=fingerprint, created_at=utcnow(), created_by_id=user.id if user else None)
    db.session.add(check)
    db.session.flush()
    db.session.execute(insert(CallbackFrameMember.__table__), [
        {"check_id": check.id, "case_id": case.id, "key": case.tracking_number, "stratum": label,
         "department_id": department.id, "claimed_solved": claimed} for case, department, claimed, label in frame])
    audit.record("callback.freeze", f"callback:{check.id}", {
        "purpose": purpose.value, "period": [start.isoformat(), end.isoformat()], "minimum": minimum,
        "maximum": maximum,
        "frame_size": check.frame_size, "commitment": check.commitment, "allocation": check.allocation,
        "without_phone": sum(without_phone.values())}, actor=user)
    return check


def set_seed(check: CallbackCheck, user, seed: str | None = None) -> None:
    """Step 2: the seed, typed in (announced after the commitment) or generated now. Set once."""
    refused = _("The seed can only be set once, after the frame is frozen and before the draw.")
    if check.status != CheckStatus.frozen:
        raise CallbackError(refused)
    try:
        seed, source = clean_seed(seed)
    except DrawError as exc:
        raise CallbackError(str(exc)) from None
    # Conditional, so that of two requests racing to set the seed only the first succeeds.
    claimed = db.session.execute(
        update(CallbackCheck).where(CallbackCheck.id == check.id, CallbackCheck.status == CheckStatus.frozen)
        .values(seed=seed, seed_source=source, seeded_at=utcnow(), seeded_by_id=user.id if user else None,
                status=CheckStatus.seeded))
    if claimed.rowcount != 1:
        raise CallbackError(refused)
    db.session.refresh(check)
    audit.record("callback.seed", f"callback:{check.id}", {"seed": seed, "source": source}, actor=user)


def _frame(check: CallbackCheck) -> list[CallbackFrameMember]:
    return list(db.session.scalars(select(CallbackFrameMember).where(CallbackFrameMember.check_id == check.id)
                                   .order_by(CallbackFrameMember.key)))


def draw(check: CallbackCheck, user) -> int:
    """Step 3: select the cases with the smallest tickets and create their calls; returns how many."""
    # Conditional, as the seed: of two requests racing to draw only the first creates calls.
    claimed = db.session.execute(
        update(CallbackCheck).where(CallbackCheck.id == check.id, CallbackCheck.status == CheckStatus.seeded)
        .values(status=CheckStatus.drawn, drawn_at=utcnow(), drawn_by_id=user.id if user else None))
    if claimed.rowcount != 1:
        raise CallbackError(_("Draw only after the frame is frozen and the seed is set, and only once."))
    db.session.refresh(check)
    frame = _frame(check)
    selected = sampling.select([m.key for m in frame], [m.stratum for m in frame], check.allocation, check.seed)
    by_key = {m.key: m for m in frame}
    if selected:
        db.session.execute(insert(CallbackCall.__table__), [
            {"check_id": check.id, "case_id": by_key[key].case_id, "department_id": by_key[key].department_id,
             "stratum": by_key[key].stratum, "claimed_solved": by_key[key].claimed_solved,
             "inclusion_probability": probability, "send_failures": 0, "used": False}
            for key, probability in selected.items()])
    check.selected_count = len(selected)
    check.selection_hash = hashlib.sha256(selected_csv(check).encode("utf-8")).hexdigest()
    audit.record("callback.draw", f"callback:{check.id}",
                 {"selected": check.selected_count, "selection_hash": check.selection_hash}, actor=user)
    return len(selected)


# --- the evidence, in the files of a round's draw -------------------------------------------------------

def frame_csv(check: CallbackCheck) -> str:
    """frame.csv: key,stratum of every case in the frame, sorted by key."""
    return csv_text(["key", "stratum"], ((m.key, m.stratum) for m in _frame(check)))


def _selected(check: CallbackCheck) -> list[tuple[str, str, float]]:
    return list(db.session.execute(
        select(CallbackFrameMember.key, CallbackCall.stratum, CallbackCall.inclusion_probability)
        .join(CallbackFrameMember, (CallbackFrameMember.check_id == CallbackCall.check_id)
              & (CallbackFrameMember.case_id == CallbackCall.case_id))
        .where(CallbackCall.check_id == check.id).order_by(CallbackFrameMember.key)).tuples())


def selected_csv(check: CallbackCheck) -> str:
    """selected.csv: key,stratum,inclusion_probability of the drawn cases, sorted by key."""
    return csv_text(["key", "stratum", "inclusion_probability"],
                    ((key, label, repr(float(p))) for key, label, p in _selected(check)))


def evidence_files(check: CallbackCheck) -> dict[str, str]:
    """The files an auditor replays with tools/verify_draw.py, as for a round's draw."""
    if check.status not in (CheckStatus.drawn, CheckStatus.closed):
        raise CallbackError(_("Only a completed draw can be exported."))
    plan = {"purpose": check.purpose.value, "allocation": check.allocation, "stratum_sizes": check.stratum_sizes,
            "minimum": check.minimum, "maximum": check.maximum,
            "period": [check.period_start.isoformat(), check.period_end.isoformat()],
            "population": POPULATIONS[check.purpose],
            "allocation_rule": "per department min(N, maximum) if N >= minimum else 0, "
                               "shared between its strata in proportion to N_h"}
    return {
        "frame.csv": frame_csv(check),
        "plan.json": json.dumps(plan, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
        "seed.txt": check.seed + "\n",
        "commitment.txt": check.commitment + "\n",
        "selected.csv": selected_csv(check),
        "voided.json": "[]\n",  # a check is never redrawn
    }


def verify(check: CallbackCheck) -> Verification:
    """Recompute the commitment from the stored frame and the selection from frame, allocation and seed."""
    frame = _frame(check)
    keys, strata = [m.key for m in frame], [m.stratum for m in frame]
    commitment_ok = sampling.commitment(keys, strata) == check.commitment
    expected = sampling.select(keys, strata, check.allocation, check.seed)
    actual = {key: p for key, _, p in _selected(check)}
    return Verification(commitment_ok, *compare_selection(expected, actual))


def _stratum_of_audit_entry(code: str) -> str | None:
    """A check's stratum in an audit entry (``SCJG|solved``), as its page names it."""
    department, _sep, claim = code.rpartition("|")
    if not department or claim not in (SOLVED, UNSOLVED, DELIVERED):
        return None
    words = {SOLVED: _("Claimed solved"), UNSOLVED: _("Not claimed solved"), DELIVERED: _("Reported delivered")}
    return f"{department} {words[claim]}"


audit_labels.register_value_labels(_stratum_of_audit_entry)
