"""Assessment dashboards: rankings, scoring/publishing/corrections, schemes, exports, liaisons' own page."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.assessment import export, scoring
from app.assessment.forms import POLICY_PREFIX, CorrectForm, ScoreForm, scheme_form
from app.assessment.models import Assessment, AssessmentFrozen, AssessmentScheme, AssessmentStatus
from app.audit import service as audit
from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.feedback import flash_errors
from app.platform.forms import EmptyForm
from app.platform.roles import Role
from app.pool.service import categories
from app.rounds import service as round_service
from app.rounds.models import Campaign, CampaignStatus

bp = Blueprint("assessment", __name__)

SCORABLE = (CampaignStatus.closed, CampaignStatus.scored, CampaignStatus.published)


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _scheme_choices(form) -> None:
    form.scheme_id.choices = [(s.id, s.label) for s in db.session.scalars(scoring.schemes())]


def _fail(exc: Exception) -> None:
    db.session.rollback()
    flash(str(exc), "error")


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
    campaign = _campaign_or_404(campaign_id)
    assessment = scoring.current_assessment(campaign)
    score_form, correct_form = ScoreForm(), CorrectForm()
    _scheme_choices(score_form)
    _scheme_choices(correct_form)
    default = scoring.default_scheme()
    if default is not None:
        score_form.scheme_id.data = correct_form.scheme_id.data = (assessment.scheme_id if assessment else default.id)
    return render_template(
        "assessment/round.html", campaign=campaign, assessment=assessment,
        rows=scoring.ranking_rows(assessment) if assessment else [], dimensions=scoring.dimension_keys(campaign),
        progress=round_service.progress(campaign), distribution=scoring.answer_distribution(campaign),
        history=scoring.assessment_history(campaign), comments_released=scoring.comments_released(campaign),
        score_form=score_form, correct_form=correct_form, button=EmptyForm())


@bp.route("/<int:campaign_id>/charts.json")
@roles_required(Role.hr)
def chart_data(campaign_id: int):
    """The round's chart data (same role as the page): scores with intervals, distributions, trend."""
    return jsonify(scoring.chart_data(_campaign_or_404(campaign_id)))


