"""The entrepreneurs' forum.

Organisers (role ``forum``): ``/admin/forum/…`` — meetings (plan, edit, the draw of invitations, sending, held,
attendance), the problems of each meeting and every problem's page (identity, 交办, 现场答复, reminders,
withdrawal and reassignment, attempts, closing or sign-off, history). Departments answer in the engine's inbox.
Auditors download a meeting's draw evidence.
Enterprises: ``/f/<token>`` (the personal link) → ``/f/home`` (the meeting, RSVP, its problems),
``/f/problems/new``, ``/f/problems/<number>`` (tracking, rating, reopening).
"""
from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.audit import service as audit
from app.casework import attachments, service as casework
from app.casework.errors import CaseError
from app.casework.forms import AttemptForm, ClosingForm, NoteForm, ReasonForm
from app.casework.models import CaseAssignment, CaseKind, CaseStatus
from app.departments.models import Department
from app.extensions import db
from app.forum import draws, invitations, labels, meetings, problems
from app.forum.draws import ForumDrawError
from app.forum.forms import (
    AssignForm,
    AttendanceForm,
    ChooseForm,
    DrawForm,
    MeetingForm,
    MoveForm,
    OnSpotForm,
    ProblemForm,
    RateForm,
    RecordProblemForm,
    ReopenForm,
    RsvpForm,
)
from app.forum.invitations import InvitationError
from app.forum.meetings import MeetingError
from app.forum.models import ForumInvitation, ForumMeeting, ForumProblem, MeetingStatus
from app.platform.access import roles_required, visitors
from app.platform.actions import bad_request, perform, unconfirmed
from app.platform.calendar import local_today
from app.platform.exports import download
from app.platform.feedback import flash_errors
from app.platform.forms import ConfirmForm, EmptyForm
from app.platform.roles import Role

bp = Blueprint("forum", __name__)
SESSION_KEY = "forum_invitation"
REFUSED = (CaseError, MeetingError, InvitationError, ForumDrawError)
PER_PAGE = 50


@bp.app_template_global()
def forum_labels():
    """The forum's label functions, for the templates."""
    return {"category": labels.category_label, "chair": labels.chair_label, "meeting": labels.meeting_status_label,
            "source": labels.source_label, "rsvp": labels.rsvp_label}


def _departments() -> list[Department]:
    return list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))


def _department_choices() -> list[SelectChoice]:
    return [SelectChoice(d.id, d.name) for d in _departments()]


# --------------------------------------------------------------------------- meetings

@bp.route("/admin/forum/")
@roles_required(Role.forum, Role.auditor)
def index():
    """The meetings, the latest first (with the evidence of each draw, for auditors too), and the problems overdue
    or due soon."""
    page = db.paginate(meetings.meetings_query(), per_page=PER_PAGE, error_out=False)
    return render_template("forum/index.html", page=page, today=local_today(),
                           overdue=list(db.session.scalars(problems.overdue_query())),
                           due_soon=list(db.session.scalars(problems.due_soon_query())))


@bp.route("/admin/forum/meetings/new", methods=["GET", "POST"])
@roles_required(Role.forum)
def new_meeting():
    """Plan a meeting: date, venue, chair (the other one than last time), theme, the draw's size."""
    form = MeetingForm()
    if request.method == "GET":
        form.chair.data = meetings.default_chair().value
    if form.validate_on_submit():
        try:
            meeting = meetings.create(held_on=form.held_on.data, venue=form.venue.data, theme=form.theme.data,
                                      chair=form.chair.data, draw_size=form.draw_size.data,
                                      exclude_last=form.exclude_last.data, actor=current_user)
        except MeetingError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The meeting is planned."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("forum/meeting_form.html", form=form)


