"""The department's side of the engine: one inbox (待办) of everything assigned to the department, whatever the
kind, and the page of one assignment — acknowledge (签收), post progress, reply with the outcome.

Complaints keep their own assignment page (``complaints.assignment``) for now; every other kind uses this one.
A liaison sees only the assignments of their own department; the raiser's identity only when the case shares it.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.casework import attachments, kinds, labels, service as casework
from app.casework.errors import CaseError
from app.casework.forms import ProgressForm, ReplyForm
from app.casework.models import AssignmentStatus, CaseAssignment, CaseKind
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform
from app.platform.calendar import local_today
from app.platform.forms import EmptyForm
from app.platform.roles import Role

bp = Blueprint("casework", __name__)
RECENT = 20


@bp.app_template_global()
def case_labels():
    """The engine's label functions, for the templates of every kind."""
    return {"kind": labels.kind_label, "status": labels.status_label, "satisfaction": labels.satisfaction_label,
            "outcome": labels.outcome_label, "confirmation": labels.confirmation_label, "event": labels.event_label}


@bp.app_template_global()
def assignment_url(assignment: CaseAssignment) -> str:
    """Where a department handles an assignment: the complaints centre's page for complaints, this one otherwise."""
    if assignment.case.kind == CaseKind.complaint:
        return url_for("complaints.assignment", assignment_id=assignment.id)
    return url_for("casework.assignment", assignment_id=assignment.id)


@bp.route("/admin/inbox")
@roles_required(Role.liaison)
def inbox():
    """待办: what waits for the department, overdue first, then by deadline; below, the latest answered."""
    if current_user.department_id is None:  # an admin holds the role but no department
        flash(_("Your account belongs to no department: there is no inbox to show."), "error")
        return redirect(url_for("main.index"))
    waiting = list(db.session.scalars(casework.inbox(current_user.department_id)))
    answered = list(db.session.scalars(
        select(CaseAssignment).where(CaseAssignment.department_id == current_user.department_id,
                                     CaseAssignment.status == AssignmentStatus.replied)
        .order_by(CaseAssignment.replied_at.desc()).limit(RECENT)))
    return render_template("casework/inbox.html", waiting=waiting, answered=answered, today=local_today())


def _own(assignment_id: int) -> CaseAssignment:
    """The liaison's own department's assignment of a kind handled here (404 otherwise, 403 for another's)."""
    item = db.one_or_404(select(CaseAssignment).join(CaseAssignment.case).where(
        CaseAssignment.id == assignment_id, CaseAssignment.status != AssignmentStatus.withdrawn))
    if item.case.kind == CaseKind.complaint:
        abort(404)
    if item.department_id != current_user.department_id:
        abort(403)
    return item


@bp.route("/admin/inbox/<int:assignment_id>")
@roles_required(Role.liaison)
def assignment(assignment_id: int):
    """One assignment: what was raised (the raiser only when shared), the instructions, the deadline, the other
    departments on the case, the history, and the department's steps."""
    item = _own(assignment_id)
    case, kind = item.case, kinds.of(item.case)
    identity = kind.identity(case) if case.identity_shared and kind.identity else None
    files = [a for a in case.attachments if attachments.may_download(current_user, a, kind.organiser_role)]
    form = ReplyForm(formdata=None)
    return render_template("casework/assignment.html", item=item, case=case, kind=kind, identity=identity,
                           files=files, today=local_today(), reply_form=form, progress_form=ProgressForm(formdata=None),
                           action_form=EmptyForm(),
                           outcome_needed=kind.confirm_on_reply and item.lead)


def _back(item: CaseAssignment) -> str:
    return url_for(".assignment", assignment_id=item.id)


@bp.route("/admin/inbox/<int:assignment_id>/acknowledge", methods=["POST"])
@roles_required(Role.liaison)
def acknowledge(assignment_id: int):
    """签收: the department has the case in hand."""
    item = _own(assignment_id)
    return perform(EmptyForm(), lambda form: casework.acknowledge(item, actor=current_user),
                   done=_("Acknowledged."), back=_back(item), refused=CaseError)


@bp.route("/admin/inbox/<int:assignment_id>/progress", methods=["POST"])
@roles_required(Role.liaison)
def progress(assignment_id: int):
    """A progress update; the raiser reads it on the tracking page and hears of it by their channel."""
    item = _own(assignment_id)

    def work(form: ProgressForm):
        casework.progress(item, form.text.data, actor=current_user)
        kind = kinds.of(item.case)
        if kind.notify is not None:
            kind.notify(item.case, "progress")

    return perform(ProgressForm(), work, done=_("The progress update is posted."), back=_back(item),
                   refused=CaseError)


@bp.route("/admin/inbox/<int:assignment_id>/reply", methods=["POST"])
@roles_required(Role.liaison)
def reply(assignment_id: int):
    """The department's answer with the outcome it reports. When the kind asks the raiser to confirm as soon as
    every department has answered, the lead department's outcome and answer go to the raiser at once."""
    item = _own(assignment_id)
    kind = kinds.of(item.case)
    form = ReplyForm()
    form.outcome.flags.required = kind.confirm_on_reply and item.lead

    def work(form: ReplyForm):
        if item.lead and kind.answer_template:  # the kind's own answer (a policy decision) has its own route
            raise CaseError(_("As the lead department, answer with the form on the assignment page."))
        if form.outcome.flags.required and not form.outcome.data:
            raise CaseError(_("Choose the outcome."))
        casework.reply(item, form.reply.data, attachments.files_of(form.evidence), outcome=form.outcome.data or None,
                       actor=current_user)
        casework.confirm_if_answered(item.case, kind.confirm_on_reply, actor=current_user)
        if item.case.status.value == "confirming" and kind.notify is not None:
            kind.notify(item.case, "confirm")

    return perform(form, work, done=_("The answer is sent."), back=url_for(".inbox"), refused=CaseError)
