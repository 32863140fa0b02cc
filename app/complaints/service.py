"""The complaints centre: intake with attachments, tracking, the handling lifecycle and the lists.

Lifecycle: submitted → accepted (受理) or declined → assigned to departments with a
deadline (统一交办) → reminders and the overdue list (统一督办) → each department
replies → closed with the complainant's satisfaction and, per department,
whether the complaint was substantiated → reopened if need be (a new cycle).
Every step is a ``CaseEvent`` (the complainant sees the public ones) and an
audit entry (``complaint.*``) without personal data. The period's figures, its export and the
deductions for the assessment are in ``analysis``; the labels in ``labels``.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.service import dummy_password_hash
from app.audit import service as audit
from app.casework import attachments, kinds, service as casework
from app.casework.attachments import attachment_path  # noqa: F401 (the centre's downloads)
from app.casework.deadlines import DUE_SOON_WORKDAYS
from app.casework.errors import CaseError
from app.casework.models import CaseAssignment, CaseAttachment, CaseKind, CaseStatus, Satisfaction
# The engine's steps, under the names the complaints centre uses.
from app.casework.service import (  # noqa: F401
    accept,
    assign,
    decline,
    default_due_date,
    note,
    remind,
    reopen,
    reply,
    withdraw,
    reassign,
)
from app.complaints.models import Complaint, ComplaintCategory
from app.departments.models import Department
from app.extensions import db
from app.platform import readable_codes
from app.platform.columns import utcnow
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.platform.roles import Role

QUERY_CODE_LENGTH = 10
ComplaintError = CaseError


def may_download(user, attachment: CaseAttachment) -> bool:
    """Handlers see every file; a liaison sees its own department's evidence and files shared with it."""
    return attachments.may_download(user, attachment, Role.complaints)


share_attachment = attachments.share


# --------------------------------------------------------------------------- intake and tracking

def new_query_code() -> str:
    raw = readable_codes.new_code(QUERY_CODE_LENGTH)
    return f"{raw[:5]}-{raw[5:]}"


normalise_code = readable_codes.normalise


def submit(*, category: str, department_ids: list[int], subject: str, description: str, district: str = "",
           occurred_on: date | None = None, name: str = "", organisation: str = "", phone: str = "",
           contact: str = "", files: list[tuple[str, bytes]] | None = None) -> tuple[Complaint, str]:
    """File a complaint; returns it and its query code (shown once, stored only as a hash). Commits."""
    uploads = attachments.check_uploads(files or [])
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
    casework.add_numbered(complaint, "TS")
    for upload in uploads:
        attachments.store(complaint, upload)
    casework.event(complaint, "submitted")
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


# --------------------------------------------------------------------------- closing

def close(complaint: Complaint, *, satisfaction: str, public_reply: str, substantiated_department_ids: list[int],
          outcome: str, sign_off_reason: str = "", duplicate_of: Complaint | None = None,
          redirected_to: Department | None = None, actor=None) -> None:
    """办结: the reply the complainant reads, the outcome, their verdict (after a call; a complainant who could
    not be reached needs the attempts and a supervisor's ``sign_off_reason``) and, per department, whether the
    complaint was substantiated."""
    substantiated = set(substantiated_department_ids)
    found = sorted(a.department.code for a in complaint.current_assignments if a.department_id in substantiated)
    settle = dict(outcome=outcome, public_reply=public_reply, duplicate_of=duplicate_of,
                  redirected_to=redirected_to, details={"substantiated": found}, actor=actor)
    if satisfaction == Satisfaction.unreachable.value:
        casework.sign_off(complaint, reason=sign_off_reason, **settle)
    else:
        casework.close(complaint, satisfaction=satisfaction, **settle)
    for assignment in complaint.current_assignments:
        assignment.substantiated = assignment.department_id in substantiated
    # The finding, on record for good: deductions count it in its month even if the complaint is reopened later.
    for department_id in sorted({a.department_id for a in complaint.current_assignments if a.substantiated}):
        casework.event(complaint, "substantiated", public=False, department_id=department_id, actor=actor)


def reveal_phone(complaint: Complaint, actor=None) -> str:
    """The complainant's full number, for a handler about to call back; every reveal is audited."""
    if not complaint.complainant_phone:
        return ""
    audit.record("complaint.phone_reveal", casework.target(complaint), {}, actor=actor)
    return current_vault().open(complaint.complainant_phone)


# --------------------------------------------------------------------------- lists

def complaint_query(status: str = "", category: str = "", department_id: int | None = None,
                    search: str = "") -> Select:
    query = select(Complaint).order_by(Complaint.submitted_at.desc())
    if status in CaseStatus.__members__:
        query = query.where(Complaint.status == CaseStatus(status))
    if category in ComplaintCategory.__members__:
        query = query.where(Complaint.category == ComplaintCategory(category))
    if department_id:
        query = query.where(Complaint.departments.any(Department.id == department_id)
                            | Complaint.assignments.any(CaseAssignment.department_id == department_id))
    if search:
        query = query.where(Complaint.tracking_number.ilike(f"%{search.strip()}%")
                            | Complaint.subject.ilike(f"%{search.strip()}%"))
    return query


def overdue_query() -> Select:
    """Complaint assignments past their deadline, the oldest deadline first."""
    return casework.overdue_query(CaseKind.complaint)


def due_soon_query(days: int = DUE_SOON_WORKDAYS) -> Select:
    """Complaint assignments due today or within ``days`` working days, the nearest deadline first."""
    return casework.due_soon_query(days, CaseKind.complaint)


def department_assignments(department_id: int) -> Select:
    """A department's complaint assignments, pending ones first."""
    return casework.department_assignments(department_id, CaseKind.complaint)


def counts_by_status() -> dict[str, int]:
    return {s.value: n for s, n in db.session.execute(
        select(Complaint.status, func.count()).group_by(Complaint.status)).all()}


def complainant_phone(complaint: Complaint) -> str | None:
    """The complainant's number (E.164), if they gave one and it has not been erased."""
    return current_vault().open(complaint.complainant_phone) if complaint.complainant_phone else None


kinds.register(kinds.Kind(kind=CaseKind.complaint, organiser_role=Role.complaints,
                          raised_template="complaints/_raised.html", organiser_endpoint="complaints.detail",
                          file_endpoint="complaints.attachment",
                          phone=complainant_phone))