def _meeting_page(meeting: ForumMeeting, **forms):
    edit_form = forms.get("edit_form") or MeetingForm(formdata=None, obj=meeting, chair=meeting.chair.value)
    query = request.args.get("q", "").strip()
    found = invitations.search_enterprises(meeting, query) if query else []
    choose_form = ChooseForm(formdata=None)
    choose_form.respondents.choices = [SelectChoice(m.id, f"{m.organisation or m.name}（{m.key}）") for m in found]
    record_form = forms.get("record_form") or RecordProblemForm(formdata=None)
    record_form.invitation_id.choices = _invited_choices(meeting)
    attendance_form = AttendanceForm(formdata=None, attended=[i.id for i in meeting.invitations if i.attended])
    attendance_form.attended.choices = _invited_choices(meeting)
    listed = list(db.session.scalars(problems.problems_query(meeting)))
    return render_template(
        "forum/meeting.html", meeting=meeting, edit_form=edit_form, query=query, found=found,
        choose_form=choose_form, record_form=record_form, attendance_form=attendance_form,
        confirm_form=ConfirmForm(formdata=None), draw_form=DrawForm(formdata=None), action_form=EmptyForm(),
        unsent=len(invitations.unsent(meeting)), problems=listed,
        repeats={p.id: problems.times_raised(p) for p in listed}, allocation=draws.allocation(meeting),
        frame_size=len(draws.frame_members(meeting)), today=local_today())


def _invited_choices(meeting: ForumMeeting) -> list[SelectChoice]:
    return [SelectChoice(i.id, i.respondent.organisation or i.respondent.name) for i in meeting.invitations]


def _meeting(meeting_id: int) -> ForumMeeting:
    return db.get_or_404(ForumMeeting, meeting_id)


def _back_to(meeting: ForumMeeting) -> str:
    return url_for(".meeting", meeting_id=meeting.id)


@bp.route("/admin/forum/meetings/<int:meeting_id>")
@roles_required(Role.forum)
def meeting(meeting_id: int):
    """One meeting: its facts, the invitations (chosen, drawn, sent, answers), the draw, the steps, its problems."""
    return _meeting_page(_meeting(meeting_id))


@bp.route("/admin/forum/meetings/<int:meeting_id>/edit", methods=["POST"])
@roles_required(Role.forum)
def edit_meeting(meeting_id: int):
    """Change the date, venue, chair, theme or the draw's plan."""
    item = _meeting(meeting_id)

    def work(form: MeetingForm):
        meetings.update(item, held_on=form.held_on.data, venue=form.venue.data, theme=form.theme.data,
                        chair=form.chair.data, draw_size=form.draw_size.data, exclude_last=form.exclude_last.data,
                        actor=current_user)

    return perform(MeetingForm(), work, done=_("The meeting is saved."), back=_back_to(item), refused=REFUSED,
                   invalid=lambda form: _again(item, edit_form=form))


def _again(item: ForumMeeting, **forms):
    for form in forms.values():
        flash_errors(form)
    return _meeting_page(item, **forms)


@bp.route("/admin/forum/meetings/<int:meeting_id>/choose", methods=["POST"])
@roles_required(Role.forum)
def choose(meeting_id: int):
    """Invite the enterprises ticked in the search results."""
    item = _meeting(meeting_id)
    form = ChooseForm()
    # The search results the boxes came from: any pool member's id; the service checks each is an enterprise.
    form.respondents.choices = [SelectChoice(int(v), "") for v in request.form.getlist("respondents") if v.isdecimal()]
    return perform(form, lambda form: invitations.choose(item, form.respondents.data, actor=current_user),
                   done=lambda n: ngettext("%(num)d enterprise invited.", "%(num)d enterprises invited.", n),
                   back=_back_to(item), refused=REFUSED)


@bp.route("/admin/forum/meetings/<int:meeting_id>/invitations/<int:invitation_id>/remove", methods=["POST"])
@roles_required(Role.forum)
def remove_invitation(meeting_id: int, invitation_id: int):
    """Take back a chosen invitation not sent yet."""
    item = db.one_or_404(select(ForumInvitation).where(ForumInvitation.id == invitation_id,
                                                       ForumInvitation.meeting_id == meeting_id))
    back = _back_to(item.meeting)
    return perform(EmptyForm(), lambda form: invitations.remove(item, actor=current_user),
                   done=_("The invitation is removed."), back=back, refused=REFUSED, invalid=bad_request)


