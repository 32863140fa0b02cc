"""The casework engine's workflow, the same for every kind of case.

    submitted ──accept──▶ accepted ──assign──▶ assigned ──every department replied──▶ replied
        │                    ▲                    ▲ (acknowledge, progress, remind,        │
     decline                 │ reopen             │  withdraw, reassign)                   │ request_confirmation
        ▼                    │                    │                                        ▼
     declined             closed ◀──close (staff call) / sign_off (unreachable)── confirming
                             ▲                                                             │
                             └──────────────── confirm_by_raiser (their own link) ◀────────┘

Closing (销号) always has an outcome and a confirmation: the raiser's own rating through their link, a rating
staff recorded after a phone call, or — when the raiser could not be reached after the configured attempts —
a supervisor's sign-off with a reason. Only "solved" and "partly solved" count as solved. A raiser who is not
satisfied may reopen within the configured window: the same departments get the case again, in a new cycle.

Every step is a ``CaseEvent`` (the raiser sees the public ones) and an audit entry ``<kind>.<step>`` without
personal data. The kinds (``app.complaints``, ``app.forum``) add intake, identity and their own notifications.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import format_date, gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from app.audit import service as audit
from app.casework.attachments import check_uploads, store
from app.casework.deadlines import DUE_SOON_WORKDAYS, due_date
from app.casework.errors import CaseError
from app.accounts.models import User
from app.casework.labels import kind_label, status_label
from app.casework.models import (
    AssignmentStatus,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Confirmation,
    Outcome,
    Satisfaction,
)
from app.departments.models import Department
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.phones import current_vault
from app.platform.roles import Role
from app.sms.notify import send_one

__all__ = ["CaseError"]


def event(case: Case, kind: str, note: str = "", *, public: bool = True, department_id=None,
          actor=None) -> CaseEvent:
    """Add one step to the case's history."""
    step = CaseEvent(case=case, kind=kind, note=note, public=public, department_id=department_id,
                     actor_id=actor.id if actor is not None else None, at=utcnow())
    db.session.add(step)
    return step


def target(case: Case) -> str:
    """The case as the audit log names it."""
    return f"{case.kind.value}:{case.tracking_number}"


def _audit(case: Case, step: str, details: dict, actor=None) -> None:
    audit.record(f"{case.kind.value}.{step}", target(case), details, actor=actor)


def require(case: Case, *states: CaseStatus) -> None:
    if case.status not in states:
        raise CaseError(_("This step is not possible while the case is %(status)s.",
                          status=status_label(case.status)))


def _reason(text: str, message: str, minimum: int = 5) -> str:
    text = (text or "").strip()
    if len(text) < minimum:
        raise CaseError(message)
    return text


# --------------------------------------------------------------------------- intake

