"""The complaints centre: intake with attachments, tracking, the handling lifecycle and the lists.

Lifecycle: submitted → accepted (受理) or declined → assigned to departments with a
deadline (统一交办) → reminders and the overdue list (统一督办) → each department
replies → closed with the complainant's satisfaction and, per department,
whether the complaint was substantiated → reopened if need be (a new cycle).
Every step is a ``ComplaintEvent`` (the complainant sees the public ones) and an
audit entry (``complaint.*``) without personal data. The period's figures, its export and the
deductions for the assessment are in ``analysis``; the labels in ``labels``.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.service import dummy_password_hash
from app.audit import service as audit
from app.casework.deadlines import DUE_SOON_WORKDAYS, due_date
from app.complaints.labels import status_label
from app.complaints.models import (
    AssignmentStatus,
    Complaint,
    ComplaintAssignment,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    Satisfaction,
)
from app.departments.models import Department
from app.extensions import db
from app.platform import readable_codes
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.platform.tabular import display_name

QUERY_CODE_LENGTH = 10

# Content sniffing: the file's first bytes decide its type, never its name.
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
]


class ComplaintError(ValueError):
    """A user-facing reason why a step is refused."""


@dataclass(frozen=True)
class Upload:
    """A checked file, ready to be stored."""

    name: str
    data: bytes
    content_type: str
    extension: str


# --------------------------------------------------------------------------- attachments

def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's magic bytes, or None for a type that is not allowed."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def check_uploads(files: list[tuple[str, bytes]]) -> list[Upload]:
    """Check every file (count, size, sniffed type) before anything is stored; ComplaintError names the first problem."""
    config = current_app.config
    files = [(name, data) for name, data in files if name or data]
    if len(files) > config["COMPLAINT_ATTACHMENT_MAX_FILES"]:
        raise ComplaintError(_("At most %(n)d files can be attached.", n=config["COMPLAINT_ATTACHMENT_MAX_FILES"]))
    checked = []
    for name, data in files:
        shown = display_name(name) or "file"  # stored and shown: no folders, no control characters
        if len(data) > config["COMPLAINT_ATTACHMENT_MAX_BYTES"]:
            raise ComplaintError(_("%(name)s is larger than %(mb)d MB.", name=shown,
                                   mb=config["COMPLAINT_ATTACHMENT_MAX_BYTES"] // (1024 * 1024)))
        if not data:
            raise ComplaintError(_("%(name)s is empty.", name=shown))
        kind = sniff(data)
        if kind is None:
            raise ComplaintError(_("%(name)s is not a PDF, PNG or JPEG file.", name=shown))
        checked.append(Upload(shown, data, *kind))
    return checked


def attachment_dir() -> Path:
    path = Path(current_app.config["COMPLAINT_ATTACHMENT_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def _store(complaint: Complaint, upload: Upload, assignment: ComplaintAssignment | None = None,
           actor=None) -> ComplaintAttachment:
    stored_name = f"{secrets.token_hex(16)}.{upload.extension}"
    (attachment_dir() / stored_name).write_bytes(upload.data)
    attachment = ComplaintAttachment(
        complaint=complaint, assignment=assignment, stored_name=stored_name, original_name=upload.name,
        content_type=upload.content_type, size=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(),
        uploaded_by_id=actor.id if actor is not None else None, shared=assignment is not None)
    db.session.add(attachment)
    return attachment


def attachment_path(attachment: ComplaintAttachment) -> Path:
    return attachment_dir() / attachment.stored_name


def may_download(user, attachment: ComplaintAttachment) -> bool:
    """Handlers see every file; a liaison sees its own department's evidence and files shared with it."""
    from app.platform.roles import Role

    if user.has_role(Role.complaints):
        return True
    if user.role != Role.liaison or user.department_id is None:
        return False
    assigned = {a.department_id for a in attachment.complaint.assignments if a.status != AssignmentStatus.withdrawn}
    if user.department_id not in assigned:
        return False
    if attachment.assignment is not None:
        return attachment.assignment.department_id == user.department_id
    return attachment.shared


