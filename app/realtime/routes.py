"""Real-time ratings (实时评价): the public rating page behind each poster, and the staff pages.

Public: ``/r/<slug>`` (rate), ``/r/<slug>/code`` (SMS code), ``/r/<slug>/thanks``.
Staff: ``/admin/realtime/…`` — overview, service points and posters, ratings and
flag review (admins), follow-up of 差评 (departments record what they did).
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectChoice

from app.audit import service as audit
from app.departments.models import Department
from app.extensions import db, limiter
from app.platform.access import roles_required, visitors
from app.platform.actions import perform
from app.platform.calendar import local_today
from app.platform.client_keys import client_key
from app.platform.dates import period_from_query
from app.platform.exports import csv_bytes, download
from app.platform.links import public_url
from app.platform import small_groups
from app.platform.roles import Role
from app.realtime import seen
from app.realtime import service as realtime
from app.realtime.forms import ExcludeForm, FollowUpForm, RatingForm, SendCodeForm, ServicePointForm
from app.realtime.models import FollowUpStatus, FollowUpTask, RealtimeRating, ServicePoint

bp = Blueprint("realtime", __name__)

PER_PAGE = 50
CLIENT_LIMIT = lambda: current_app.config["REALTIME_CLIENT_RATE_LIMIT"]  # noqa: E731
POINT_LIMIT = lambda: current_app.config["REALTIME_POINT_RATE_LIMIT"]  # noqa: E731


def _point_key() -> str:
    return "realtime-point-" + (request.view_args or {}).get("slug", "")


def _client() -> str:
    """The client the real-time limits and burst flags count by: the limiter's own key (an IPv4 address or an
    IPv6 /64), so that a phone cannot dodge them by hopping between the addresses of its IPv6 prefix."""
    return client_key()


def _phone_key() -> str:
    """The number a code is asked for, as a keyed hash: the limiter's storage never holds a phone number."""
    from app.platform.phones import PhoneError, normalise

    typed = (request.form.get("phone") or "").strip()
    try:
        number = normalise(typed)
    except PhoneError:
        number = typed  # refused by the view anyway; still counted, so junk cannot be sent at will
    return "realtime-sms-phone-" + realtime.keyed_hash("sms-code-limit", number)


# --------------------------------------------------------------------------- public

def _public_point(slug: str) -> ServicePoint:
    point = realtime.point_by_slug(slug)
    if point is None:
        abort(404)
    return point


def _rating_form(point: ServicePoint) -> RatingForm:
    form = RatingForm()
    form.service_item.choices = [SelectChoice("", _("— not given —"))] + [SelectChoice(item, item) for item in point.item_list]
    return form


@bp.route("/r/<slug>", methods=["GET", "POST"])
@visitors
@limiter.limit(CLIENT_LIMIT, methods=["POST"])
@limiter.limit(POINT_LIMIT, methods=["POST"], key_func=_point_key)
def rate(slug: str):
    """Rate a service point on the 好差评 scale; one rating per device and point a day."""
    point = _public_point(slug)
    device = realtime.load_device(request.cookies.get(realtime.DEVICE_COOKIE))
    if device.rated_today(point):
        return render_template("realtime/already.html", point=point)
    form = _rating_form(point)
    error = None
    if form.validate_on_submit():
        try:
            phone_hash = None
            if point.require_sms_code:
                phone_hash = realtime.check_code(point, form.phone.data or "", form.code.data or "")
            realtime.submit_rating(
                point, {name: form[name].data for name in ("overall", "efficiency", "competence", "attitude")},
                comment=form.comment.data or "", service_item=form.service_item.data or "", client=_client(),
                device=device, phone_hash=phone_hash, callback_phone=form.callback_phone.data or "")
        except realtime.AlreadyRated:
            db.session.rollback()
            response = Response(render_template("realtime/already.html", point=point))
            device.mark(point)
            _set_device_cookie(response, device)
            return response
        except realtime.TooManyRatings as exc:
            db.session.rollback()
            return render_template("realtime/rate.html", point=point, form=form, error=str(exc),
                                   code_form=SendCodeForm(formdata=None)), 429
        except realtime.RatingError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            response = redirect(url_for(".thanks", slug=point.slug))
            _set_device_cookie(response, device)
            return response
    return render_template("realtime/rate.html", point=point, form=form, error=error,
                           code_form=SendCodeForm(formdata=None))