def _next_tracking_number(prefix: str, day: date) -> str:
    prefix = f"{prefix}{day:%Y%m%d}-"
    last = db.session.scalar(select(func.max(Case.tracking_number)).where(Case.tracking_number.like(prefix + "%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def add_numbered(case: Case, prefix: str) -> None:
    """Add a new case under the day's next number (``TS20261206-0001``), retrying a number taken at the same
    moment by another request; CaseError when five attempts collide."""
    for _attempt in range(5):
        case.tracking_number = _next_tracking_number(prefix, local_today())
        try:
            with db.session.begin_nested():
                db.session.add(case)
                db.session.flush()
            return
        except IntegrityError:
            continue
    raise CaseError(_("Please try again in a moment."))


def accept(case: Case, note: str = "", actor=None) -> None:
    """受理: the organisers take the case on."""
    require(case, CaseStatus.submitted)
    case.status, case.accepted_at = CaseStatus.accepted, utcnow()
    event(case, "accepted", note.strip(), actor=actor)
    _audit(case, "accept", {}, actor=actor)


def decline(case: Case, reason: str, actor=None) -> None:
    """不予受理, with the reason the raiser will read."""
    require(case, CaseStatus.submitted)
    case.decline_reason = _reason(reason, _("Give the reason for declining (at least 5 characters)."))
    case.status, case.declined_at = CaseStatus.declined, utcnow()
    event(case, "declined", case.decline_reason, actor=actor)
    _audit(case, "decline", {}, actor=actor)


def retract(case: Case, reason: str, *, public: bool = True, actor=None) -> None:
    """The raiser withdraws the case (撤回) before it is closed: every pending assignment of this cycle is taken
    back and the case ends unhandled, as a declined case does, with the reason. It is never *closed*: a closing
    needs an outcome and the raiser's verdict, and a withdrawn case has neither, so it counts in no solved or
    satisfaction rate (withdrawn assignments count nowhere; answered ones keep their deadline's verdict)."""
    require(case, CaseStatus.submitted, CaseStatus.accepted, CaseStatus.assigned, CaseStatus.replied,
            CaseStatus.confirming)
    reason = _reason(reason, _("Give the reason."), 2)
    taken_back = []
    for assignment in case.current_assignments:
        if assignment.status == AssignmentStatus.pending:
            assignment.status = AssignmentStatus.withdrawn
            event(case, "withdrawn", reason, public=False, department_id=assignment.department_id, actor=actor)
            taken_back.append(assignment.department.code)
    case.decline_reason = reason
    case.status, case.declined_at = CaseStatus.declined, utcnow()
    event(case, "retracted", reason, public=public, actor=actor)
    _audit(case, "retract", {"departments": taken_back}, actor=actor)


# --------------------------------------------------------------------------- assignment and supervision

def default_due_date(workdays: int | None = None) -> date:
    """The deadline of an assignment made today: ``workdays`` working days, the complaints' default otherwise."""
    return due_date(local_today(), workdays if workdays is not None
                    else current_app.config["COMPLAINT_DEADLINE_WORKDAYS"])


def assign(case: Case, departments: list[Department], due_on: date, instructions: str = "", *,
           lead_id: int | None = None, actor=None) -> list[CaseAssignment]:
    """交办: hand the case to departments with a deadline; departments already working on it are skipped.

    ``lead_id`` names the lead department (牵头); the others are co-departments (配合). Without it every
    department answers in its own right (as the complaints centre assigns).
    """
    require(case, CaseStatus.accepted, CaseStatus.assigned, CaseStatus.replied)
    if not departments:
        raise CaseError(_("Choose at least one department."))
    if due_on < local_today():
        raise CaseError(_("The deadline cannot be in the past."))
    busy = {a.department_id for a in case.current_assignments if a.status == AssignmentStatus.pending}
    created = []
    for department in departments:
        if department.id in busy:
            continue
        assignment = CaseAssignment(case=case, department=department, due_on=due_on,
                                    instructions=instructions.strip(), assigned_at=utcnow(),
                                    assigned_by_id=actor.id if actor is not None else None, cycle=case.cycle,
                                    lead=lead_id is None or department.id == lead_id)
        db.session.add(assignment)
        created.append(assignment)
        event(case, "assigned", department_id=department.id, actor=actor)
    if not created:
        raise CaseError(_("These departments are already working on the case."))
    case.status = CaseStatus.assigned
    _audit(case, "assign", {"departments": [a.department.code for a in created], "due_on": due_on.isoformat()},
           actor=actor)
    return created


def _pending(assignment: CaseAssignment, message: str) -> None:
    if assignment.status != AssignmentStatus.pending:
        raise CaseError(message)


def withdraw(assignment: CaseAssignment, reason: str, actor=None) -> None:
    """Take a pending assignment back (assigned to the wrong department)."""
    _pending(assignment, _("Only an assignment still waiting for its reply can be withdrawn."))
    reason = _reason(reason, _("Give the reason."), 2)
    assignment.status = AssignmentStatus.withdrawn
    case = assignment.case
    event(case, "withdrawn", reason, public=False, department_id=assignment.department_id, actor=actor)
    _audit(case, "withdraw", {"department": assignment.department.code}, actor=actor)
    _update_after_reply(case)


def reassign(assignment: CaseAssignment, department: Department, reason: str, due_on: date | None = None,
             actor=None) -> CaseAssignment:
    """Move a pending assignment to another department (withdraw, then assign with the same instructions)."""
    case = assignment.case
    if department.id == assignment.department_id:
        raise CaseError(_("Choose another department."))
    if due_on is None:
        # An overdue assignment is the usual reason to move one: the new department gets a fresh deadline.
        due_on = assignment.due_on if assignment.due_on >= local_today() else default_due_date()
    withdraw(assignment, reason, actor=actor)
    created = assign(case, [department], due_on, assignment.instructions,
                     lead_id=department.id if assignment.lead else None, actor=actor)
    created[0].lead = assignment.lead
    _audit(case, "reassign", {"from": assignment.department.code, "to": department.code}, actor=actor)
    return created[0]


def remind(assignment: CaseAssignment, note: str = "", actor=None) -> int:
    """督办: remind a department of its pending assignment; its liaisons with a mobile number get an SMS.
    Returns how many messages the gateway accepted."""
    _pending(assignment, _("Only an assignment still waiting for its reply can be reminded."))
    assignment.reminder_count += 1
    assignment.last_reminded_at = utcnow()
    event(assignment.case, "reminded", note.strip(), public=False, department_id=assignment.department_id,
          actor=actor)
    sent = _remind_liaisons(assignment)
    _audit(assignment.case, "remind", {"department": assignment.department.code,
                                       "overdue": assignment.overdue(local_today()), "sms": sent}, actor=actor)
    return sent


def _remind_liaisons(assignment: CaseAssignment) -> int:
    """The reminder by SMS to every active liaison of the department who left a mobile number."""
    liaisons = db.session.scalars(select(User).where(
        User.department_id == assignment.department_id, User.role == Role.liaison, User.active.is_(True),
        User.mobile != ""))
    today, config, vault = local_today(), current_app.config, current_vault()
    when = (_("is %(days)d days overdue", days=(today - assignment.due_on).days) if assignment.overdue(today)
            else _("is due on %(date)s", date=format_date(assignment.due_on, "M月d日")))
    params = {"kind": kind_label(assignment.case.kind), "number": assignment.case.tracking_number, "when": when}
    return sum(send_one(vault.open(user.mobile), kind="case_reminder",
                        template_code=config["CASEWORK_REMINDER_TEMPLATE_CODE"],
                        template_text=config["CASEWORK_REMINDER_TEMPLATE_TEXT"], params=params,
                        reference=f"remind{assignment.id}-{user.id}")
               for user in liaisons)


def acknowledge(assignment: CaseAssignment, actor=None) -> bool:
    """签收: the department has seen the assignment (响应). False when it had been acknowledged already."""
    if assignment.acknowledged_at is not None or assignment.status == AssignmentStatus.withdrawn:
        return False
    assignment.acknowledged_at = utcnow()
    event(assignment.case, "acknowledged", department_id=assignment.department_id, actor=actor)
    _audit(assignment.case, "acknowledge", {"department": assignment.department.code}, actor=actor)
    return True


def progress(assignment: CaseAssignment, text: str, actor=None) -> CaseEvent:
    """A progress update from the department, which the raiser reads on the tracking page."""
    _pending(assignment, _("This assignment has been answered or withdrawn already."))
    text = _reason(text, _("Write the progress update (at least 5 characters)."))
    assignment.acknowledged_at = assignment.acknowledged_at or utcnow()  # an update answers for the 签收
    step = event(assignment.case, "progress", text, department_id=assignment.department_id, actor=actor)
    _audit(assignment.case, "progress", {"department": assignment.department.code}, actor=actor)
    return step


def reply(assignment: CaseAssignment, text: str, files: list[tuple[str, bytes]] | None = None, *,
          outcome: Outcome | str | None = None, actor=None) -> None:
    """The department's reply, the outcome it reports and its evidence."""
    _pending(assignment, _("This assignment has been answered or withdrawn already."))
    text = _reason(text, _("Write the reply (at least 5 characters)."))
    uploads = check_uploads(files or [])
    assignment.acknowledged_at = assignment.acknowledged_at or utcnow()  # so does a reply
    assignment.status, assignment.reply, assignment.replied_at = AssignmentStatus.replied, text, utcnow()
    assignment.outcome = Outcome(outcome) if outcome else None
    assignment.replied_by_id = actor.id if actor is not None else None
    for upload in uploads:
        store(assignment.case, upload, assignment, actor=actor)
    event(assignment.case, "replied", department_id=assignment.department_id, actor=actor)
    _audit(assignment.case, "reply", {"department": assignment.department.code, "on_time": assignment.on_time,
                                      "outcome": assignment.outcome.value if assignment.outcome else "",
                                      "files": len(uploads)}, actor=actor)
    _update_after_reply(assignment.case)


def _update_after_reply(case: Case) -> None:
    current = case.current_assignments
    if case.status in (CaseStatus.assigned, CaseStatus.replied) and current:
        all_replied = all(a.status == AssignmentStatus.replied for a in current)
        case.status = CaseStatus.replied if all_replied else CaseStatus.assigned
    elif case.status in (CaseStatus.assigned, CaseStatus.replied) and not current:
        case.status = CaseStatus.accepted


# --------------------------------------------------------------------------- closing (销号)

def proposed_outcome(case: Case) -> Outcome | None:
    """The outcome the lead department reported with its reply, if any."""
    lead = case.lead_assignment
    return lead.outcome if lead is not None else None


def _settle(case: Case, outcome: Outcome | str, public_reply: str, duplicate_of: Case | None,
            redirected_to: Department | None) -> None:
    """Set the outcome and the reply the raiser reads; a duplicate names the kept case, a redirection where to."""
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise CaseError(_("Choose the outcome.")) from None
    if outcome == Outcome.duplicate:
        if duplicate_of is None or duplicate_of.id == case.id:
            raise CaseError(_("A duplicate must name the case that is kept."))
        if duplicate_of.outcome == Outcome.duplicate:
            raise CaseError(_("The kept case is itself a duplicate: name the case it was merged into."))
    if outcome == Outcome.redirected and redirected_to is None:
        raise CaseError(_("Name the department or body the case was redirected to."))
    case.public_reply = _reason(public_reply, _("Write the reply to the raiser (at least 5 characters)."))
    case.outcome = outcome
    case.duplicate_of = duplicate_of if outcome == Outcome.duplicate else None
    case.redirected_to = redirected_to if outcome == Outcome.redirected else None


def _closed(case: Case, satisfaction: Satisfaction, confirmation: Confirmation, note: str = "", actor=None,
            public_note: str | None = None, details: dict | None = None) -> None:
    case.satisfaction, case.confirmation, case.confirmation_note = satisfaction, confirmation, note
    case.confirmed_by_id = actor.id if actor is not None else None
    case.status, case.closed_at = CaseStatus.closed, utcnow()
    event(case, "closed", case.public_reply if public_note is None else public_note, actor=actor)
    _audit(case, "close", {"outcome": case.outcome.value, "satisfaction": satisfaction.value,
                           "confirmation": confirmation.value, **(details or {})}, actor=actor)


def request_confirmation(case: Case, *, outcome: Outcome | str, public_reply: str,
                         duplicate_of: Case | None = None, redirected_to: Department | None = None,
                         actor=None) -> None:
    """Answer the raiser and ask them, through their personal link, to confirm (the kind sends the message)."""
    require(case, CaseStatus.replied)
    _settle(case, outcome, public_reply, duplicate_of, redirected_to)
    case.status, case.contact_attempts = CaseStatus.confirming, 0
    event(case, "confirming", case.public_reply, actor=actor)
    _audit(case, "request_confirmation", {"outcome": case.outcome.value}, actor=actor)


def confirm_if_answered(case: Case, enabled: bool, actor=None) -> bool:
    """Once every department has answered, ask the raiser at once with the lead department's outcome and answer
    (for kinds that close with the raiser's own confirmation). True when the raiser is now asked."""
    lead = case.lead_assignment
    if not enabled or case.status != CaseStatus.replied or lead is None or lead.outcome is None:
        return False
    request_confirmation(case, outcome=lead.outcome, public_reply=lead.reply, actor=actor)
    return True


def confirm_by_raiser(case: Case, satisfaction: Satisfaction | str, comment: str = "") -> None:
    """The raiser's own verdict through their link closes the case (销号)."""
    require(case, CaseStatus.confirming)
    satisfaction = Satisfaction(satisfaction)
    if satisfaction == Satisfaction.unreachable:
        raise CaseError(_("Choose how satisfied you are."))
    _closed(case, satisfaction, Confirmation.raiser, (comment or "").strip()[:500], public_note="")


def close(case: Case, *, outcome: Outcome | str, satisfaction: Satisfaction | str, public_reply: str,
          duplicate_of: Case | None = None, redirected_to: Department | None = None, note: str = "",
          details: dict | None = None, actor=None) -> None:
    """办结 after a phone call: the outcome, the reply, and the raiser's verdict as staff recorded it.

    A raiser who could not be reached is not a verdict: that closing needs ``sign_off``.
    """
    require(case, CaseStatus.replied, CaseStatus.confirming)
    try:
        satisfaction = Satisfaction(satisfaction)
    except ValueError:
        raise CaseError(_("Choose the raiser's verdict.")) from None
    if satisfaction == Satisfaction.unreachable:
        raise CaseError(_("A raiser who could not be reached is not a confirmation: record the attempts and ask "
                          "a supervisor to sign off."))
    _settle(case, outcome, public_reply, duplicate_of, redirected_to)
    _closed(case, satisfaction, Confirmation.staff_call, note.strip(), actor=actor, details=details)


def record_attempt(case: Case, note: str = "", actor=None) -> int:
    """One failed attempt to reach the raiser (a sign-off needs enough of them); returns how many so far."""
    require(case, CaseStatus.replied, CaseStatus.confirming)
    case.contact_attempts += 1
    event(case, "attempt", note.strip(), public=False, actor=actor)
    _audit(case, "contact_attempt", {"attempts": case.contact_attempts}, actor=actor)
    return case.contact_attempts


def sign_off(case: Case, *, outcome: Outcome | str, public_reply: str, reason: str,
             duplicate_of: Case | None = None, redirected_to: Department | None = None,
             details: dict | None = None, actor=None) -> None:
    """销号 without the raiser: allowed once they could not be reached after the configured attempts, with a reason."""
    require(case, CaseStatus.replied, CaseStatus.confirming)
    needed = current_app.config["CASEWORK_CONTACT_ATTEMPTS"]
    if case.contact_attempts < needed:
        raise CaseError(_("A sign-off needs %(n)d recorded attempts to reach the raiser; %(done)d so far.",
                          n=needed, done=case.contact_attempts))
    reason = _reason(reason, _("Give the reason for signing off (at least 5 characters)."))
    _settle(case, outcome, public_reply, duplicate_of, redirected_to)
    _closed(case, Satisfaction.unreachable, Confirmation.sign_off, reason, actor=actor, details=details)


# --------------------------------------------------------------------------- reopening

def reopen(case: Case, reason: str, actor=None) -> None:
    """Reopen a closed case (staff): a new cycle starts, to be assigned again."""
    require(case, CaseStatus.closed)
    reason = _reason(reason, _("Give the reason for reopening (at least 5 characters)."))
    for assignment in case.assignments:
        assignment.substantiated = None
    previous = case.satisfaction.value if case.satisfaction else ""
    case.reopen_count += 1
    case.status, case.closed_at, case.satisfaction = CaseStatus.accepted, None, None
    case.outcome = case.confirmation = case.duplicate_of = case.redirected_to = None
    case.confirmation_note, case.contact_attempts = "", 0
    event(case, "reopened", reason, actor=actor)
    _audit(case, "reopen", {"previous_satisfaction": previous, "cycle": case.cycle}, actor=actor)


def may_reopen_by_raiser(case: Case) -> bool:
    """The raiser may reopen a case closed with their dissatisfaction, within the configured days."""
    if case.status != CaseStatus.closed or case.closed_at is None:
        return False
    if case.satisfaction not in (Satisfaction.unsatisfied, Satisfaction.unreachable):
        return False
    return utcnow() - case.closed_at <= timedelta(days=current_app.config["CASEWORK_REOPEN_DAYS"])


def reopen_by_raiser(case: Case, reason: str) -> list[CaseAssignment]:
    """The unsatisfied raiser reopens: the same departments (lead and co) get the case again, in a new cycle."""
    if not may_reopen_by_raiser(case):
        raise CaseError(_("This case can no longer be reopened from the tracking page."))
    departments = [(a.department, a.lead, a.instructions) for a in case.current_assignments]
    reopen(case, reason)
    restored = []
    due_on = default_due_date()
    for department, lead, instructions in departments:
        assignment = CaseAssignment(case=case, department=department, due_on=due_on, instructions=instructions,
                                    assigned_at=utcnow(), cycle=case.cycle, lead=lead)
        db.session.add(assignment)
        event(case, "assigned", department_id=department.id)
        restored.append(assignment)
    if restored:
        case.status = CaseStatus.assigned
    return restored


def note(case: Case, text: str, actor=None) -> None:
    """An internal note on the file (not shown to the raiser)."""
    if not (text or "").strip():
        raise CaseError(_("Write the note."))
    event(case, "note", text.strip(), public=False, actor=actor)
    _audit(case, "note", {}, actor=actor)


# --------------------------------------------------------------------------- lists

def _kind(query: Select, kind: CaseKind | str | None) -> Select:
    if kind:
        query = query.join(CaseAssignment.case).where(Case.kind == CaseKind(kind))
    return query


def overdue_query(kind: CaseKind | str | None = None) -> Select:
    """Pending assignments past their deadline, the oldest deadline first."""
    return _kind(select(CaseAssignment).where(CaseAssignment.overdue(local_today()))
                 .order_by(CaseAssignment.due_on, CaseAssignment.id), kind)


def due_soon_query(days: int = DUE_SOON_WORKDAYS, kind: CaseKind | str | None = None) -> Select:
    """Pending assignments due today or within ``days`` working days, the nearest deadline first."""
    return _kind(select(CaseAssignment).where(CaseAssignment.due_soon(local_today(), days))
                 .order_by(CaseAssignment.due_on, CaseAssignment.id), kind)


def department_assignments(department_id: int, kind: CaseKind | str | None = None) -> Select:
    """A department's assignments, pending ones first (withdrawn ones are not its business any more)."""
    return _kind(select(CaseAssignment)
                 .where(CaseAssignment.department_id == department_id,
                        CaseAssignment.status != AssignmentStatus.withdrawn)
                 .order_by(CaseAssignment.status, CaseAssignment.due_on.desc(), CaseAssignment.id.desc()), kind)


def inbox(department_id: int) -> Select:
    """待办: everything waiting for the department, whatever the kind — overdue first, then by deadline."""
    return (select(CaseAssignment)
            .where(CaseAssignment.department_id == department_id, CaseAssignment.status == AssignmentStatus.pending)
            .order_by(CaseAssignment.due_on, CaseAssignment.id))  # the earliest deadline first: overdue ones lead