def share_attachment(attachment: ComplaintAttachment, actor=None) -> None:
    """Let the assigned departments see a complainant's file once a handler has checked it reveals nobody."""
    attachment.shared = True
    audit.record("complaint.attachment.share", f"complaint:{attachment.complaint.tracking_number}",
                 {"attachment_id": attachment.id}, actor=actor)


# --------------------------------------------------------------------------- intake and tracking

def new_query_code() -> str:
    raw = readable_codes.new_code(QUERY_CODE_LENGTH)
    return f"{raw[:5]}-{raw[5:]}"


normalise_code = readable_codes.normalise


def _next_tracking_number(day: date) -> str:
    prefix = f"TS{day:%Y%m%d}-"
    last = db.session.scalar(select(func.max(Complaint.tracking_number))
                             .where(Complaint.tracking_number.like(prefix + "%")))
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _event(complaint: Complaint, kind: str, note: str = "", *, public: bool = True, department_id=None,
           actor=None) -> ComplaintEvent:
    event = ComplaintEvent(complaint=complaint, kind=kind, note=note, public=public, department_id=department_id,
                           actor_id=actor.id if actor is not None else None, at=utcnow())
    db.session.add(event)
    return event


def submit(*, category: str, department_ids: list[int], subject: str, description: str, district: str = "",
           occurred_on: date | None = None, name: str = "", organisation: str = "", phone: str = "",
           contact: str = "", files: list[tuple[str, bytes]] | None = None) -> tuple[Complaint, str]:
    """File a complaint; returns it and its query code (shown once, stored only as a hash). Commits."""
    uploads = check_uploads(files or [])
    departments = list(db.session.scalars(select(Department).where(Department.id.in_(department_ids),
                                                                   Department.active.is_(True))))
    if not departments:
        raise ComplaintError(_("Choose the department(s) concerned."))
    phone_sealed = phone_masked = ""
    phone_hash = None
    if phone.strip():
        try:
            e164 = normalise(phone)
        except PhoneError:
            raise ComplaintError(_("Not a valid mainland China mobile number.")) from None
        vault = current_vault()
        phone_sealed, phone_masked, phone_hash = vault.seal(e164), mask(e164), vault.lookup_hash(e164)
    code = new_query_code()
    complaint = Complaint(
        category=ComplaintCategory(category), subject=subject.strip()[:200], description=description.strip(),
        district=district.strip()[:50], occurred_on=occurred_on, complainant_name=name.strip()[:100],
        complainant_organisation=organisation.strip()[:200], complainant_phone=phone_sealed,
        complainant_phone_masked=phone_masked, complainant_phone_hash=phone_hash,
        complainant_contact=contact.strip()[:200], query_code_hash=generate_password_hash(normalise_code(code)),
        departments=departments, submitted_at=utcnow(), tracking_number="")
    complaint.repeat_of = _earlier_complaint(complaint)
    for _attempt in range(5):
        complaint.tracking_number = _next_tracking_number(local_today())
        try:
            with db.session.begin_nested():
                db.session.add(complaint)
                db.session.flush()
            break
        except IntegrityError:  # another complaint took the number at the same moment
            continue
    else:
        raise ComplaintError(_("Please try again in a moment."))
    for upload in uploads:
        _store(complaint, upload)
    _event(complaint, "submitted")
    db.session.commit()
    return complaint, code


def _earlier_complaint(complaint: Complaint) -> Complaint | None:
    """The latest earlier complaint by the same phone about one of the same departments (a repeat complaint)."""
    if not complaint.complainant_phone_hash:
        return None
    since = utcnow() - timedelta(days=current_app.config["COMPLAINT_REPEAT_DAYS"])
    ids = [d.id for d in complaint.departments]
    return db.session.scalar(
        select(Complaint).where(Complaint.complainant_phone_hash == complaint.complainant_phone_hash,
                                Complaint.submitted_at >= since,
                                Complaint.departments.any(Department.id.in_(ids)))
        .order_by(Complaint.submitted_at.desc()).limit(1))


