"""The window staff's pages, ``/admin/window/…`` (window staff and the policy officer; admin passes): the work queue,
opening an application at the window, the application's page (materials, 一次性告知, hand-in, declared figures,
acceptance and referral, withdrawal), its files, and consultations.

Every page goes through ``scope``: a county window's staff see and change their own window's applications and
consultations only (another window's is a 404, as if it did not exist); the policy officer sees every window.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from app.policy_window import kind, labels  # noqa: F401  (registers the kind with the engine, the step names)
from app.casework import attachments, kinds, service as casework
from app.casework.errors import CaseError
from app.casework.models import CaseAssignment, CaseKind
from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform, unconfirmed
from app.platform.calendar import local_today
from app.platform.feedback import flash_errors
from app.platform.forms import EmptyForm
from app.platform.roles import Role
from app.policy import explain, notices
from app.policy.labels import mode_label
from app.policy.models import DeliveryMode, PolicyItem, PolicyWindow
from app.policy_window import consultations as consulting, intake, scope
from app.policy_window.forms import (
    DECLARABLE,
    AcceptForm,
    AnswerForm,
    ConsultationForm,
    DeclareForm,
    HandInForm,
    MaterialsForm,
    StartForm,
    SubjectForm,
    SupplementForm,
    WithdrawForm,
)
from app.policy_window.models import OPEN_STAGES, Consultation, PolicyCase, Stage
from app.profiles.models import EnterpriseProfile
from app.profiles.service import profile_query
from eligibility.benefits import RATE

bp = Blueprint("policy_window", __name__)
STAFF = (Role.window, Role.policy)
QUEUE_LIMIT, SEARCH_LIMIT, PER_PAGE = 200, 20, 50


@bp.app_template_global()
def window_labels():
    """The window's label functions, for the templates."""
    return {"stage": labels.stage_label, "origin": labels.origin_label, "channel": labels.channel_label,
            "decision": labels.decision_label, "mode": mode_label}


# --------------------------------------------------------------------------- windows and scope

def _windows() -> list[PolicyWindow]:
    return list(db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order, PolicyWindow.name)))


def _chosen_window() -> PolicyWindow | None:
    """The window the page is about: the staff's own; for the policy officer the one chosen (None: every one)."""
    if not scope.sees_every_window(current_user):
        return scope.window_of(current_user)
    window_id = request.args.get("window", type=int)
    return db.session.get(PolicyWindow, window_id) if window_id else None


def _window_for_intake(window_id: int | None) -> PolicyWindow:
    """Where new intake belongs: the staff's own window; the officer names one."""
    if not scope.sees_every_window(current_user):
        own = scope.window_of(current_user)
        if own is None:
            raise CaseError(_("Your account is not posted at a window yet: ask the administrator."))
        return own
    window = db.session.get(PolicyWindow, window_id or 0)
    if window is None:
        raise CaseError(_("Choose the window."))
    return window


def _window_choices() -> list[SelectChoice]:
    return [SelectChoice(w.id, w.name) for w in _windows()]


def _scoped_cases():
    query = scope.cases(current_user)
    window = _chosen_window()
    if window is not None and scope.sees_every_window(current_user):
        query = query.where(PolicyCase.window_id == window.id)
    return query


def _scoped_consultations():
    query = scope.consultations(current_user)
    window = _chosen_window()
    if window is not None and scope.sees_every_window(current_user):
        query = query.where(Consultation.window_id == window.id)
    return query


# --------------------------------------------------------------------------- the work queue

@bp.route("/")
@roles_required(*STAFF)
def index():
    """The window's queue: applications by stage with counts, overdue first; consultations waiting for an answer."""
    window = _chosen_window()
    posted = scope.sees_every_window(current_user) or window is not None
    cases = _scoped_cases()
    ids = cases.with_only_columns(PolicyCase.id)
    counts = dict(db.session.execute(
        select(PolicyCase.stage, func.count()).where(PolicyCase.id.in_(ids)).group_by(PolicyCase.stage)).all())
    overdue = list(db.session.scalars(casework.overdue_query(CaseKind.policy)
                                      .where(CaseAssignment.case_id.in_(ids))))
    overdue_ids = {a.case_id for a in overdue}
    stage = request.args.get("stage", "")
    listed = cases.where(PolicyCase.stage == Stage(stage)) if stage in {s.value for s in Stage} else \
        cases.where(PolicyCase.stage.in_(OPEN_STAGES))
    shown = list(db.session.scalars(listed.order_by(PolicyCase.submitted_at.desc()).limit(QUEUE_LIMIT)))
    shown.sort(key=lambda c: c.id not in overdue_ids)  # stable: overdue first, then the latest
    waiting = list(db.session.scalars(consulting.listing(_scoped_consultations(), unanswered_only=True).limit(20)))
    return render_template("policy_window/staff/index.html", window=window, posted=posted,
                           every=scope.sees_every_window(current_user), windows=_windows(), counts=counts,
                           stages=list(Stage), stage=stage, cases=shown, overdue_ids=overdue_ids,
                           overdue_count=len(overdue_ids), waiting=waiting, today=local_today())