def _set_device_cookie(response, device: realtime.Device) -> None:
    """The device cookie lives until the end of the local day, no longer (issue 24, finding 8)."""
    response.set_cookie(realtime.DEVICE_COOKIE, device.dumps(), max_age=seen.seconds_left_today(),
                        expires=seen.end_of_today(), httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("HTTPS")))


@bp.route("/r/<slug>/code", methods=["POST"])
@visitors
@limiter.limit(lambda: current_app.config["REALTIME_SMS_CODE_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["REALTIME_SMS_CODE_PER_PHONE_LIMIT"], key_func=_phone_key)
def send_code(slug: str):
    """Send the one-time code for a point that requires SMS verification."""
    point = _public_point(slug)
    if not point.require_sms_code:
        abort(404)
    back = url_for(".rate", slug=point.slug)
    return perform(SendCodeForm(), lambda form: realtime.send_code(point, form.phone.data),
                   done=_("A code has been sent. Enter it with your rating."), back=back, refused=realtime.RatingError,
                   # An empty or overlong number just brings the rating page back, as it always has.
                   invalid=lambda form: redirect(back))


@bp.route("/r/<slug>/thanks")
@visitors
def thanks(slug: str):
    """After a rating."""
    return render_template("realtime/thanks.html", point=_public_point(slug))


# --------------------------------------------------------------------------- staff: overview

def _period() -> tuple[date, date]:
    """The period from ?start=&end= (ISO dates), this month so far by default."""
    return period_from_query(request.args, local_today().replace(day=1), say=request.endpoint != "realtime.channel_csv")


@bp.route("/admin/realtime/")
@roles_required(Role.hr, Role.auditor, Role.operator)
def overview():
    """The channel per department for a period: count, mean, shrunk mean, 差评 follow-up."""
    start, end = _period()
    scores = realtime.channel_scores(start, end)
    follow = realtime.follow_up_stats(start, end)
    departments = list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))
    return render_template("realtime/overview.html", start=start, end=end, scores=scores, follow=follow,
                           departments=departments, city_mean=realtime.city_mean(start, end),
                           prior_weight=current_app.config["REALTIME_PRIOR_WEIGHT"],
                           pending_review=realtime.pending_review_count())


@bp.route("/admin/realtime/channel.csv")
@roles_required(Role.hr, Role.auditor)
def channel_csv():
    """The channel's per-department numbers for the period (UTF-8 with BOM, formula-safe)."""
    start, end = _period()
    scores = realtime.channel_scores(start, end)
    follow = realtime.follow_up_stats(start, end)
    rows = [[_("Department code"), _("Department"), _("Ratings"), _("Mean"), _("Adjusted mean"), _("Dissatisfied"),
             _("Rectification rate"), _("On-time rate")]]  # the overview's own column names
    for department in db.session.scalars(Department.ordered()):
        score = scores.get(department.id)
        stats = follow.get(department.id, realtime.FollowUpStats())
        if score is None and not stats.total:
            continue
        rows.append([department.code, department.name, score.count if score else 0,
                     f"{score.mean:.2f}" if score else "", f"{score.shrunk_mean:.2f}" if score else "", stats.total,
                     "" if stats.rectification_rate is None else f"{stats.rectification_rate:.3f}",
                     "" if stats.on_time_rate is None else f"{stats.on_time_rate:.3f}"])
    audit.record("realtime.export", "realtime", {"start": start.isoformat(), "end": end.isoformat()})
    db.session.commit()
    return download(csv_bytes(rows), f"realtime-{start}-{end}.csv")


# --------------------------------------------------------------------------- staff: service points and posters

def _own_point_or_403(point_id: int) -> ServicePoint:
    """A liaison may only open its own department's points."""
    point = db.get_or_404(ServicePoint, point_id)
    if current_user.role == Role.liaison and point.department_id != current_user.department_id:
        abort(403)
    return point


def _department_month() -> tuple[date, list[date]]:
    """A department-side reader's period: one whole month that has ended (?month=YYYY-MM), the last by default.

    Free start and end dates would let two filters differ by one day, and a month still running by one rating:
    either difference gives a single rater's answer back (#24 finding 1). A month not offered is refused by name.
    """
    month, months, refused = small_groups.choose_month(request.args.get("month"), local_today())
    if refused:
        flash(_("Month: choose one of the months listed (whole months that have ended)."), "error")
    return month, months