def find_for_tracking(tracking_number: str, code: str) -> Complaint | None:
    """The complaint when both the number and the code match; None otherwise, in the same time either way."""
    number = (tracking_number or "").strip().upper()
    complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == number)) if number else None
    ok = check_password_hash(complaint.query_code_hash if complaint else dummy_password_hash(), normalise_code(code))
    return complaint if complaint is not None and ok else None


# --------------------------------------------------------------------------- handling

def _require(complaint: Complaint, *states: ComplaintStatus) -> None:
    if complaint.status not in states:
        raise ComplaintError(_("This step is not possible while the complaint is %(status)s.",
                               status=status_label(complaint.status)))


def _target(complaint: Complaint) -> str:
    return f"complaint:{complaint.tracking_number}"


def accept(complaint: Complaint, note: str = "", actor=None) -> None:
    """受理: the centre takes the complaint on."""
    _require(complaint, ComplaintStatus.submitted)
    complaint.status, complaint.accepted_at = ComplaintStatus.accepted, utcnow()
    _event(complaint, "accepted", note.strip(), actor=actor)
    audit.record("complaint.accept", _target(complaint), {}, actor=actor)


def decline(complaint: Complaint, reason: str, actor=None) -> None:
    """不予受理, with the reason the complainant will read."""
    _require(complaint, ComplaintStatus.submitted)
    if len((reason or "").strip()) < 5:
        raise ComplaintError(_("Give the reason for declining (at least 5 characters)."))
    complaint.status, complaint.declined_at = ComplaintStatus.declined, utcnow()
    complaint.decline_reason = reason.strip()
    _event(complaint, "declined", complaint.decline_reason, actor=actor)
    audit.record("complaint.decline", _target(complaint), {}, actor=actor)


def default_due_date() -> date:
    """The deadline an assignment made today gets unless the handler sets another."""
    return due_date(local_today(), current_app.config["COMPLAINT_DEADLINE_WORKDAYS"])


def assign(complaint: Complaint, departments: list[Department], due_on: date, instructions: str = "",
           actor=None) -> list[ComplaintAssignment]:
    """统一交办: hand the complaint to departments with a deadline; departments already working on it are skipped."""
    _require(complaint, ComplaintStatus.accepted, ComplaintStatus.assigned, ComplaintStatus.replied)
    if not departments:
        raise ComplaintError(_("Choose at least one department."))
    if due_on < local_today():
        raise ComplaintError(_("The deadline cannot be in the past."))
    busy = {a.department_id for a in complaint.current_assignments if a.status == AssignmentStatus.pending}
    created = []
    for department in departments:
        if department.id in busy:
            continue
        assignment = ComplaintAssignment(complaint=complaint, department=department, due_on=due_on,
                                         instructions=instructions.strip(), assigned_at=utcnow(),
                                         assigned_by_id=actor.id if actor is not None else None,
                                         cycle=complaint.cycle)
        db.session.add(assignment)
        created.append(assignment)
        _event(complaint, "assigned", department_id=department.id, actor=actor)
    if not created:
        raise ComplaintError(_("These departments are already working on the complaint."))
    complaint.status = ComplaintStatus.assigned
    audit.record("complaint.assign", _target(complaint),
                 {"departments": [a.department.code for a in created], "due_on": due_on.isoformat()}, actor=actor)
    return created


def withdraw(assignment: ComplaintAssignment, reason: str, actor=None) -> None:
    """Take a pending assignment back (assigned to the wrong department)."""
    if assignment.status != AssignmentStatus.pending:
        raise ComplaintError(_("Only an assignment still waiting for its reply can be withdrawn."))
    if len((reason or "").strip()) < 2:
        raise ComplaintError(_("Give the reason."))
    assignment.status = AssignmentStatus.withdrawn
    complaint = assignment.complaint
    _event(complaint, "withdrawn", reason.strip(), public=False, department_id=assignment.department_id, actor=actor)
    audit.record("complaint.withdraw", _target(complaint), {"department": assignment.department.code}, actor=actor)
    _update_after_reply(complaint)


