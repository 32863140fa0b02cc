"""The respondent pool (主体样本库): list, edit, status, composition, categories, import, export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, select

from app.audit import service as audit
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import bad_request, perform
from app.platform.calendar import local_today
from app.platform.exports import download
from app.platform.roles import Role
from app.pool import importing as pool_import, service as pool
from app.pool.forms import CategoryForm, CommitImportForm, MemberForm, StatusForm, UploadForm
from app.pool.models import MemberStatus, Respondent

bp = Blueprint("pool", __name__)

PER_PAGE = 50


def _keyed(key: str) -> Select:
    """The member with this key, typed in either case."""
    return select(Respondent).where(Respondent.key == key.upper())


@bp.route("/")
@roles_required(Role.operator)
def index():
    """Members, filtered by category, district, status and a search text, 50 a page."""
    filters = {name: request.args.get(name, "").strip() for name in ("category", "district", "status", "q")}
    query = pool.member_query(filters["category"], filters["district"], filters["status"], filters["q"])
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("pool/index.html", page=page, filters=filters, categories=pool.categories(),
                           districts=pool.districts())


@bp.route("/members/<key>", methods=["GET", "POST"])
@roles_required(Role.operator)
def edit(key: str):
    """Edit a member's details; the phone field shows the masked number until replaced."""
    member = db.one_or_404(_keyed(key))
    form = MemberForm(obj=member)
    form.category_id.choices = [(c.id, c.label_zh) for c in pool.categories()]
    if request.method == "GET":
        form.phone.data = member.phone_masked
    if form.validate_on_submit():
        try:
            changed = pool.update_member(member, name=form.name.data, category_id=form.category_id.data,
                                         district=form.district.data or "", organisation=form.organisation.data or "",
                                         phone=form.phone.data)
        except pool.PoolError as exc:
            db.session.rollback()
            form.phone.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".edit", key=member.key))
    status_form = StatusForm(status=member.status.value)
    return render_template("pool/edit.html", member=member, form=form, status_form=status_form)


@bp.route("/members/<key>/status", methods=["POST"])
@roles_required(Role.operator)
def set_status(key: str):
    """Pause, opt out (with a reason) or reactivate a member."""
    member = db.one_or_404(_keyed(key))
    return perform(StatusForm(), lambda form: pool.set_status(member, MemberStatus(form.status.data),
                                                              form.reason.data or ""),
                   done=_("Status changed."), back=url_for(".edit", key=member.key), refused=pool.PoolError)


@bp.route("/composition")
@roles_required(Role.operator, Role.auditor)
def composition():
    """Active members per category and district, against the targets."""
    return render_template("pool/composition.html", table=pool.composition())


@bp.route("/categories", methods=["GET", "POST"])
@roles_required(Role.operator)
def categories():
    """The sampling categories (strata) and their target sizes; add a category."""
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            pool.add_category(form.key.data, form.label_zh.data, form.label_en.data or "",
                              form.target.data or 0, form.sort_order.data or 0)
        except pool.PoolError as exc:
            db.session.rollback()
            form.key.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Category added."), "success")
            return redirect(url_for(".categories"))
    return render_template("pool/categories.html", categories=pool.categories(), form=form)


@bp.route("/categories/targets", methods=["POST"])
@roles_required(Role.operator)
def save_targets():
    """Save the target size of every category at once."""

    def save(form: CommitImportForm):
        targets = {}
        for category in pool.categories():
            raw = request.form.get(f"target-{category.id}", "").strip()
            if not raw.isdigit() or int(raw) > 1_000_000:
                raise pool.PoolError(_("Targets must be whole numbers from 0 to 1,000,000."))
            targets[category] = int(raw)
        pool.set_targets(targets)

    return perform(CommitImportForm(), save, done=_("Targets saved."), back=url_for(".categories"),
                   refused=pool.PoolError, invalid=bad_request)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.operator)
def import_upload():
    """Step 1: upload a file; it is checked in full and kept for the preview."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        staged = pool_import.stage(current_user, upload.filename or "", upload.read())
        db.session.commit()
        return redirect(url_for(".import_preview", token=staged.token))
    return render_template("pool/import.html", form=form)


@bp.route("/import/<token>", methods=["GET", "POST"])
@roles_required(Role.operator)
def import_preview(token: str):
    """Step 2: the preview (counts per category, every error); commit or cancel."""
    staged = pool_import.staged_for(token, current_user)
    db.session.commit()  # staged_for deletes expired uploads
    if staged is None:
        flash(_("That upload has expired or does not exist. Please upload the file again."), "error")
        return redirect(url_for(".import_upload"))
    form = CommitImportForm()
    if form.validate_on_submit():
        if request.form.get("action") == "cancel":
            pool_import.discard(staged)
            db.session.commit()
            flash(_("Import cancelled; nothing was changed."), "info")
            return redirect(url_for(".import_upload"))
        result, _plan = pool_import.commit_staged(staged, only_valid_rows=form.only_valid_rows.data)
        db.session.commit()
        if result is not None:
            flash(_("Import done: %(added)d added, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(skipped)d rows with errors skipped.", added=result.added, updated=result.updated,
                    unchanged=result.unchanged, skipped=result.skipped_rows), "success")
            return redirect(url_for(".composition"))
        flash(_("The file has errors. Nothing was imported."), "error")
    return render_template("pool/preview.html", staged=staged, summary=staged.summary, form=form,
                           labels={c.key: c.label_zh for c in pool.categories()})


@bp.route("/export.<fmt>")
@roles_required(Role.admin)
def export(fmt: str):
    """The whole pool as CSV or XLSX, phones masked, formula-safe (administrators only)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    data = pool.export_csv() if fmt == "csv" else pool.export_xlsx()
    audit.record("pool.export", "pool", {"format": fmt})
    db.session.commit()
    return download(data, f"pool-{local_today().isoformat()}.{fmt}")
