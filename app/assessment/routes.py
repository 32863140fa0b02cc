"""Assessment dashboards: rankings, scoring/publishing/corrections, schemes, exports, liaisons' own page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.assessment import answer_export, export, reports, scoring, versions
from app.assessment.forms import (
    CorrectForm,
    ScoreForm,
    channel_fields,
    channel_weights,
    policy_fields,
    policy_weights,
    scheme_form,
)
from app.assessment.models import AssessmentFrozen, AssessmentScheme, AssessmentStatus
from app.assessment.schemes import channel_label, comment_release_label, scheme_title
from app.audit import service as audit
from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform, unconfirmed
from app.platform.exports import download
from app.platform.forms import ConfirmForm, EmptyForm
from app.platform.i18n import select_locale
from app.platform.roles import Role
from app.pool.service import categories
from app.rounds import service as round_service
from app.rounds.models import Campaign, CampaignStatus

bp = Blueprint("assessment", __name__)
# What the pages read for the keys of dimensions, channels and schemes: labels, never the keys.
bp.add_app_template_global(reports.dimension_label, "dimension_label")
bp.add_app_template_global(scheme_title)
bp.add_app_template_global(channel_label)
bp.add_app_template_global(comment_release_label)

SCORABLE = (CampaignStatus.closed, CampaignStatus.scored, CampaignStatus.published)
# What a scoring step may refuse with; the page says why.
REFUSED = (scoring.ScoringError, round_service.RoundError, AssessmentFrozen)


def _scheme_choices(form) -> None:
    form.scheme_id.choices = [(s.id, scheme_title(s)) for s in db.session.scalars(scoring.schemes())]


def _bad_request(_form) -> None:
    abort(400)


def _round_page(campaign_id: int) -> str:
    return url_for(".round_view", campaign_id=campaign_id)


@bp.route("/")
@roles_required(Role.hr, Role.liaison)
def index():
    """Rounds that can be scored or were; a liaison sees the published rounds of their own department."""
    query = select(Campaign).where(Campaign.status.in_(SCORABLE)).order_by(Campaign.month.desc(), Campaign.id.desc())
    if current_user.role == Role.liaison:
        query = query.where(Campaign.status == CampaignStatus.published)
    rounds_ = db.session.scalars(query).all()
    current = {c.id: scoring.current_assessment(c) for c in rounds_}
    return render_template("assessment/index.html", rounds=rounds_, current=current,
                           liaison=current_user.role == Role.liaison)


@bp.route("/<int:campaign_id>")
@roles_required(Role.hr)
def round_view(campaign_id: int):
    """A round's dashboard: ranking, dimensions, response rates, distributions, trend and the actions."""
    campaign = db.get_or_404(Campaign, campaign_id)
    assessment = scoring.current_assessment(campaign)
    score_form, correct_form = ScoreForm(), CorrectForm()
    _scheme_choices(score_form)
    _scheme_choices(correct_form)
    default = scoring.default_scheme()
    if default is not None:
        score_form.scheme_id.data = correct_form.scheme_id.data = (assessment.scheme_id if assessment else default.id)
    return render_template(
        "assessment/round.html", campaign=campaign, assessment=assessment,
        rows=scoring.ranking_rows(assessment) if assessment else [],
        dimensions=scoring.assessment_dimensions(assessment) if assessment else scoring.dimension_keys(campaign),
        progress=round_service.progress(campaign), distribution=scoring.answer_distribution(campaign),
        history=scoring.assessment_history(campaign), comments_released=scoring.comments_released(campaign),
        score_form=score_form, correct_form=correct_form, button=EmptyForm(), confirm=ConfirmForm(),
        responded=sum(p["submitted"] for p in round_service.progress(campaign)), trend=scoring.trend())


@bp.route("/<int:campaign_id>/charts.json")
@roles_required(Role.hr)
def chart_data(campaign_id: int):
    """The round's chart data (same role as the page): scores with intervals, distributions, trend."""
    return jsonify(scoring.chart_data(db.get_or_404(Campaign, campaign_id)))


def _scheme_action(campaign_id: int, form, work, *, done: str, refused, invalid=None):
    """A round's action with a chosen scheme version: ``work(campaign, scheme, form)``, then back to the round."""
    campaign = db.get_or_404(Campaign, campaign_id)
    _scheme_choices(form)
    return perform(form, lambda f: work(campaign, db.session.get(AssessmentScheme, f.scheme_id.data), f), done=done,
                   back=_round_page(campaign.id), refused=refused, invalid=invalid)