@bp.route("/admin/forum/meetings/<int:meeting_id>/freeze", methods=["POST"])
@roles_required(Role.forum)
def freeze(meeting_id: int):
    """Step 1 of the draw: freeze the frame and record its commitment (to announce before the seed)."""
    item = _meeting(meeting_id)
    return perform(ConfirmForm(), lambda form: draws.freeze(item, actor=current_user),
                   done=_("The frame is frozen; announce its commitment, then set the seed and draw."),
                   back=_back_to(item), refused=REFUSED, invalid=unconfirmed(_back_to(item)))


@bp.route("/admin/forum/meetings/<int:meeting_id>/draw", methods=["POST"])
@roles_required(Role.forum)
def run_draw(meeting_id: int):
    """Step 2: the seed (typed or generated) and the drawn invitations."""
    item = _meeting(meeting_id)
    return perform(DrawForm(), lambda form: draws.draw(item, form.seed.data or None, actor=current_user),
                   done=lambda n: ngettext("%(num)d enterprise drawn.", "%(num)d enterprises drawn.", n),
                   back=_back_to(item), refused=REFUSED, invalid=unconfirmed(_back_to(item)))


@bp.route("/admin/forum/meetings/<int:meeting_id>/draw/evidence.zip")
@roles_required(Role.forum, Role.auditor)
def evidence(meeting_id: int):
    """frame.csv, plan.json, seed.txt, commitment.txt, selected.csv in one zip, for tools/verify_draw.py."""
    item = _meeting(meeting_id)
    try:
        files = draws.evidence_files(item)
    except ForumDrawError:
        abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    audit.record("forum.draw.export", meetings.target(item), {})
    db.session.commit()
    return download(buffer.getvalue(), f"forum-draw-{item.held_on.isoformat()}-{item.id}.zip", "application/zip")


@bp.route("/admin/forum/meetings/<int:meeting_id>/send", methods=["POST"])
@roles_required(Role.forum)
def send(meeting_id: int):
    """Send each unsent invitation its SMS with its personal link."""
    item = _meeting(meeting_id)

    def done(counts: dict) -> str:
        return _("Invitations sent: %(sent)d; over today's limit for the number: %(capped)d; refused by the "
                 "gateway or without a number: %(failed)d.", **counts)

    return perform(ConfirmForm(), lambda form: invitations.send(item, actor=current_user), done=done,
                   back=_back_to(item), refused=REFUSED, invalid=unconfirmed(_back_to(item)))


@bp.route("/admin/forum/meetings/<int:meeting_id>/held", methods=["POST"])
@roles_required(Role.forum)
def mark_held(meeting_id: int):
    """已召开: the meeting took place."""
    item = _meeting(meeting_id)
    return perform(ConfirmForm(), lambda form: meetings.mark_held(item, actor=current_user),
                   done=_("The meeting is marked as held."), back=_back_to(item), refused=REFUSED,
                   invalid=unconfirmed(_back_to(item)))


@bp.route("/admin/forum/meetings/<int:meeting_id>/attendance", methods=["POST"])
@roles_required(Role.forum)
def attendance(meeting_id: int):
    """Who came to the meeting."""
    item = _meeting(meeting_id)
    form = AttendanceForm()
    form.attended.choices = _invited_choices(item)
    return perform(form, lambda form: invitations.record_attendance(item, form.attended.data or [],
                                                                    actor=current_user),
                   done=_("Attendance is recorded."), back=_back_to(item), refused=REFUSED)


@bp.route("/admin/forum/meetings/<int:meeting_id>/problems", methods=["POST"])
@roles_required(Role.forum)
def record_problem(meeting_id: int):
    """A problem raised at the meeting, recorded for the enterprise that raised it."""
    item = _meeting(meeting_id)
    form = RecordProblemForm()
    form.invitation_id.choices = _invited_choices(item)

    def work(form: RecordProblemForm) -> ForumProblem:
        invitation = db.session.get(ForumInvitation, form.invitation_id.data)
        return problems.raise_problem(invitation, category=form.category.data, description=form.description.data,
                                      request=form.request.data or "", identity_shared=form.identity_shared.data,
                                      named_in_ledger=form.named_in_ledger.data, at_meeting=True,
                                      actor=current_user)

    return perform(form, work, done=_("The problem is recorded."), back=_back_to(item), refused=REFUSED,
                   then=lambda problem: url_for(".problem", number=problem.tracking_number),
                   invalid=lambda form: _again(item, record_form=form))