@bp.route("/<int:campaign_id>/score", methods=["POST"])
@roles_required(Role.hr)
def score(campaign_id: int):
    """Score a closed round, or re-score a scored one, with the chosen scheme version."""
    campaign = _campaign_or_404(campaign_id)
    form = ScoreForm()
    _scheme_choices(form)
    if not form.validate_on_submit():
        flash(_("Choose an assessment scheme."), "error")
        return redirect(url_for(".round_view", campaign_id=campaign.id))
    try:
        scoring.score(campaign, db.session.get(AssessmentScheme, form.scheme_id.data), current_user)
    except (scoring.ScoringError, round_service.RoundError, AssessmentFrozen) as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("The round is scored. Check the results, then publish them."), "success")
    return redirect(url_for(".round_view", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/publish", methods=["POST"])
@roles_required(Role.hr)
def publish(campaign_id: int):
    """Publish the scored results: they are frozen from now on."""
    campaign = _campaign_or_404(campaign_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        scoring.publish(campaign, current_user)
    except (scoring.ScoringError, round_service.RoundError, AssessmentFrozen) as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("The results are published and frozen."), "success")
    return redirect(url_for(".round_view", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/correct", methods=["POST"])
@roles_required(Role.hr)
def correct(campaign_id: int):
    """A correction after publishing: a new version; the published one is kept as superseded."""
    campaign = _campaign_or_404(campaign_id)
    form = CorrectForm()
    _scheme_choices(form)
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".round_view", campaign_id=campaign.id))
    try:
        scoring.correct(campaign, db.session.get(AssessmentScheme, form.scheme_id.data), current_user,
                        form.reason.data)
    except (scoring.ScoringError, AssessmentFrozen) as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("The correction is published as a new version."), "success")
    return redirect(url_for(".round_view", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/release-comments", methods=["POST"])
@roles_required(Role.admin)
def release_comments(campaign_id: int):
    """Let the liaisons read the respondents' comments about their department for this round."""
    campaign = _campaign_or_404(campaign_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        scoring.release_comments(campaign, current_user)
    except scoring.ScoringError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("The comments are released to the departments' liaisons."), "success")
    return redirect(url_for(".round_view", campaign_id=campaign.id))


def _assessment_or_404(campaign: Campaign) -> Assessment:
    assessment = scoring.current_assessment(campaign)
    if assessment is None:
        abort(404)
    return assessment


def _record_export(assessment: Assessment, fmt: str) -> None:
    """Who took which results out, and whether they were published yet (exports exist before publication)."""
    audit.record("assessment.export", f"campaign:{assessment.campaign_id}",
                 {"version": assessment.version, "status": assessment.status.value, "format": fmt})
    db.session.commit()


@bp.route("/<int:campaign_id>/export.xlsx")
@roles_required(Role.hr)
def export_xlsx(campaign_id: int):
    """The HR workbook of the round's current assessment."""
    assessment = _assessment_or_404(_campaign_or_404(campaign_id))
    body = export.xlsx_bytes(assessment)
    _record_export(assessment, "xlsx")
    return Response(body,
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={export.filename(assessment, 'xlsx')}"})


@bp.route("/<int:campaign_id>/export.csv")
@roles_required(Role.hr)
def export_csv(campaign_id: int):
    """The ranking as CSV (UTF-8 with BOM)."""
    assessment = _assessment_or_404(_campaign_or_404(campaign_id))
    body = export.csv_bytes(assessment)
    _record_export(assessment, "csv")
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={export.filename(assessment, 'csv')}"})


@bp.route("/<int:campaign_id>/departments/<int:department_id>")
@roles_required(Role.hr, Role.liaison)
def department(campaign_id: int, department_id: int):
    """One department's results; a liaison sees only their own, published, and nothing under k raters."""
    campaign = _campaign_or_404(campaign_id)
    liaison = current_user.role == Role.liaison
    if liaison and (department_id != current_user.department_id or campaign.status != CampaignStatus.published):
        abort(404)  # not 403: another department's page does not exist for a liaison
    dept = db.get_or_404(Department, department_id)
    assessment = _assessment_or_404(campaign)
    if liaison and assessment.status != AssessmentStatus.published:
        abort(404)
    row = next((r for r in scoring.ranking_rows(assessment) if r.department_id == dept.id), None)
    if row is None:
        abort(404)
    k = scoring.K_ANONYMITY
    enough = row.n >= k
    show_comments = enough and (not liaison or scoring.comments_released(campaign))
    # Hiding one small group is not enough: the total and the other groups give it back by subtraction.
    # A liaison sees a breakdown only when no part of it has fewer than k raters.
    dimensions = scoring.dimension_keys(campaign)
    hide_categories = liaison and any(0 < m["n"] < k for m in row.categories.values())
    hide_dimensions = liaison and any(0 < row.dimensions[d]["n"] < k for d in dimensions if d in row.dimensions)
    return render_template(
        "assessment/department.html", campaign=campaign, assessment=assessment, department=dept, row=row,
        liaison=liaison, enough=enough, k=k, dimensions=dimensions, hide_categories=hide_categories,
        hide_dimensions=hide_dimensions,
        distribution=scoring.answer_distribution(campaign, dept.id) if enough and not hide_dimensions else {},
        comments=scoring.department_comments(campaign, dept.id) if show_comments else None,
        comments_released=scoring.comments_released(campaign),
        trend=scoring.trend(dept.id))


@bp.route("/schemes")
@roles_required(Role.hr)
def schemes():
    """Every scheme version, and a form for the next version."""
    latest = scoring.default_scheme()
    form = scheme_form([(c.key, c.label_en or c.label_zh) for c in categories()], base=latest)
    return render_template("assessment/schemes.html", schemes=db.session.scalars(scoring.schemes()).all(), form=form,
                           policy_fields=[f for f in form if f.name.startswith(POLICY_PREFIX)])


@bp.route("/schemes/new", methods=["POST"])
@roles_required(Role.hr)
def new_scheme():
    """Record a new scheme version (schemes are never edited)."""
    form = scheme_form([(c.key, c.label_en or c.label_zh) for c in categories()])
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for(".schemes"))
    policy = {f.name.removeprefix(POLICY_PREFIX): f.data or 0 for f in form if f.name.startswith(POLICY_PREFIX)}
    bands = [["优秀", form.excellent.data], ["良好", form.good.data], ["一般", form.fair.data], ["较差", None]]
    try:
        scheme = scoring.new_scheme_version(
            form.name.data, current_user, policy_weights=policy,
            channel_weights={"survey": form.survey.data, "realtime": form.realtime.data or 0,
                             "complaints": form.complaints.data or 0},
            grade_bands=bands, min_raters=form.min_raters.data, rank_draws=form.rank_draws.data,
            rank_seed=form.rank_seed.data or 0, comment_release=form.comment_release.data, note=form.note.data or "")
    except scoring.ScoringError as exc:
        _fail(exc)
    else:
        db.session.commit()
        flash(_("Scheme %(label)s recorded.", label=scheme.label), "success")
    return redirect(url_for(".schemes"))