def _button_action(campaign_id: int, work, *, done: str, refused):
    """A round's one-button action, ``work(campaign, user)``: its form is the CSRF token alone (a bad one is a 400)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    return perform(EmptyForm(), lambda _f: work(campaign, current_user), done=done, back=_round_page(campaign.id),
                   refused=refused, invalid=_bad_request)


@bp.route("/<int:campaign_id>/score", methods=["POST"])
@roles_required(Role.hr)
def score(campaign_id: int):
    """Score a closed round, or re-score a scored one, with the chosen scheme version."""

    def no_scheme(form):
        if "scheme_id" not in form.errors:
            return unconfirmed(_round_page(campaign_id))(form)
        flash(_("Choose an assessment scheme."), "error")
        return redirect(_round_page(campaign_id))

    return _scheme_action(campaign_id, ScoreForm(), lambda campaign, scheme, _f: scoring.score(
        campaign, scheme, current_user), done=_("The round is scored. Check the results, then publish them."),
        refused=REFUSED, invalid=no_scheme)


@bp.route("/<int:campaign_id>/publish", methods=["POST"])
@roles_required(Role.hr)
def publish(campaign_id: int):
    """Publish the scored results: they are frozen from now on."""
    campaign = db.get_or_404(Campaign, campaign_id)
    back = _round_page(campaign.id)
    return perform(ConfirmForm(), lambda _f: scoring.publish(campaign, current_user),
                   done=_("The results are published and frozen."), back=back, refused=REFUSED,
                   invalid=unconfirmed(back))


@bp.route("/<int:campaign_id>/correct", methods=["POST"])
@roles_required(Role.hr)
def correct(campaign_id: int):
    """A correction after publishing: a new version; the published one is kept as superseded."""
    return _scheme_action(campaign_id, CorrectForm(), lambda campaign, scheme, f: scoring.correct(
        campaign, scheme, current_user, f.reason.data), done=_("The correction is published as a new version."),
        refused=(scoring.ScoringError, AssessmentFrozen))


@bp.route("/<int:campaign_id>/release-comments", methods=["POST"])
@roles_required(Role.admin)
def release_comments(campaign_id: int):
    """Let the liaisons read the respondents' comments about their department for this round."""
    return _button_action(campaign_id, scoring.release_comments,
                          done=_("The comments are released to the departments' liaisons."),
                          refused=scoring.ScoringError)


def _download(campaign_id: int, fmt: str):
    """The round's current assessment as a file, recorded: who took which results out, and whether they were
    published yet (exports exist before publication)."""
    assessment = db.one_or_404(versions.current_query(campaign_id))
    body = export.as_bytes(assessment, fmt)
    audit.record("assessment.export", f"campaign:{assessment.campaign_id}",
                 {"version": assessment.version, "status": assessment.status.value, "format": fmt})
    db.session.commit()
    return download(body, export.filename(assessment, fmt))


@bp.route("/<int:campaign_id>/export.xlsx")
@roles_required(Role.hr)
def export_xlsx(campaign_id: int):
    """The HR workbook of the round's current assessment."""
    return _download(campaign_id, "xlsx")


@bp.route("/<int:campaign_id>/export.csv")
@roles_required(Role.hr)
def export_csv(campaign_id: int):
    """The ranking as CSV (UTF-8 with BOM)."""
    return _download(campaign_id, "csv")


@bp.route("/<int:campaign_id>/answers.xlsx")
@roles_required(Role.hr, Role.auditor)
def answers_xlsx(campaign_id: int):
    """The anonymous answers of a closed round, one column per answer (recorded: who took them out)."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if campaign.status not in SCORABLE or campaign.questionnaire_version is None:
        abort(404)
    body = answer_export.xlsx_bytes(campaign)
    audit.record("assessment.answers_export", f"campaign:{campaign.id}", {"format": "xlsx"})
    db.session.commit()
    return download(body, answer_export.filename(campaign))


@bp.route("/<int:campaign_id>/departments/<int:department_id>")
@roles_required(Role.hr, Role.liaison)
def department(campaign_id: int, department_id: int):
    """One department's results; a liaison sees only their own, published, and nothing under k raters."""
    campaign = db.get_or_404(Campaign, campaign_id)
    liaison = current_user.role == Role.liaison
    if liaison and (department_id != current_user.department_id or campaign.status != CampaignStatus.published):
        abort(404)  # not 403: another department's page does not exist for a liaison
    dept = db.get_or_404(Department, department_id)
    assessment = db.one_or_404(versions.current_query(campaign.id))
    if liaison and assessment.status != AssessmentStatus.published:
        abort(404)
    report = reports.department_report(campaign, assessment, dept.id, liaison=liaison)
    if report is None:
        abort(404)
    return render_template("assessment/department.html", campaign=campaign, assessment=assessment, department=dept,
                           liaison=liaison, **report._asdict())


@bp.route("/schemes")
@roles_required(Role.hr)
def schemes():
    """Every scheme version, and a form for the next version."""
    latest = scoring.default_scheme()
    form = scheme_form([(c.key, c.label(select_locale())) for c in categories()], base=latest)
    return render_template("assessment/schemes.html", schemes=db.session.scalars(scoring.schemes()).all(), form=form,
                           channel_fields=channel_fields(form), policy_fields=policy_fields(form))


@bp.route("/schemes/new", methods=["POST"])
@roles_required(Role.hr)
def new_scheme():
    """Record a new scheme version (schemes are never edited)."""
    form = scheme_form([(c.key, c.label(select_locale())) for c in categories()])

    def record(f):
        bands = [["优秀", f.excellent.data], ["良好", f.good.data], ["一般", f.fair.data], ["较差", None]]
        return scoring.new_scheme_version(
            f.name.data, current_user, policy_weights=policy_weights(f), channel_weights=channel_weights(f),
            grade_bands=bands, min_raters=f.min_raters.data, rank_draws=f.rank_draws.data,
            rank_seed=f.rank_seed.data or 0, comment_release=f.comment_release.data, note=f.note.data or "")

    return perform(form, record, done=lambda scheme: _("Scheme %(label)s recorded.", label=scheme_title(scheme)),
                   back=url_for(".schemes"), refused=scoring.ScoringError)