# --------------------------------------------------------------------------- problems (organisers)

@bp.route("/admin/forum/problems")
@roles_required(Role.forum)
def problem_list():
    """Every problem, the latest first, by status; the overdue and due-soon assignments."""
    status = request.args.get("status", "")
    page = db.paginate(problems.problems_query(status=status), per_page=PER_PAGE, error_out=False)
    return render_template("forum/problems.html", page=page, status=status, statuses=list(CaseStatus),
                           overdue=list(db.session.scalars(problems.overdue_query())),
                           due_soon=list(db.session.scalars(problems.due_soon_query())), today=local_today())


def _numbered(number: str):
    return select(ForumProblem).where(ForumProblem.tracking_number == number)


def _problem(number: str) -> ForumProblem:
    return db.one_or_404(_numbered(number))


def _problem_page(problem: ForumProblem, revealed_phone: str = "", **forms):
    identity = problems.identity(problem)
    if revealed_phone:
        identity[_("Mobile phone")] = revealed_phone
    choices = _department_choices()
    assign_form = forms.get("assign_form") or AssignForm(formdata=None,
                                                         workdays=current_app.config["FORUM_DEADLINE_WORKDAYS"])
    assign_form.lead_id.choices, assign_form.co_ids.choices = choices, choices
    spot_form = forms.get("spot_form") or OnSpotForm(formdata=None)
    spot_form.department_id.choices = choices
    move_form = MoveForm(formdata=None)
    move_form.department_id.choices = choices
    close_form = forms.get("close_form") or _closing_form(problem)
    return render_template(
        "forum/problem.html", problem=problem, identity=identity, phone_revealed=bool(revealed_phone),
        earlier=problems.earlier_problems(problem), assign_form=assign_form, spot_form=spot_form,
        move_form=move_form, close_form=close_form, note_form=NoteForm(formdata=None),
        reason_form=ReasonForm(formdata=None),
        attempt_form=AttemptForm(formdata=None), action_form=EmptyForm(), today=local_today(),
        attempts_needed=current_app.config["CASEWORK_CONTACT_ATTEMPTS"],
        meeting_held=problem.meeting.status in (MeetingStatus.held, MeetingStatus.reported))


def _closing_form(problem: ForumProblem, submitted: bool = False) -> ClosingForm:
    form = ClosingForm() if submitted else ClosingForm(formdata=None, public_reply=problem.public_reply or (
        problem.lead_assignment.reply if problem.lead_assignment else ""))
    form.redirected_to.choices = [SelectChoice(0, "—")] + _department_choices()
    return form


def _back(problem: ForumProblem) -> str:
    return url_for(".problem", number=problem.tracking_number)


def _problem_again(problem: ForumProblem, **forms):
    for form in forms.values():
        flash_errors(form)
    return _problem_page(problem, **forms)


@bp.route("/admin/forum/problems/<number>")
@roles_required(Role.forum)
def problem(number: str):
    """One problem: the enterprise, what it raised, repeats, assignments, answers, history, and every step."""
    item = _problem(number)
    audit.record("forum.view", casework.target(item), {})
    db.session.commit()
    return _problem_page(item)


@bp.route("/admin/forum/problems/<number>/phone", methods=["POST"])
@roles_required(Role.forum)
def reveal_phone(number: str):
    """The enterprise's full number, to call; every reveal is in the audit log."""
    item = _problem(number)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    phone = problems.reveal_phone(item, actor=current_user)
    db.session.commit()
    return _problem_page(item, revealed_phone=phone)