def reassign(assignment: ComplaintAssignment, department: Department, reason: str, due_on: date | None = None,
             actor=None) -> ComplaintAssignment:
    """Move a pending assignment to another department (withdraw, then assign with the same instructions)."""
    complaint = assignment.complaint
    if department.id == assignment.department_id:
        raise ComplaintError(_("Choose another department."))
    if due_on is None:
        # An overdue assignment is the usual reason to move one: the new department gets a fresh deadline.
        due_on = assignment.due_on if assignment.due_on >= local_today() else default_due_date()
    withdraw(assignment, reason, actor=actor)
    created = assign(complaint, [department], due_on, assignment.instructions, actor=actor)
    audit.record("complaint.reassign", _target(complaint),
                 {"from": assignment.department.code, "to": department.code}, actor=actor)
    return created[0]


def remind(assignment: ComplaintAssignment, note: str = "", actor=None) -> None:
    """统一督办: remind a department of its pending assignment."""
    if assignment.status != AssignmentStatus.pending:
        raise ComplaintError(_("Only an assignment still waiting for its reply can be reminded."))
    assignment.reminder_count += 1
    assignment.last_reminded_at = utcnow()
    _event(assignment.complaint, "reminded", note.strip(), public=False, department_id=assignment.department_id,
           actor=actor)
    audit.record("complaint.remind", _target(assignment.complaint),
                 {"department": assignment.department.code, "overdue": assignment.overdue(local_today())},
                 actor=actor)


def reply(assignment: ComplaintAssignment, text: str, files: list[tuple[str, bytes]] | None = None,
          actor=None) -> None:
    """The department's reply and evidence."""
    if assignment.status != AssignmentStatus.pending:
        raise ComplaintError(_("This assignment has been answered or withdrawn already."))
    if len((text or "").strip()) < 5:
        raise ComplaintError(_("Write the reply (at least 5 characters)."))
    uploads = check_uploads(files or [])
    assignment.status, assignment.reply, assignment.replied_at = AssignmentStatus.replied, text.strip(), utcnow()
    assignment.replied_by_id = actor.id if actor is not None else None
    for upload in uploads:
        _store(assignment.complaint, upload, assignment, actor=actor)
    _event(assignment.complaint, "replied", department_id=assignment.department_id, actor=actor)
    audit.record("complaint.reply", _target(assignment.complaint),
                 {"department": assignment.department.code, "on_time": assignment.on_time,
                  "files": len(uploads)}, actor=actor)
    _update_after_reply(assignment.complaint)


def _update_after_reply(complaint: Complaint) -> None:
    current = complaint.current_assignments
    if complaint.status in (ComplaintStatus.assigned, ComplaintStatus.replied) and current:
        all_replied = all(a.status == AssignmentStatus.replied for a in current)
        complaint.status = ComplaintStatus.replied if all_replied else ComplaintStatus.assigned
    elif complaint.status in (ComplaintStatus.assigned, ComplaintStatus.replied) and not current:
        complaint.status = ComplaintStatus.accepted


def close(complaint: Complaint, *, satisfaction: str, public_reply: str, substantiated_department_ids: list[int],
          actor=None) -> None:
    """办结: the reply the complainant reads, their satisfaction, and per department whether it was substantiated."""
    _require(complaint, ComplaintStatus.replied)
    if len((public_reply or "").strip()) < 5:
        raise ComplaintError(_("Write the reply to the complainant (at least 5 characters)."))
    complaint.satisfaction = Satisfaction(satisfaction)
    complaint.public_reply = public_reply.strip()
    complaint.status, complaint.closed_at = ComplaintStatus.closed, utcnow()
    substantiated = set(substantiated_department_ids)
    for assignment in complaint.current_assignments:
        assignment.substantiated = assignment.department_id in substantiated
    _event(complaint, "closed", complaint.public_reply, actor=actor)
    # The finding, on record for good: deductions count it in its month even if the complaint is reopened later.
    for department_id in sorted({a.department_id for a in complaint.current_assignments if a.substantiated}):
        _event(complaint, "substantiated", public=False, department_id=department_id, actor=actor)
    audit.record("complaint.close", _target(complaint),
                 {"satisfaction": complaint.satisfaction.value,
                  "substantiated": sorted(a.department.code for a in complaint.current_assignments
                                          if a.substantiated)}, actor=actor)