# --------------------------------------------------------------------------- opening an application at the window

def _items() -> list[PolicyItem]:
    return [item for item in consulting.published_items() if item.current is not None]


def _item_choices(blank: bool = False) -> list[SelectChoice]:
    choices = [SelectChoice(0, "—")] if blank else []
    for item in _items():
        mode = mode_label(item.current.mode)
        choices.append(SelectChoice(item.id, f"{item.code} {item.current.name}（{mode}）"))
    return choices


def _found_profiles(search: str) -> list[EnterpriseProfile]:
    search = (search or "").strip()
    if not search:
        return []
    return list(db.session.scalars(profile_query(search).limit(SEARCH_LIMIT)))


def _start_form(search: str, submitted: bool = False) -> StartForm:
    form = StartForm() if submitted else StartForm(formdata=None)
    profile_ids = request.form.get("profile_id", type=int) if submitted else None
    found = _found_profiles(search)
    if profile_ids and all(p.id != profile_ids for p in found):
        chosen = db.session.get(EnterpriseProfile, profile_ids)
        found = found + ([chosen] if chosen else [])
    form.profile_id.choices = [SelectChoice(p.id, f"{p.name}（{p.uscc}）") for p in found]
    form.item_id.choices = _item_choices()
    form.window_id.choices = _window_choices()
    return form


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new():
    """开始受理: find the enterprise (USCC or name), choose the published item, open the application."""
    search = (request.values.get("q") or "").strip()
    submitted = request.method == "POST"
    form = _start_form(search, submitted)
    if submitted:
        if form.validate_on_submit():
            try:
                window = _window_for_intake(form.window_id.data)
                profile = db.get_or_404(EnterpriseProfile, form.profile_id.data)
                item = db.get_or_404(PolicyItem, form.item_id.data)
                if item.current is None:
                    raise CaseError(_("Applications are taken only for the current version of a published item."))
                case = intake.start_at_window(item.current, profile, window, current_user)
            except CaseError as error:
                db.session.rollback()
                flash(str(error), "error")
            else:
                db.session.commit()
                flash(_("Application %(number)s is opened.", number=case.tracking_number), "success")
                return redirect(url_for(".case", number=case.tracking_number))
        else:
            db.session.rollback()
            flash_errors(form)
    return render_template("policy_window/staff/new.html", form=form, search=search,
                           searched=bool(search), every=scope.sees_every_window(current_user),
                           own_window=scope.window_of(current_user))


# --------------------------------------------------------------------------- one application

def _case(number: str) -> PolicyCase:
    return scope.case_by_number_or_404(current_user, number)


def _back(case: PolicyCase) -> str:
    return url_for(".case", number=case.tracking_number)


def _names(case: PolicyCase, missing_only: bool = False) -> list[SelectChoice]:
    return [SelectChoice(m["name"], m["name"]) for m in case.materials or ()
            if not missing_only or not m.get("received")]


def _forms(case: PolicyCase) -> dict:
    materials = MaterialsForm(formdata=None)
    materials.received.choices = _names(case, missing_only=True)
    supplement = SupplementForm(formdata=None, missing=intake.missing(case))
    supplement.missing.choices = _names(case, missing_only=True)
    hand_in = HandInForm(formdata=None)
    hand_in.handed_in.choices = _names(case, missing_only=True)
    declare = DeclareForm(formdata=None, **{k: f"{v:g}" for k, v in (case.declared or {}).items()
                                            if k in DECLARABLE})
    accept = AcceptForm(formdata=None)
    accept.co_ids.choices = _co_choices(case)
    return {"materials_form": materials, "supplement_form": supplement, "hand_in_form": hand_in,
            "declare_form": declare, "accept_form": accept, "withdraw_form": WithdrawForm(formdata=None)}


def _co_choices(case: PolicyCase) -> list[SelectChoice]:
    return [SelectChoice(d.id, d.name) for d in db.session.scalars(Department.ordered())
            if d.active and d.id != case.version.department_id]


def _what_it_gets(case: PolicyCase) -> list[str]:
    version = case.version
    found = None
    what = notices.benefit(version)
    if what.kind == RATE:
        figures = {**case.profile.record(), **(case.declared or {})}
        amount = what.estimate(figures)
        if amount is not None:
            found = notices.Estimate(amount, what.base, figures[what.base])
    return notices.benefit_lines(version, found)