@bp.route("/admin/forum/problems/<number>/assign", methods=["POST"])
@roles_required(Role.forum)
def assign(number: str):
    """交办: the lead department, co-departments, the deadline in working days, instructions."""
    item = _problem(number)
    form = AssignForm()
    form.lead_id.choices = form.co_ids.choices = _department_choices()
    return perform(form, lambda form: problems.assign(item, lead_id=form.lead_id.data, co_ids=form.co_ids.data or [],
                                                      workdays=form.workdays.data,
                                                      instructions=form.instructions.data or "", actor=current_user),
                   done=_("The problem is assigned."), back=_back(item), refused=REFUSED,
                   invalid=lambda form: _problem_again(item, assign_form=form))


@bp.route("/admin/forum/problems/<number>/on-spot", methods=["POST"])
@roles_required(Role.forum)
def on_spot(number: str):
    """现场答复: the answer a department gave at the meeting, sent to the enterprise to confirm."""
    item = _problem(number)
    form = OnSpotForm()
    form.department_id.choices = _department_choices()
    return perform(form, lambda form: problems.answer_on_spot(item, department_id=form.department_id.data,
                                                              answer=form.answer.data, actor=current_user),
                   done=_("The answer is recorded and the enterprise is asked to confirm."), back=_back(item),
                   refused=REFUSED, invalid=lambda form: _problem_again(item, spot_form=form))


def _assignment(number: str, assignment_id: int) -> CaseAssignment:
    return db.one_or_404(select(CaseAssignment).join(ForumProblem, ForumProblem.id == CaseAssignment.case_id)
                         .where(CaseAssignment.id == assignment_id, ForumProblem.tracking_number == number))


@bp.route("/admin/forum/problems/<number>/assignments/<int:assignment_id>/remind", methods=["POST"])
@roles_required(Role.forum)
def remind(number: str, assignment_id: int):
    """督办: remind the department."""
    item = _assignment(number, assignment_id)
    return perform(NoteForm(), lambda form: casework.remind(item, form.note.data or "", actor=current_user),
                   done=_("The department is reminded."), back=_back(item.case), refused=REFUSED)


@bp.route("/admin/forum/problems/<number>/assignments/<int:assignment_id>/withdraw", methods=["POST"])
@roles_required(Role.forum)
def withdraw(number: str, assignment_id: int):
    """Take a pending assignment back, with the reason."""
    item = _assignment(number, assignment_id)
    return perform(ReasonForm(), lambda form: casework.withdraw(item, form.reason.data, actor=current_user),
                   done=_("The assignment is withdrawn."), back=_back(item.case), refused=REFUSED)


@bp.route("/admin/forum/problems/<number>/assignments/<int:assignment_id>/reassign", methods=["POST"])
@roles_required(Role.forum)
def reassign(number: str, assignment_id: int):
    """Move a pending assignment to another department."""
    item = _assignment(number, assignment_id)
    form = MoveForm()
    form.department_id.choices = _department_choices()
    return perform(form, lambda form: casework.reassign(item, db.session.get(Department, form.department_id.data),
                                                        form.reason.data, actor=current_user),
                   done=_("The problem is reassigned."), back=_back(item.case), refused=REFUSED)


@bp.route("/admin/forum/problems/<number>/attempt", methods=["POST"])
@roles_required(Role.forum)
def attempt(number: str):
    """One failed attempt to reach the enterprise (a sign-off without it needs enough of these)."""
    item = _problem(number)
    return perform(AttemptForm(), lambda form: casework.record_attempt(item, form.note.data or "", actor=current_user),
                   done=_("The attempt is recorded."), back=_back(item), refused=REFUSED)


@bp.route("/admin/forum/problems/<number>/close", methods=["POST"])
@roles_required(Role.forum)
def close(number: str):
    """销号 by the organisers: the outcome, the reply, the enterprise's verdict by phone — or the sign-off."""
    item = _problem(number)
    form = _closing_form(item, submitted=True)

    def work(form: ClosingForm):
        kept = form.duplicate_of.data and db.session.scalar(_numbered(form.duplicate_of.data.strip()))
        problems.close(item, outcome=form.outcome.data, satisfaction=form.satisfaction.data,
                       public_reply=form.public_reply.data, sign_off_reason=form.sign_off_reason.data or "",
                       duplicate_of=kept or None,
                       redirected_to=db.session.get(Department, form.redirected_to.data or 0), actor=current_user)

    return perform(form, work, done=_("The problem is closed."), back=_back(item), refused=REFUSED,
                   invalid=lambda form: _problem_again(item, close_form=form))


