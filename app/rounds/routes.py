"""Monthly rounds: the list, a new round, and the round's verifiable draw."""
from __future__ import annotations

import io
import zipfile

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import bad_request, perform, unconfirmed
from app.platform.exports import download
from app.platform.feedback import labelled_errors
from app.platform.forms import ConfirmForm, EmptyForm
from app.platform.jobs import enqueue
from app.platform.roles import Role
from app.questionnaires import service as questionnaires
from app.questionnaires.models import QuestionnaireVersion
from app.rounds import campaigns, draws, sending, service as rounds
from app.rounds.forms import CampaignForm, ExtendForm, PlanForm, RoundSetupForm, SeedForm, VoidForm, plan_label
from app.rounds.models import Campaign, CampaignStatus, DrawStatus, LinkMode, Stratification
from app.sms import render as render_sms
from app.sms.models import SmsOutbox

bp = Blueprint("rounds", __name__)
bp.add_app_template_global(plan_label)


@bp.route("/")
@roles_required(Role.operator, Role.auditor)
def index():
    """All rounds, newest first, and (for operators) a form for a new one."""
    return render_template("rounds/index.html", campaigns=db.session.scalars(campaigns.recent()).all(),
                           form=CampaignForm())


@bp.route("/new", methods=["POST"])
@roles_required(Role.operator)
def create():
    """Create a round in draft."""
    return perform(CampaignForm(), lambda form: campaigns.create(form.month.data, form.title.data, current_user),
                   done=None, back=url_for(".index"), refused=campaigns.CampaignError,
                   then=lambda campaign: url_for(".overview", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/draw")
@roles_required(Role.operator, Role.auditor)
def draw(campaign_id: int):
    """The draw page: the plan, the allocation table, the three steps, and the evidence."""
    campaign = db.get_or_404(Campaign, campaign_id)
    current = campaign.current_draw
    if current is None:
        rows, problem = draws.allocation_preview(campaign)
    else:
        rows, problem = draws.allocation_rows(current), None
    verification = draws.verify(current) if current is not None and current.status == DrawStatus.drawn else None
    plan_form = PlanForm(obj=campaign, stratify_by=campaign.stratify_by.value)
    return render_template("rounds/draw.html", campaign=campaign, current=current, rows=rows, problem=problem,
                           plan_form=plan_form, seed_form=SeedForm(), void_form=VoidForm(), verification=verification,
                           voided=[d for d in campaign.draws if d.status == DrawStatus.voided])


@bp.route("/<int:campaign_id>/draw/allocation.json")
@roles_required(Role.operator)
def allocation_preview(campaign_id: int):
    """The allocation a plan would give now, for the page's live table (changes nothing)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = PlanForm(request.args, meta={"csrf": False})
    if not form.validate():
        return jsonify(error=" ".join(labelled_errors(form))), 400
    with db.session.no_autoflush:
        form.populate_obj(campaign)
        campaign.stratify_by = Stratification(form.stratify_by.data)
        rows, problem = draws.allocation_preview(campaign)
    db.session.rollback()  # a preview: the plan itself is saved only by the form's POST
    return jsonify(problem=problem, rows=[
        {"stratum": r.stratum, "eligible": r.eligible, "drawn": r.drawn, "probability": round(r.probability, 4)}
        for r in rows])


def _step(campaign_id: int, form: FlaskForm, action, *, invalid=None) -> Response:
    """Run one step of the draw (``action(campaign, form)`` gives the message to show), then show the page again."""
    campaign = db.get_or_404(Campaign, campaign_id)
    back = url_for(".draw", campaign_id=campaign_id)
    try:
        return perform(form, lambda form: action(campaign, form), done=lambda message: message, back=back,
                       refused=draws.DrawError, invalid=invalid)
    except IntegrityError:  # the same step clicked twice at once: the database kept the first
        db.session.rollback()
        flash(_("This step was just done by another request; the page shows the result."), "info")
        return redirect(back)


@bp.route("/<int:campaign_id>/draw/plan", methods=["POST"])
@roles_required(Role.operator)
def save_plan(campaign_id: int):
    """Save the sample plan (only before the frame is frozen)."""

    def save(campaign: Campaign, form: PlanForm) -> str:
        draws.update_plan(campaign, sample_size=form.sample_size.data, allocation_method=form.allocation_method.data,
                          minimum_per_stratum=form.minimum_per_stratum.data or 0,
                          stratify_by=Stratification(form.stratify_by.data),
                          exclusion_window=form.exclusion_window.data or 0)
        return _("Sample plan saved.")

    return _step(campaign_id, PlanForm(), save)


@bp.route("/<int:campaign_id>/draw/freeze", methods=["POST"])
@roles_required(Role.operator)
def freeze(campaign_id: int):
    """Step 1: freeze the frame and record its commitment."""

    def run(campaign: Campaign, form: EmptyForm) -> str:
        draw = draws.freeze(campaign, current_user)
        return _("Frame frozen: %(n)d members. Announce the commitment before setting the seed.", n=draw.frame_size)

    return _step(campaign_id, EmptyForm(), run, invalid=bad_request)


@bp.route("/<int:campaign_id>/draw/seed", methods=["POST"])
@roles_required(Role.operator)
def set_seed(campaign_id: int):
    """Step 2: set the seed, typed or generated."""

    def run(campaign: Campaign, form: SeedForm) -> str:
        current = campaign.current_draw
        if current is None:
            raise draws.DrawError(_("Freeze the frame first: the seed must come after the commitment."))
        typed = None if request.form.get("action") == "generate" else (form.seed.data or "")
        draws.set_seed(current, current_user, typed)
        return _("Seed recorded.")

    return _step(campaign_id, SeedForm(), run)


@bp.route("/<int:campaign_id>/draw/run", methods=["POST"])
@roles_required(Role.operator)
def run_draw(campaign_id: int):
    """Step 3: draw and create the invitations."""

    def run(campaign: Campaign, form: EmptyForm) -> str:
        current = campaign.current_draw
        if current is None:
            raise draws.DrawError(_("Freeze the frame first: the seed must come after the commitment."))
        count = draws.draw_sample(current, current_user)
        return _("%(n)d members drawn and invited.", n=count)

    return _step(campaign_id, EmptyForm(), run, invalid=bad_request)


@bp.route("/<int:campaign_id>/draw/void", methods=["POST"])
@roles_required(Role.operator)
def void(campaign_id: int):
    """Void the current draw, with a reason; it stays on record."""

    def run(campaign: Campaign, form: VoidForm) -> str:
        current = campaign.current_draw
        if current is None:
            raise draws.DrawError(_("There is no draw to void."))
        draws.void(current, current_user, form.reason.data)
        return _("The draw is void and kept on record. The round can be drawn again.")

    return _step(campaign_id, VoidForm(), run)


@bp.route("/<int:campaign_id>/draw/evidence.zip")
@roles_required(Role.operator, Role.auditor)
def evidence(campaign_id: int):
    """frame.csv, plan.json, seed.txt, commitment.txt, selected.csv in one zip, for tools/verify_draw.py."""
    campaign = db.get_or_404(Campaign, campaign_id)
    current = campaign.current_draw
    if current is None or current.status != DrawStatus.drawn:
        abort(404)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in draws.evidence_files(current).items():
            archive.writestr(f"draw-{campaign.month}/{name}", content)
    return download(buffer.getvalue(), f"draw-{campaign.month}-{current.id}.zip", "application/zip")


# --- the round after the draw: setup, sending, reminders, extend, close ------------------------

@bp.route("/<int:campaign_id>")
@roles_required(Role.operator, Role.auditor)
def overview(campaign_id: int):
    """The round: its setup, its progress by stratum, and the operator's actions."""
    campaign = db.get_or_404(Campaign, campaign_id)
    setup = _setup_form(campaign)
    preview = None
    if campaign.sms_template_text:
        sample = {"name": "张伟", "month": campaign.month, "deadline": "11月30日", "token": "Ab3dEf6hIj9kLm2nOp5qRs",
                  "code": "7KQ2MX9PRT"}
        preview = render_sms(campaign.sms_template_text, sample)
    progress = rounds.progress(campaign)
    return render_template("rounds/overview.html", campaign=campaign, setup=setup, progress=progress,
                           extend_form=ExtendForm(), confirm=ConfirmForm(), preview=preview,
                           reminder_candidates=len(sending.reminder_candidates(campaign))
                           if campaign.status == CampaignStatus.open else 0,
                           waiting=sending.waiting(campaign), daily_cap=current_app.config["SMS_DAILY_CAP_PER_NUMBER"],
                           unanswered=sum(p["invited"] - p["submitted"] for p in progress))


def _setup_form(campaign: Campaign, formdata=None) -> RoundSetupForm:
    form = RoundSetupForm(formdata=formdata, obj=campaign) if formdata is not None else RoundSetupForm(obj=campaign)
    form.questionnaire_version_id.choices = [
        (v.id, f"{v.questionnaire.name} v{v.number}") for v in db.session.scalars(questionnaires.published_versions())]
    form.department_ids.choices = [(d.id, d.name) for d in db.session.scalars(
        Department.ordered().where(Department.active.is_(True)))]
    if formdata is None:
        form.department_ids.data = [d.id for d in campaign.departments] or [c[0] for c in form.department_ids.choices]
        form.link_mode.data = campaign.link_mode.value
        if campaign.questionnaire_version_id:
            form.questionnaire_version_id.data = campaign.questionnaire_version_id
    return form


@bp.route("/<int:campaign_id>/setup", methods=["POST"])
@roles_required(Role.operator)
def setup(campaign_id: int):
    """Save what the round asks, of which departments, until when, and the SMS text."""
    campaign = db.get_or_404(Campaign, campaign_id)

    def save(form: RoundSetupForm):
        rounds.configure(
            campaign, current_user,
            version=db.get_or_404(QuestionnaireVersion, form.questionnaire_version_id.data),
            departments=[db.session.get(Department, i) for i in form.department_ids.data],
            opens_on=form.opens_on.data, closes_on=form.closes_on.data, link_mode=LinkMode(form.link_mode.data),
            sms_template_code=form.sms_template_code.data or "", sms_template_text=form.sms_template_text.data,
            reminder_template_text=form.reminder_template_text.data or "",
            max_reminders=form.max_reminders.data or 0, reminder_spacing_days=form.reminder_spacing_days.data or 3)

    return perform(_setup_form(campaign, request.form), save, done=_("Round settings saved."),
                   back=url_for(".overview", campaign_id=campaign_id), refused=rounds.RoundError)


def _action(campaign_id: int, action):
    """A button of the overview page that sends messages or cannot be undone, so it is confirmed (``ConfirmForm``);
    ``action(campaign)`` gives the message to show."""
    campaign = db.get_or_404(Campaign, campaign_id)
    back = url_for(".overview", campaign_id=campaign_id)
    return perform(ConfirmForm(), lambda form: action(campaign), done=lambda message: message, back=back,
                   refused=(rounds.RoundError, sending.SendingError), invalid=unconfirmed(back))


def _send_in_background(campaign: Campaign) -> None:
    """Start the job that sends the round's queued messages, once they are committed: the worker reads them from
    the database, so this action commits before its end."""
    db.session.commit()
    enqueue(sending.send_queued, campaign.id)


@bp.route("/<int:campaign_id>/send", methods=["POST"])
@roles_required(Role.operator)
def send(campaign_id: int):
    """Queue the invitations and send them (in the background when a worker runs)."""

    def run(campaign):
        queued = sending.start(campaign, current_user)
        _send_in_background(campaign)
        return _("%(n)d invitations queued for sending.", n=queued)

    return _action(campaign_id, run)


@bp.route("/<int:campaign_id>/resume", methods=["POST"])
@roles_required(Role.operator)
def resume(campaign_id: int):
    """Send again what a crash or the daily cap left behind."""

    def run(campaign):
        requeued = sending.resume(campaign, current_user)
        _send_in_background(campaign)
        return _("Sending resumed (%(n)d messages were in flight).", n=requeued)

    return _action(campaign_id, run)


@bp.route("/<int:campaign_id>/remind", methods=["POST"])
@roles_required(Role.operator)
def remind(campaign_id: int):
    """Remind those who have not answered (never those who submitted or opted out)."""

    def run(campaign):
        counts = sending.send_reminders(campaign, current_user)
        return _("%(n)d reminders sent.", n=counts["accepted"])

    return _action(campaign_id, run)


@bp.route("/<int:campaign_id>/extend", methods=["POST"])
@roles_required(Role.operator)
def extend(campaign_id: int):
    """Move the closing date later."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form, back = ExtendForm(), url_for(".overview", campaign_id=campaign_id)
    return perform(form, lambda form: rounds.extend(campaign, current_user, form.closes_on.data),
                   done=lambda _result: _("The round now closes on %(day)s.", day=form.closes_on.data.isoformat()),
                   back=back, refused=rounds.RoundError,
                   # The date picker sends only dates: a form without one comes back without a word, as it always has.
                   invalid=lambda form: redirect(back))


@bp.route("/<int:campaign_id>/close", methods=["POST"])
@roles_required(Role.operator)
def close(campaign_id: int):
    """Close the round: links and codes stop working."""

    def run(campaign):
        rounds.close(campaign, current_user)
        return _("The round is closed.")

    return _action(campaign_id, run)


@bp.route("/<int:campaign_id>/outbox")
@roles_required(Role.operator)
def outbox(campaign_id: int):
    """What the console SMS backend would have sent (demo and development)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    messages = db.session.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign_id)
                                  .order_by(SmsOutbox.id.desc()).limit(500)).all()
    return render_template("rounds/outbox.html", campaign=campaign, messages=messages)
