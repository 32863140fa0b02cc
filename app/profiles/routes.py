"""Enterprise profiles (企业画像) for the policy officer: list, one profile, its edit form, the import."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.platform.access import roles_required
from app.platform.calendar import local_today
from app.platform.forms import EmptyForm
from app.platform.roles import Role
from app.profiles import importing, service
from app.profiles.facts import stale_days
from app.platform.actions import perform
from app.profiles.forms import ProfileForm, RestorePushForm, UploadForm
from app.profiles.models import EnterpriseProfile
from eligibility.fields import SIZES

bp = Blueprint("profiles", __name__)

PER_PAGE = 50


def _profile(code: str) -> EnterpriseProfile:
    return db.one_or_404(select(EnterpriseProfile).where(EnterpriseProfile.uscc == code.upper()))


@bp.route("/")
@roles_required(Role.policy)
def index():
    """Profiles by name, searched and filtered (size, district, missing or stale fields), 50 a page."""
    filters = {name: request.args.get(name, "").strip()[:200] for name in ("q", "size", "district", "incomplete")}
    query = service.profile_query(filters["q"], filters["size"] if filters["size"] in SIZES else "",
                                  filters["district"])
    if filters["incomplete"] in service.INCOMPLETE_CHOICES:
        query = query.where(EnterpriseProfile.id.in_(service.incomplete_ids(query, filters["incomplete"])))
    page = db.paginate(query.options(selectinload(EnterpriseProfile.respondent)),  # the member column, at once
                       per_page=PER_PAGE, error_out=False)
    today = local_today()
    states = {p.id: service.gaps(p, today) for p in page.items}
    return render_template("profiles/index.html", page=page, filters=filters, sizes=SIZES,
                           districts=service.districts(), states=states)


@bp.route("/<code>")
@roles_required(Role.policy)
def show(code: str):
    """Every field of one profile with the day it was last set, stale and missing ones marked."""
    profile = _profile(code)
    return render_template("profiles/show.html", profile=profile, lines=service.field_lines(profile),
                           stale_days=stale_days(), restore_form=RestorePushForm(formdata=None))


@bp.route("/<code>/push-restore", methods=["POST"])
@roles_required(Role.policy)
def restore_push(code: str):
    """The enterprise asked (by phone, at a window) to receive policy messages again."""
    profile = _profile(code)
    back = url_for(".show", code=profile.uscc)
    return perform(RestorePushForm(), lambda form: service.restore_push(profile, form.reason.data, actor=current_user),
                   done=_("The enterprise receives policy messages again."), back=back, refused=service.ProfileError)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(Role.policy)
def edit(code: str):
    """Correct one profile by hand; the fields that change are dated today."""
    profile = _profile(code)
    form = ProfileForm(data=service.form_texts(profile) if request.method == "GET" else None)
    if request.method == "POST":
        valid = form.validate_on_submit()
        values, errors = service.read_form(profile, {name: form[name].data for name in service.FORM_FIELDS})
        for name, message in errors.items():  # every field's problem at once, the form's own checks first
            if not form[name].errors:
                form[name].errors.append(message)
        if valid and not errors:
            changed = service.update_profile(profile, values)
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".show", code=profile.uscc))
        db.session.rollback()
    return render_template("profiles/edit.html", profile=profile, form=form)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.policy)
def import_upload():
    """Step 1: upload a file; it is checked in full and kept for the preview."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        staged = importing.stage(current_user, upload.filename or "", upload.read())
        db.session.commit()
        return redirect(url_for(".import_preview", token=staged.token))
    return render_template("profiles/import.html", form=form)


@bp.route("/import/<token>", methods=["GET", "POST"])
@roles_required(Role.policy)
def import_preview(token: str):
    """Step 2: what the file would do, or every error; confirm or cancel."""
    staged = importing.staged_for(token, current_user)
    db.session.commit()  # staged_for deletes expired uploads
    if staged is None:
        flash(_("That upload has expired or does not exist. Please upload the file again."), "error")
        return redirect(url_for(".import_upload"))
    form = EmptyForm()
    if form.validate_on_submit():
        if request.form.get("action") == "cancel":
            importing.discard(staged)
            db.session.commit()
            flash(_("Import cancelled; nothing was changed."), "info")
            return redirect(url_for(".import_upload"))
        report, _plan = importing.commit_staged(staged)
        db.session.commit()
        if report is not None:
            flash(_("Profiles imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
                    created=report.created, updated=report.updated, unchanged=report.unchanged), "success")
            return redirect(url_for(".index"))
        flash(_("The file has errors. Nothing was imported."), "error")
    return render_template("profiles/preview.html", staged=staged, summary=staged.summary, form=form)