@bp.route("/admin/forum/attachments/<int:attachment_id>")
@roles_required(Role.forum, Role.liaison)
def attachment(attachment_id: int):
    """A department's evidence: the organisers any; a department its own."""
    return attachments.download(current_user, attachments.of_kind(attachment_id, CaseKind.forum), Role.forum)


# --------------------------------------------------------------------------- the enterprise's pages

@bp.route("/f/<token>")
@visitors
def open_link(token: str):
    """The personal link: remembered for this browser, then the enterprise's page."""
    invitation = invitations.find(token)
    if invitation is None:
        return render_template("forum/invalid.html"), 404
    session[SESSION_KEY] = invitation.id
    return redirect(url_for(".home"))


def _invitation() -> ForumInvitation:
    invitation = db.session.get(ForumInvitation, session.get(SESSION_KEY) or 0)
    if invitation is None or invitation.token_hash is None:
        abort(404)
    return invitation


def _own_problem(invitation: ForumInvitation, number: str) -> ForumProblem:
    return db.one_or_404(_numbered(number).where(ForumProblem.invitation_id == invitation.id))


@bp.route("/f/home")
@visitors
def home():
    """The meeting, the answer to the invitation, and the enterprise's problems with their status."""
    invitation = _invitation()
    return render_template("forum/home.html", invitation=invitation, meeting=invitation.meeting,
                           rsvp_form=RsvpForm(formdata=None), today=local_today(),
                           open_for_problems=invitation.meeting.status in (MeetingStatus.preparing,
                                                                           MeetingStatus.invited))


@bp.route("/f/home/rsvp", methods=["POST"])
@visitors
def rsvp():
    """Attend or not."""
    invitation = _invitation()
    return perform(RsvpForm(), lambda form: invitations.answer(invitation, form.attending.data == "yes"),
                   done=_("Thank you, your answer is recorded."), back=url_for(".home"), refused=REFUSED)


@bp.route("/f/problems/new", methods=["GET", "POST"])
@visitors
def new_problem():
    """Submit a problem before the meeting."""
    invitation = _invitation()
    form = ProblemForm()
    error = None
    if form.validate_on_submit():
        try:
            problems.raise_problem(invitation, category=form.category.data, description=form.description.data,
                                   request=form.request.data or "", identity_shared=form.identity_shared.data,
                                   named_in_ledger=form.named_in_ledger.data)
        except CaseError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Your problem is submitted. You can follow it here."), "success")
            return redirect(url_for(".home"))
    return render_template("forum/new_problem.html", form=form, error=error, meeting=invitation.meeting)


@bp.route("/f/problems/<number>")
@visitors
def track(number: str):
    """One problem: status, departments, deadline, public progress, the answer; rate it, or reopen it."""
    invitation = _invitation()
    item = _own_problem(invitation, number)
    return render_template("forum/track.html", problem=item, rate_form=RateForm(formdata=None),
                           reopen_form=ReopenForm(formdata=None), may_reopen=casework.may_reopen_by_raiser(item))


@bp.route("/f/problems/<number>/rate", methods=["POST"])
@visitors
def rate(number: str):
    """The enterprise's verdict on the answer: closes the problem."""
    item = _own_problem(_invitation(), number)
    return perform(RateForm(), lambda form: problems.rate(item, form.satisfaction.data, form.comment.data or ""),
                   done=_("Thank you, your verdict is recorded."), back=url_for(".track", number=number),
                   refused=REFUSED)


@bp.route("/f/problems/<number>/reopen", methods=["POST"])
@visitors
def reopen(number: str):
    """Not solved: back to the same departments."""
    item = _own_problem(_invitation(), number)
    return perform(ReopenForm(), lambda form: problems.reopen(item, form.reason.data),
                   done=_("The problem is reopened and goes back to the departments."),
                   back=url_for(".track", number=number), refused=REFUSED)
