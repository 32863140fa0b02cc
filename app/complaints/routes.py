"""The complaints centre (营商环境投诉举报中心).

Public: ``/complaints/`` (what the centre takes), ``/complaints/new`` (file),
``/complaints/filed`` (the tracking number and query code, shown once),
``/complaints/track`` (progress and reply, with both).
Back office (complaints handlers): ``/admin/complaints/…`` — list, one complaint
with every step, the overdue list, analysis and export, attachments.
Departments (liaisons): ``/admin/complaints/assigned/…`` — their assignments
without the complainant's identity, and the reply.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, select
from wtforms import SelectChoice

from app.audit import service as audit
from app.casework import labels as case_labels, service as casework
from app.casework import attachments
from app.casework.attachments import files_of
from app.casework.errors import CaseError
from app.casework.forms import AttemptForm
from app.complaints import labels, service as complaints
from app.complaints.analysis import analyse, deductions, department_satisfaction, export_csv
from app.complaints.forms import (
    AssignForm,
    CloseForm,
    ComplaintForm,
    NoteForm,
    ReasonForm,
    ReassignForm,
    ReplyForm,
    TrackForm,
)
from app.casework.models import AssignmentStatus, CaseAssignment, CaseAttachment, CaseKind, CaseStatus
from app.complaints.models import Complaint, ComplaintCategory
from app.departments.models import Department
from app.extensions import db, limiter
from app.platform import small_groups
from app.platform.access import roles_required, visitors
from app.platform.actions import bad_request, perform
from app.platform.calendar import local_today
from app.platform.dates import period_from_query
from app.platform.exports import download
from app.platform.feedback import flash_errors
from app.platform.roles import Role

bp = Blueprint("complaints", __name__)
FILED_KEY = "complaint_filed"
PER_PAGE = 50


@bp.app_template_global()
def complaint_labels():
    """Label functions for the templates."""
    return {"category": labels.category_label, "status": case_labels.status_label,
            "satisfaction": case_labels.satisfaction_label, "event": case_labels.event_label,
            "outcome": case_labels.outcome_label, "confirmation": case_labels.confirmation_label}


def _active_departments() -> list[Department]:
    return list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))


# --------------------------------------------------------------------------- public

@bp.route("/complaints/")
@visitors
def public_index():
    """What the centre takes, and the two ways in: file a complaint, or track one."""
    return render_template("complaints/public_index.html")


@bp.route("/complaints/new", methods=["GET", "POST"])
@visitors
@limiter.limit(lambda: current_app.config["COMPLAINT_INTAKE_RATE_LIMIT"], methods=["POST"])
def new():
    """File a complaint: kind, departments, what happened, attachments, contact details (optional)."""
    form = ComplaintForm()
    departments = _active_departments()
    form.departments.choices = [SelectChoice(d.id, d.name) for d in departments]
    error = None
    if form.validate_on_submit():
        try:
            complaint, code = complaints.submit(
                category=form.category.data, department_ids=form.departments.data, subject=form.subject.data,
                description=form.description.data, district=form.district.data or "",
                occurred_on=form.occurred_on.data, name=form.name.data or "",
                organisation=form.organisation.data or "", phone=form.phone.data or "",
                contact=form.contact.data or "", files=files_of(form.attachments))
        except CaseError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            session[FILED_KEY] = {"number": complaint.tracking_number, "code": code}
            return redirect(url_for(".filed"))
    return render_template("complaints/new.html", form=form, error=error)


@bp.route("/complaints/filed")
@visitors
def filed():
    """The tracking number and the query code — shown this once, then forgotten by the server."""
    data = session.pop(FILED_KEY, None)
    if not data:
        return redirect(url_for(".track"))
    return render_template("complaints/filed.html", number=data["number"], code=data["code"])


@bp.route("/complaints/track", methods=["GET", "POST"])
@visitors
@limiter.limit(lambda: current_app.config["COMPLAINT_TRACK_RATE_LIMIT"], methods=["POST"])
def track():
    """Progress and the reply, for whoever has both the tracking number and the query code."""
    form = TrackForm()
    if form.validate_on_submit():
        complaint = complaints.find_for_tracking(form.tracking_number.data, form.code.data)
        if complaint is not None:
            return render_template("complaints/progress.html", complaint=complaint,
                                   events=[e for e in complaint.events if e.public])
        form.code.errors.append(_("No complaint matches this tracking number and query code."))
    return render_template("complaints/track.html", form=form)


# --------------------------------------------------------------------------- back office

def _numbered(number: str) -> Select:
    """The complaint with this tracking number, typed in either case."""
    return select(Complaint).where(Complaint.tracking_number == number.upper())


def _assignment_of(number: str, assignment_id: int) -> Select:
    """An assignment of the complaint with this tracking number (another complaint's is not found)."""
    return select(CaseAssignment).join(CaseAssignment.complaint).where(
        CaseAssignment.id == assignment_id, Complaint.tracking_number == number.upper())


@bp.route("/admin/complaints/")
@roles_required(Role.complaints)
def index():
    """Complaints, newest first, filtered by status, kind, department and a search text."""
    filters = {name: request.args.get(name, "").strip() for name in ("status", "category", "q")}
    department_id = request.args.get("department", type=int)
    page = db.paginate(complaints.complaint_query(filters["status"], filters["category"], department_id,
                                                  filters["q"]), per_page=PER_PAGE, error_out=False)
    return render_template("complaints/index.html", page=page, filters=filters, department_id=department_id,
                           departments=_active_departments(), counts=complaints.counts_by_status(),
                           overdue=db.session.scalar(select(db.func.count()).select_from(
                               complaints.overdue_query().subquery())), statuses=list(CaseStatus),
                           categories=list(ComplaintCategory))


def _detail(complaint: Complaint, *, revealed_phone: str = "", **forms):
    departments = _active_departments()
    assign_form = forms.get("assign_form") or AssignForm(formdata=None, due_on=complaints.default_due_date(),
                                                         departments=[d.id for d in complaint.departments])
    assign_form.departments.choices = [SelectChoice(d.id, d.name) for d in departments]
    close_form = forms.get("close_form") or _close_form(complaint)
    reassign_form = ReassignForm(formdata=None)
    reassign_form.department_id.choices = [SelectChoice(d.id, d.name) for d in departments]
    identity = None
    if not complaint.anonymous:
        identity = {"name": complaint.complainant_name, "organisation": complaint.complainant_organisation,
                    "phone": revealed_phone or complaint.complainant_phone_masked,
                    "contact": complaint.complainant_contact}
    return render_template("complaints/detail.html", complaint=complaint, identity=identity, today=local_today(),
                           phone_revealed=bool(revealed_phone),
                           assign_form=assign_form, close_form=close_form, reassign_form=reassign_form,
                           reason_form=forms.get("reason_form") or ReasonForm(formdata=None),
                           note_form=NoteForm(formdata=None), action_form=FlaskForm(),
                           attempt_form=AttemptForm(formdata=None),
                           attempts_needed=current_app.config["CASEWORK_CONTACT_ATTEMPTS"],
                           repeats=list(db.session.scalars(select(Complaint).where(
                               Complaint.repeat_of_id == complaint.id))))


@bp.route("/admin/complaints/<number>")
@roles_required(Role.complaints)
def detail(number: str):
    """One complaint: the complainant (handlers only), the file, assignments, replies, history, and every step."""
    complaint = db.one_or_404(_numbered(number))
    audit.record("complaint.view", f"complaint:{complaint.tracking_number}", {})
    db.session.commit()
    return _detail(complaint)


@bp.route("/admin/complaints/<number>/phone", methods=["POST"])
@roles_required(Role.complaints)
def reveal_phone(number: str):
    """Show the complainant's full number to call back; every reveal is in the audit log."""
    complaint = db.one_or_404(_numbered(number))
    phone = complaints.reveal_phone(complaint, actor=current_user)
    db.session.commit()
    return _detail(complaint, revealed_phone=phone)


def _back(complaint: Complaint) -> str:
    """The complaint's page, where its actions go back to."""
    return url_for(".detail", number=complaint.tracking_number)


def _detail_again(complaint: Complaint, **forms):
    """The complaint's page again with a refused form as it was typed (too long to type again), its errors
    flashed with their fields' labels."""
    for form in forms.values():
        flash_errors(form)
    return _detail(complaint, **forms)


@bp.route("/admin/complaints/<number>/accept", methods=["POST"])
@roles_required(Role.complaints)
def accept(number: str):
    """受理."""
    complaint = db.one_or_404(_numbered(number))
    return perform(NoteForm(), lambda form: complaints.accept(complaint, form.note.data or "", actor=current_user),
                   done=_("The complaint is accepted."), back=_back(complaint), refused=CaseError)


@bp.route("/admin/complaints/<number>/decline", methods=["POST"])
@roles_required(Role.complaints)
def decline(number: str):
    """不予受理, with the reason the complainant will read."""
    complaint = db.one_or_404(_numbered(number))
    return perform(ReasonForm(), lambda form: complaints.decline(complaint, form.reason.data, actor=current_user),
                   done=_("The complaint is declined."), back=_back(complaint), refused=CaseError)


@bp.route("/admin/complaints/<number>/assign", methods=["POST"])
@roles_required(Role.complaints)
def assign(number: str):
    """统一交办: to one or more departments, with a deadline."""
    complaint = db.one_or_404(_numbered(number))
    form = AssignForm()
    form.departments.choices = [SelectChoice(d.id, d.name) for d in _active_departments()]

    def work(form: AssignForm):
        departments = db.session.scalars(select(Department).where(Department.id.in_(form.departments.data)))
        complaints.assign(complaint, list(departments), form.due_on.data, form.instructions.data or "",
                          actor=current_user)

    return perform(form, work, done=_("The complaint is assigned."), back=_back(complaint),
                   refused=CaseError, invalid=lambda form: _detail_again(complaint, assign_form=form))


@bp.route("/admin/complaints/<number>/assignments/<int:assignment_id>/reassign", methods=["POST"])
@roles_required(Role.complaints)
def reassign(number: str, assignment_id: int):
    """Move a pending assignment to another department."""
    assignment = db.one_or_404(_assignment_of(number, assignment_id))
    form = ReassignForm()
    form.department_id.choices = [SelectChoice(d.id, d.name) for d in _active_departments()]

    def work(form: ReassignForm):
        complaints.reassign(assignment, db.session.get(Department, form.department_id.data), form.reason.data,
                            actor=current_user)

    return perform(form, work, done=_("The complaint is reassigned."), back=_back(assignment.complaint),
                   refused=CaseError)


@bp.route("/admin/complaints/<number>/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@roles_required(Role.complaints)
def withdraw(number: str, assignment_id: int):
    """Take a pending assignment back."""
    assignment = db.one_or_404(_assignment_of(number, assignment_id))
    return perform(ReasonForm(), lambda form: complaints.withdraw(assignment, form.reason.data, actor=current_user),
                   done=_("The assignment is withdrawn."), back=_back(assignment.complaint),
                   refused=CaseError)


@bp.route("/admin/complaints/<number>/assignments/<int:assignment_id>/remind", methods=["POST"])
@roles_required(Role.complaints)
def remind(number: str, assignment_id: int):
    """统一督办: remind the department (from the complaint, or from the overdue list, which it goes back to)."""
    assignment = db.one_or_404(_assignment_of(number, assignment_id))
    back = request.form.get("next", "")
    return perform(NoteForm(), lambda form: complaints.remind(assignment, form.note.data or "", actor=current_user),
                   done=_("The department is reminded."), refused=CaseError,
                   back=back if back.startswith("/admin/complaints/") else _back(assignment.complaint))


def _close_form(complaint: Complaint, submitted: bool = False) -> CloseForm:
    form = CloseForm() if submitted else CloseForm(formdata=None)
    form.substantiated.choices = [SelectChoice(a.department_id, a.department.name)
                                  for a in complaint.current_assignments]
    form.redirected_to.choices = [SelectChoice(0, "—")] + [SelectChoice(d.id, d.name) for d in _active_departments()]
    return form


@bp.route("/admin/complaints/<number>/close", methods=["POST"])
@roles_required(Role.complaints)
def close(number: str):
    """办结: the outcome, the reply to the complainant, their verdict (or the sign-off), what was substantiated."""
    complaint = db.one_or_404(_numbered(number))
    form = _close_form(complaint, submitted=True)

    def work(form: CloseForm):
        kept = form.duplicate_of.data and db.session.scalar(_numbered(form.duplicate_of.data.strip()))
        complaints.close(complaint, satisfaction=form.satisfaction.data, public_reply=form.public_reply.data,
                         substantiated_department_ids=form.substantiated.data or [], outcome=form.outcome.data,
                         sign_off_reason=form.sign_off_reason.data or "", duplicate_of=kept or None,
                         redirected_to=db.session.get(Department, form.redirected_to.data or 0),
                         actor=current_user)

    return perform(form, work, done=_("The complaint is closed."), back=_back(complaint),
                   refused=CaseError, invalid=lambda form: _detail_again(complaint, close_form=form))


@bp.route("/admin/complaints/<number>/attempt", methods=["POST"])
@roles_required(Role.complaints)
def attempt(number: str):
    """One failed attempt to reach the complainant (a sign-off without them needs enough of these)."""
    complaint = db.one_or_404(_numbered(number))
    return perform(AttemptForm(), lambda form: casework.record_attempt(complaint, form.note.data or "",
                                                                       actor=current_user),
                   done=_("The attempt is recorded."), back=_back(complaint), refused=CaseError)


@bp.route("/admin/complaints/<number>/reopen", methods=["POST"])
@roles_required(Role.complaints)
def reopen(number: str):
    """Reopen a closed complaint; it then needs assigning again."""
    complaint = db.one_or_404(_numbered(number))
    return perform(ReasonForm(), lambda form: complaints.reopen(complaint, form.reason.data, actor=current_user),
                   done=_("The complaint is reopened."), back=_back(complaint), refused=CaseError)


@bp.route("/admin/complaints/<number>/note", methods=["POST"])
@roles_required(Role.complaints)
def add_note(number: str):
    """An internal note on the file."""
    complaint = db.one_or_404(_numbered(number))
    return perform(NoteForm(), lambda form: complaints.note(complaint, form.note.data or "", actor=current_user),
                   done=_("Note added."), back=_back(complaint), refused=CaseError)


@bp.route("/admin/complaints/<number>/attachments/<int:attachment_id>/share", methods=["POST"])
@roles_required(Role.complaints)
def share(number: str, attachment_id: int):
    """Show a complainant's file to the assigned departments (after checking it reveals nobody)."""
    complaint = db.one_or_404(_numbered(number))
    attachment = db.one_or_404(select(CaseAttachment).where(CaseAttachment.id == attachment_id,
                                                                 CaseAttachment.case_id == complaint.id))
    return perform(FlaskForm(), lambda form: complaints.share_attachment(attachment, actor=current_user),
                   done=_("The file is shared with the assigned departments."), back=_back(complaint),
                   invalid=bad_request)


@bp.route("/admin/complaints/overdue")
@roles_required(Role.complaints)
def overdue():
    """统一督办: assignments past their deadline, and those due within two working days."""
    return render_template("complaints/overdue.html", overdue=list(db.session.scalars(complaints.overdue_query())),
                           due_soon=list(db.session.scalars(complaints.due_soon_query())), today=local_today(),
                           note_form=NoteForm(formdata=None))


def _period() -> tuple[date, date]:
    """The period from ?start=&end= (ISO dates), this year so far by default."""
    return period_from_query(request.args, date(local_today().year, 1, 1), say=request.endpoint != "complaints.export")


@bp.route("/admin/complaints/analysis")
@roles_required(Role.complaints, Role.hr, Role.auditor)
def analysis():
    """统一分析: counts by kind, department, district and month; on-time rate, satisfaction, repeats."""
    start, end = _period()
    result = analyse(start, end)
    departments = {d.id: d for d in db.session.scalars(select(Department))}
    return render_template("complaints/analysis.html", start=start, end=end, result=result, departments=departments,
                           deductions=deductions(start, end))


@bp.route("/admin/complaints/analysis.csv")
@roles_required(Role.complaints, Role.hr, Role.auditor)
def export():
    """The period's complaints as CSV, without the complainants' identity."""
    start, end = _period()
    data = export_csv(start, end)
    audit.record("complaint.export", "complaints", {"start": start.isoformat(), "end": end.isoformat()})
    db.session.commit()
    return download(data, f"complaints-{start}-{end}.csv")


@bp.route("/admin/complaints/attachments/<int:attachment_id>")
@roles_required(Role.complaints, Role.liaison)
def attachment(attachment_id: int):
    """Download a file: handlers any; a department its own evidence and the files shared with it."""
    return attachments.download(current_user, attachments.of_kind(attachment_id, CaseKind.complaint), Role.complaints)


# --------------------------------------------------------------------------- departments

@bp.route("/admin/complaints/assigned")
@roles_required(Role.liaison, Role.complaints)
def assigned():
    """The complaints assigned to the liaison's department (without the complainants' identity).

    Admins and complaints handlers have no department: they follow every assignment from the complaints list.
    """
    if current_user.department_id is None:
        return redirect(url_for(".index"))
    page = db.paginate(complaints.department_assignments(current_user.department_id), per_page=PER_PAGE,
                       error_out=False)
    # The complainants' satisfaction with the department: by whole ended months, none from fewer than k verdicts.
    month, months, refused = small_groups.choose_month(request.args.get("month"), local_today())
    if refused:
        flash(_("Month: choose one of the months listed (whole months that have ended)."), "error")
    satisfaction = department_satisfaction(current_user.department_id, month, small_groups.month_end(month),
                                           small_groups.k())
    return render_template("complaints/assigned.html", page=page, today=local_today(), month=month, months=months,
                           satisfaction=satisfaction, k=small_groups.k())


@bp.route("/admin/complaints/assigned/<int:assignment_id>", methods=["GET", "POST"])
@roles_required(Role.liaison)
def assignment(assignment_id: int):
    """One assignment: the complaint as filed (no identity), the instructions, the deadline, and the reply."""
    item = db.one_or_404(select(CaseAssignment).where(CaseAssignment.id == assignment_id,
                                                           CaseAssignment.status != AssignmentStatus.withdrawn))
    if current_user.role == Role.liaison and item.department_id != current_user.department_id:
        abort(403)
    form = ReplyForm()
    error = None
    if request.method == "POST":
        if current_user.role != Role.liaison and not current_user.is_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                complaints.reply(item, form.reply.data, files_of(form.evidence), actor=current_user)
            except CaseError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                flash(_("The reply is sent to the complaints centre."), "success")
                return redirect(url_for(".assigned"))
    files = [a for a in item.complaint.attachments if complaints.may_download(current_user, a)]
    return render_template("complaints/assignment.html", item=item, complaint=item.complaint, form=form,
                           error=error, files=files, today=local_today())