def reopen(complaint: Complaint, reason: str, actor=None) -> None:
    """Reopen a closed complaint (the complainant is not satisfied): a new cycle of assignments follows."""
    _require(complaint, ComplaintStatus.closed)
    if len((reason or "").strip()) < 5:
        raise ComplaintError(_("Give the reason for reopening (at least 5 characters)."))
    for assignment in complaint.assignments:
        assignment.substantiated = None
    previous = complaint.satisfaction.value if complaint.satisfaction else ""
    complaint.reopen_count += 1
    complaint.status, complaint.closed_at, complaint.satisfaction = ComplaintStatus.accepted, None, None
    _event(complaint, "reopened", reason.strip(), actor=actor)
    audit.record("complaint.reopen", _target(complaint), {"previous_satisfaction": previous,
                                                          "cycle": complaint.cycle}, actor=actor)


def reveal_phone(complaint: Complaint, actor=None) -> str:
    """The complainant's full number, for a handler about to call back; every reveal is audited."""
    if not complaint.complainant_phone:
        return ""
    audit.record("complaint.phone_reveal", _target(complaint), {}, actor=actor)
    return current_vault().open(complaint.complainant_phone)


def note(complaint: Complaint, text: str, actor=None) -> None:
    """An internal note on the file (not shown to the complainant)."""
    if not (text or "").strip():
        raise ComplaintError(_("Write the note."))
    _event(complaint, "note", text.strip(), public=False, actor=actor)
    audit.record("complaint.note", _target(complaint), {}, actor=actor)


# --------------------------------------------------------------------------- lists

def complaint_query(status: str = "", category: str = "", department_id: int | None = None,
                    search: str = "") -> Select:
    query = select(Complaint).order_by(Complaint.submitted_at.desc())
    if status in ComplaintStatus.__members__:
        query = query.where(Complaint.status == ComplaintStatus(status))
    if category in ComplaintCategory.__members__:
        query = query.where(Complaint.category == ComplaintCategory(category))
    if department_id:
        query = query.where(Complaint.departments.any(Department.id == department_id)
                            | Complaint.assignments.any(ComplaintAssignment.department_id == department_id))
    if search:
        query = query.where(Complaint.tracking_number.ilike(f"%{search.strip()}%")
                            | Complaint.subject.ilike(f"%{search.strip()}%"))
    return query


def overdue_query() -> Select:
    """Pending assignments past their deadline, the oldest deadline first."""
    return (select(ComplaintAssignment).where(ComplaintAssignment.overdue(local_today()))
            .order_by(ComplaintAssignment.due_on, ComplaintAssignment.id))


def due_soon_query(days: int = DUE_SOON_WORKDAYS) -> Select:
    """Pending assignments due today or within ``days`` working days, the nearest deadline first."""
    return (select(ComplaintAssignment).where(ComplaintAssignment.due_soon(local_today(), days))
            .order_by(ComplaintAssignment.due_on, ComplaintAssignment.id))


def department_assignments(department_id: int) -> Select:
    """A department's assignments, pending ones first (withdrawn ones are not its business any more)."""
    return (select(ComplaintAssignment)
            .where(ComplaintAssignment.department_id == department_id,
                   ComplaintAssignment.status != AssignmentStatus.withdrawn)
            .order_by(ComplaintAssignment.status, ComplaintAssignment.due_on.desc(), ComplaintAssignment.id.desc()))


def counts_by_status() -> dict[str, int]:
    return {s.value: n for s, n in db.session.execute(
        select(Complaint.status, func.count()).group_by(Complaint.status)).all()}