@bp.route("/admin/realtime/points")
@roles_required(Role.operator, Role.hr, Role.auditor, Role.liaison)
def points():
    """Service points with a period's figures; a liaison sees its own department's, by whole months that have
    ended, with no figure from fewer than k raters (the small-group rule)."""
    if small_groups.department_side(current_user):
        month, months = _department_month()
        start, end = month, small_groups.month_end(month)
        summaries = [] if current_user.department_id is None else realtime.point_summaries(
            start, end, current_user.department_id, small_group_k=small_groups.k())
        return render_template("realtime/points.html", summaries=summaries, start=start, end=end, month=month,
                               months=months, k=small_groups.k(), department_side=True)
    start, end = _period()
    return render_template("realtime/points.html", summaries=realtime.point_summaries(start, end),
                           start=start, end=end, department_side=False)


def _point_form(point: ServicePoint | None = None) -> ServicePointForm:
    form = ServicePointForm(obj=point)
    form.department_id.choices = [SelectChoice(d.id, f"{d.code} {d.name}") for d in
                                  db.session.scalars(Department.ordered().where(Department.active.is_(True)))]
    return form


@bp.route("/admin/realtime/points/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def new_point():
    """Add a service point (window, hall or hotline) to a department."""
    form = _point_form()
    if form.validate_on_submit():
        department = db.session.get(Department, form.department_id.data)
        try:
            point = realtime.create_point(
                department, code=form.code.data, name=form.name.data, kind=form.kind.data,
                location=form.location.data or "", district=form.district.data or "",
                service_items=form.service_items.data or "", require_sms_code=form.require_sms_code.data)
            point.active = form.active.data
        except realtime.RatingError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Service point added."), "success")
            return redirect(url_for(".poster", point_id=point.id))
    return render_template("realtime/point_form.html", form=form, point=None)


@bp.route("/admin/realtime/points/<int:point_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def edit_point(point_id: int):
    """Change a service point; its rating address stays the same."""
    point = db.get_or_404(ServicePoint, point_id)
    form = _point_form(point)
    if form.validate_on_submit():
        clash = db.session.scalar(select(ServicePoint.id).where(ServicePoint.code == form.code.data.strip().upper(),
                                                                ServicePoint.id != point.id))
        if clash is not None:
            form.code.errors.append(_("A service point with this code exists already."))
        else:
            changed = realtime.update_point(
                point, department_id=form.department_id.data, code=form.code.data.upper(), name=form.name.data,
                kind=form.kind.data, location=form.location.data or "", district=form.district.data or "",
                service_items=form.service_items.data or "", require_sms_code=form.require_sms_code.data,
                active=form.active.data)
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".points"))
    return render_template("realtime/point_form.html", form=form, point=point)


def _rating_url(point: ServicePoint) -> str:
    return public_url("realtime.rate", slug=point.slug)


@bp.route("/admin/realtime/points/<int:point_id>/poster")
@roles_required(Role.operator, Role.liaison)
def poster(point_id: int):
    """A printable A4 poster: the department, the service point, the QR code and the address."""
    point = _own_point_or_403(point_id)
    return render_template("realtime/poster.html", point=point, url=_rating_url(point))


@bp.route("/admin/realtime/points/<int:point_id>/qr.<fmt>")
@roles_required(Role.operator, Role.liaison)
def qr(point_id: int, fmt: str):
    """The point's QR code as SVG (print) or PNG (screens, documents)."""
    point = _own_point_or_403(point_id)
    url = _rating_url(point)
    if fmt == "svg":
        data, mimetype = realtime.qr_svg(url), "image/svg+xml"
    elif fmt == "png":
        data, mimetype = realtime.qr_png(url), "image/png"
    else:
        abort(404)
    if request.args.get("download") == "1":
        return download(data, f"qr-{point.code}.{fmt}", mimetype)
    return Response(data, mimetype=mimetype)


# --------------------------------------------------------------------------- staff: ratings and flags

@bp.route("/admin/realtime/ratings")
@roles_required(Role.admin)
def ratings():
    """Ratings, newest first; ?flagged=1 lists the bursts waiting for review."""
    flagged = request.args.get("flagged") == "1"
    bad = request.args.get("bad") == "1"
    department_id = request.args.get("department", type=int)
    page = db.paginate(realtime.rating_query(department_id=department_id, flagged=flagged, bad=bad),
                       per_page=PER_PAGE, error_out=False)
    return render_template("realtime/ratings.html", page=page, flagged=flagged, bad=bad, department_id=department_id,
                           departments=list(db.session.scalars(Department.ordered())), exclude_form=ExcludeForm(),
                           action_form=FlaskForm())


def _back_to_ratings() -> str:
    """The list the button was pressed on (its form's ``next``), or the flagged ratings."""
    back = request.form.get("next") or ""
    return back if back.startswith("/admin/realtime/") else url_for(".ratings", flagged=1)