@bp.route("/cases/<number>")
@roles_required(*STAFF)
def case(number: str):
    """One application: the enterprise, the item, what it gets, the eligibility with its trace, the declared
    figures, the materials, files, 补正 requests, visits, the assignment, the history, and this stage's steps."""
    item = _case(number)
    identity = kinds.of(item).identity(item)
    return render_template(
        "policy_window/staff/case.html", case=item, identity=identity,
        trace=explain.lines(item.version, item.trace or []),
        result=explain.result_label(item.eligibility) if item.eligibility else "",
        benefit=_what_it_gets(item), missing=intake.missing(item), today=local_today(),
        field_label=explain.field_label, instant=item.version.mode == DeliveryMode.instant,
        at_window=item.stage in intake.AT_THE_WINDOW, withdrawable=item.stage in intake.WITHDRAWABLE,
        **_forms(item))


@bp.route("/cases/<number>/materials", methods=["POST"])
@roles_required(*STAFF)
def materials(number: str):
    """Materials received at the window, and their scans."""
    item = _case(number)
    form = MaterialsForm()
    form.received.choices = _names(item)
    return perform(form, lambda form: intake.receive(item, form.received.data or [],
                                                     attachments.files_of(form.scans), current_user),
                   done=_("The materials are recorded."), back=_back(item), refused=CaseError)


@bp.route("/cases/<number>/supplement", methods=["POST"])
@roles_required(*STAFF)
def supplement(number: str):
    """一次性告知: ask for every missing material at once; the enterprise gets an SMS."""
    item = _case(number)
    form = SupplementForm()
    form.missing.choices = _names(item)
    return perform(form, lambda form: intake.request_supplement(item, form.missing.data or [], form.note.data or "",
                                                                current_user),
                   done=_("The missing materials are requested, all at once."), back=_back(item), refused=CaseError)


@bp.route("/cases/<number>/hand-in", methods=["POST"])
@roles_required(*STAFF)
def hand_in(number: str):
    """Missing materials handed in."""
    item = _case(number)
    form = HandInForm()
    form.handed_in.choices = _names(item)
    return perform(form, lambda form: intake.hand_in(item, form.handed_in.data or [], attachments.files_of(form.scans),
                                                     bool(form.in_person.data), current_user),
                   done=_("The materials handed in are recorded."), back=_back(item), refused=CaseError)


@bp.route("/cases/<number>/declare", methods=["POST"])
@roles_required(*STAFF)
def declare(number: str):
    """The declared figures; the eligibility is re-run on them."""
    item = _case(number)
    form = DeclareForm()
    return perform(form, lambda form: intake.declare(item, {k: (getattr(form, k).data or "").strip()
                                                            for k in DECLARABLE}, current_user),
                   done=_("The declared figures are recorded and the eligibility checked again."), back=_back(item),
                   refused=CaseError)


@bp.route("/cases/<number>/accept", methods=["POST"])
@roles_required(*STAFF)
def accept(number: str):
    """受理 and 转办 to the item's responsible department (and co-departments), due in the promised days."""
    item = _case(number)
    form = AcceptForm()
    form.co_ids.choices = _co_choices(item)

    def work(form: AcceptForm):
        co = [db.session.get(Department, i) for i in form.co_ids.data or []]
        intake.accept(item, current_user, co_departments=[d for d in co if d is not None],
                      instructions=form.instructions.data or "")

    return perform(form, work, done=_("The application is accepted and referred to the department."),
                   back=_back(item), refused=CaseError)


@bp.route("/cases/<number>/withdraw", methods=["POST"])
@roles_required(*STAFF)
def withdraw(number: str):
    """The application withdrawn at the enterprise's request."""
    item = _case(number)
    return perform(WithdrawForm(), lambda form: intake.withdraw(item, form.reason.data, current_user),
                   done=_("The application is withdrawn."), back=_back(item), refused=CaseError,
                   invalid=unconfirmed(_back(item)))


@bp.route("/attachments/<int:attachment_id>")
@roles_required(Role.window, Role.policy, Role.liaison)
def attachment(attachment_id: int):
    """A file of an application: window staff of its window and the policy officer; a liaison of an assigned
    department the files shared with it (the engine's rule)."""
    found = attachments.of_kind(attachment_id, CaseKind.policy)
    if current_user.has_role(Role.window, Role.policy):
        scope.case_or_404(current_user, found.case_id)
        return attachments.download(current_user, found, current_user.role)
    return attachments.download(current_user, found, Role.window)


# --------------------------------------------------------------------------- consultations