@bp.route("/admin/realtime/ratings/<rating_id>/exclude", methods=["POST"])
@roles_required(Role.admin)
def exclude(rating_id: str):
    """Leave a rating out of every figure, with the reason (audited)."""
    rating = db.get_or_404(RealtimeRating, rating_id)
    return perform(ExcludeForm(), lambda form: realtime.exclude(rating, form.reason.data, actor=current_user),
                   done=_("The rating is excluded."), back=_back_to_ratings())


@bp.route("/admin/realtime/ratings/<rating_id>/keep", methods=["POST"])
@roles_required(Role.admin)
def keep(rating_id: str):
    """A flagged rating is genuine: clear it from the review list."""
    rating = db.get_or_404(RealtimeRating, rating_id)
    return perform(FlaskForm(), lambda form: realtime.keep(rating, actor=current_user),
                   done=_("The rating is kept."), back=_back_to_ratings())


@bp.route("/admin/realtime/ratings/<rating_id>/include", methods=["POST"])
@roles_required(Role.admin)
def include(rating_id: str):
    """Count an excluded rating again."""
    rating = db.get_or_404(RealtimeRating, rating_id)
    return perform(FlaskForm(), lambda form: realtime.include(rating, actor=current_user),
                   done=_("The rating counts again."), back=_back_to_ratings())


# --------------------------------------------------------------------------- follow-up of 差评

def _scope_department() -> int | None:
    return current_user.department_id if current_user.role == Role.liaison else None


@bp.route("/admin/realtime/follow-ups")
@roles_required(Role.hr, Role.auditor, Role.liaison)
def follow_ups():
    """Follow-up tasks of 差评: overdue ones highlighted; a liaison sees its own department's."""
    department_id = _scope_department() or request.args.get("department", type=int)
    status = request.args.get("status", "")
    overdue = request.args.get("overdue") == "1"
    page = db.paginate(realtime.follow_up_query(department_id, status, overdue), per_page=PER_PAGE,
                       error_out=False)
    return render_template("realtime/follow_ups.html", page=page, status=status, overdue=overdue,
                           department_id=department_id, today=local_today(),
                           departments=[] if _scope_department() else
                           list(db.session.scalars(Department.ordered())))


def _follow_up_task(task_id: int) -> tuple[FollowUpTask, bool]:
    """The task (a liaison only its own department's) and whether this account may record the follow-up."""
    task = db.get_or_404(FollowUpTask, task_id)
    if current_user.role == Role.liaison and task.department_id != current_user.department_id:
        abort(403)
    may_complete = task.status == FollowUpStatus.open and (
        current_user.is_admin or (current_user.role == Role.liaison
                                  and task.department_id == current_user.department_id))
    return task, may_complete


@bp.route("/admin/realtime/follow-ups/<int:task_id>", methods=["GET", "POST"])
@roles_required(Role.hr, Role.auditor, Role.liaison)
def follow_up(task_id: int):
    """One 差评 and its follow-up; the department (or an admin) records what it did."""
    task, may_complete = _follow_up_task(task_id)
    form = FollowUpForm()
    if request.method == "POST":
        if not may_complete:
            abort(403)
        if form.validate_on_submit():
            try:
                realtime.complete_follow_up(task, action_taken=form.action_taken.data,
                                            contacted=form.contacted.data == "yes",
                                            rectified=form.rectified.data == "yes", actor=current_user)
            except realtime.RatingError as exc:
                db.session.rollback()
                form.action_taken.errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("The follow-up is recorded."), "success")
                return redirect(url_for(".follow_ups"))
    return render_template("realtime/follow_up.html", task=task, form=form, may_complete=may_complete,
                           callback="", reveal_form=FlaskForm(), today=local_today(),
                           department_side=small_groups.department_side(current_user))


@bp.route("/admin/realtime/follow-ups/<int:task_id>/callback", methods=["POST"])
@roles_required(Role.liaison)
def reveal_callback(task_id: int):
    """Show the rater's call-back number to the department that must call; every reveal is audited."""
    task, may_complete = _follow_up_task(task_id)
    if not (may_complete and task.callback_phone):
        abort(403)
    callback = realtime.reveal_callback(task, actor=current_user)
    db.session.commit()
    return render_template("realtime/follow_up.html", task=task, form=FollowUpForm(formdata=None),
                           may_complete=may_complete, callback=callback, reveal_form=FlaskForm(),
                           today=local_today(), department_side=small_groups.department_side(current_user))