def _consultation(consultation_id: int) -> Consultation:
    return db.one_or_404(scope.consultations(current_user).where(Consultation.id == consultation_id))


def _profile_by_uscc(text: str) -> EnterpriseProfile | None:
    text = (text or "").strip().upper()
    if not text:
        return None
    found = db.session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == text))
    if found is None:
        raise CaseError(_("No enterprise profile has the code %(code)s.", code=text))
    return found


def _consultation_form(submitted: bool = False) -> ConsultationForm:
    form = ConsultationForm() if submitted else ConsultationForm(formdata=None)
    form.item_id.choices = _item_choices(blank=True)
    form.window_id.choices = _window_choices()
    return form


@bp.route("/consultations")
@roles_required(*STAFF)
def consultation_list():
    """Consultations, unanswered first, filtered by channel and answered or not; the form to log one."""
    channel = request.args.get("channel", "")
    unanswered = request.args.get("unanswered") == "1"
    page = db.paginate(consulting.listing(_scoped_consultations(), unanswered_only=unanswered, channel=channel),
                       per_page=PER_PAGE, error_out=False)
    return render_template("policy_window/staff/consultations.html", page=page, channel=channel,
                           unanswered=unanswered, form=_consultation_form(), windows=_windows(),
                           window=_chosen_window(), every=scope.sees_every_window(current_user))


@bp.route("/consultations/new", methods=["POST"])
@roles_required(*STAFF)
def new_consultation():
    """Log a consultation at the staff's window."""
    form = _consultation_form(submitted=True)

    def work(form: ConsultationForm) -> Consultation:
        window = _window_for_intake(form.window_id.data)
        item = db.session.get(PolicyItem, form.item_id.data or 0)
        return consulting.log(window, form.channel.data, form.question.data,
                              profile=_profile_by_uscc(form.uscc.data), enterprise_name=form.enterprise_name.data,
                              item=item, answer=form.answer.data or "", actor=current_user)

    return perform(form, work, done=_("The consultation is logged."), back=url_for(".consultation_list"),
                   then=lambda c: url_for(".consultation", consultation_id=c.id), refused=CaseError)


@bp.route("/consultations/<int:consultation_id>")
@roles_required(*STAFF)
def consultation(consultation_id: int):
    """One consultation: the question, the answer (or the form to answer), and turning it into an application."""
    item = _consultation(consultation_id)
    subject = SubjectForm(formdata=None, uscc=item.profile.uscc if item.profile else "",
                          item_id=item.item_id or 0)
    subject.item_id.choices = _item_choices(blank=True)
    linked = db.session.get(PolicyCase, item.case_id) if item.case_id else None
    return render_template("policy_window/staff/consultation.html", consultation=item, linked=linked,
                           answer_form=AnswerForm(formdata=None, answer=item.answer), subject_form=subject,
                           apply_form=EmptyForm())


def _consultation_back(item: Consultation) -> str:
    return url_for(".consultation", consultation_id=item.id)


@bp.route("/consultations/<int:consultation_id>/answer", methods=["POST"])
@roles_required(*STAFF)
def answer_consultation(consultation_id: int):
    """The answer; an online question's goes to the enterprise by SMS."""
    item = _consultation(consultation_id)

    def done(sent: bool) -> str:
        return _("The answer is saved and sent by SMS.") if sent else _("The answer is saved.")

    return perform(AnswerForm(), lambda form: consulting.answer(item, form.answer.data, current_user),
                   done=done, back=_consultation_back(item), refused=CaseError)


@bp.route("/consultations/<int:consultation_id>/subject", methods=["POST"])
@roles_required(*STAFF)
def consultation_subject(consultation_id: int):
    """Name the enterprise's profile and the item."""
    item = _consultation(consultation_id)
    form = SubjectForm()
    form.item_id.choices = _item_choices(blank=True)
    return perform(form, lambda form: consulting.set_subject(
        item, profile=_profile_by_uscc(form.uscc.data), item=db.session.get(PolicyItem, form.item_id.data or 0),
        actor=current_user), done=_("Saved."), back=_consultation_back(item), refused=CaseError)


@bp.route("/consultations/<int:consultation_id>/apply", methods=["POST"])
@roles_required(*STAFF)
def consultation_apply(consultation_id: int):
    """Turn the consultation into an application at its window, in one step."""
    item = _consultation(consultation_id)
    return perform(EmptyForm(), lambda form: consulting.apply(item, current_user),
                   done=lambda case: _("Application %(number)s is opened.", number=case.tracking_number),
                   back=_consultation_back(item), then=lambda case: url_for(".case", number=case.tracking_number),
                   refused=CaseError)
