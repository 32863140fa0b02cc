"""The policy officer's pages, ``/admin/policy/…``: the catalogue (policies, items and their versions), the import,
the policy windows and the investment promises.

Publishing, expiring and repealing an item, and settling a promise, cannot be undone: each is a ConfirmForm.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.departments.models import Department
from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform
from app.platform.feedback import flash_errors
from app.platform.calendar import local_today
from app.platform.exports import download
from app.platform.forms import ConfirmForm
from app.platform.roles import Role
from app.policy import catalogue, importing, labels, promises, windows
from app.policy.catalogue import ItemContent, PolicyError, PolicyFields
from app.policy.forms import (
    EMPTY_ROWS,
    CancelForm,
    DeliverForm,
    ImportForm,
    ItemForm,
    PolicyForm,
    PromiseForm,
    RepealForm,
    WindowForm,
)
from app.policy.models import (
    DeliveryMode,
    InvestmentPromise,
    ItemKind,
    ItemStatus,
    Policy,
    PolicyItem,
    PolicyLevel,
    PolicyWindow,
    PromiseStatus,
)
from app.policy.promises import PromiseError
from app.policy.windows import WindowError, WindowFields
from eligibility.fields import FIELDS

bp = Blueprint("policy", __name__)
REFUSED = (PolicyError, PromiseError, WindowError)
PER_PAGE = 50


@bp.app_template_global()
def policy_labels():
    """The catalogue's label functions, for the templates."""
    return labels.LABELS


def _departments(include_id: int | None = None) -> list[Department]:
    """The active departments, and an inactive one still named by the item being edited."""
    return [d for d in db.session.scalars(Department.ordered()) if d.active or d.id == include_id]


# --------------------------------------------------------------------------- the catalogue

@bp.route("/")
@roles_required(Role.policy)
def index():
    """Every policy with its items (status, current version), filtered by status, kind and department."""
    status, kind = request.args.get("status", ""), request.args.get("kind", "")
    department = request.args.get("department", type=int)
    if status not in {s.value for s in ItemStatus}:
        status = ""
    if kind not in {k.value for k in ItemKind}:
        kind = ""
    filtered = bool(status or kind or department)
    items = list(db.session.scalars(catalogue.catalogue_query(status=status, kind=kind, department_id=department)))
    by_policy: dict[int, list[PolicyItem]] = {}
    for item in items:
        by_policy.setdefault(item.policy_id, []).append(item)
    query = select(Policy).order_by(Policy.id.desc())
    if filtered:
        query = query.where(Policy.id.in_(by_policy.keys()))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("policy/admin/index.html", page=page, by_policy=by_policy, today=local_today(),
                           status=status, kind=kind, department=department, departments=_departments(),
                           statuses=list(ItemStatus), kinds=list(ItemKind), filtered=filtered)


def _policy_fields(form: PolicyForm) -> PolicyFields:
    return PolicyFields(
        title=form.title.data.strip(), issuer=form.issuer.data.strip(), level=PolicyLevel(form.level.data),
        doc_number=(form.doc_number.data or "").strip(), issued_on=form.issued_on.data,
        valid_from=form.valid_from.data, valid_to=form.valid_to.data,
        source_url=(form.source_url.data or "").strip(), full_text=(form.full_text.data or "").strip())


def _uploaded(form: PolicyForm) -> catalogue.Attachment | None:
    upload = form.attachment.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    limit = current_app.config["POLICY_ATTACHMENT_MAX_BYTES"]
    return catalogue.check_attachment(upload.filename, upload.read(limit + 1))


def _policy_form_page(form: PolicyForm, policy: Policy | None):
    return render_template("policy/admin/policy_form.html", form=form, policy=policy,
                           attachment_types=catalogue.ATTACHMENT_TYPES,
                           attachment_mb=current_app.config["POLICY_ATTACHMENT_MAX_BYTES"] // (1024 * 1024))


@bp.route("/policies/new", methods=["GET", "POST"])
@roles_required(Role.policy)
def new_policy():
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            policy = catalogue.create_policy(_policy_fields(form), _uploaded(form), actor=current_user)
        except PolicyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The policy is recorded."), "success")
            return redirect(url_for(".policy", policy_id=policy.id))
    return _policy_form_page(form, None)


@bp.route("/policies/<int:policy_id>")
@roles_required(Role.policy)
def policy(policy_id: int):
    policy = db.get_or_404(Policy, policy_id)
    return render_template("policy/admin/policy.html", policy=policy, code=catalogue.policy_code(policy),
                           today=local_today())


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@roles_required(Role.policy)
def edit_policy(policy_id: int):
    policy = db.get_or_404(Policy, policy_id)
    form = PolicyForm(obj=policy) if request.method == "GET" else PolicyForm()
    if request.method == "GET":
        form.level.data = policy.level.value
    if form.validate_on_submit():
        try:
            catalogue.update_policy(policy, _policy_fields(form), _uploaded(form),
                                    remove_attachment=form.remove_attachment.data, actor=current_user)
        except PolicyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The policy is saved."), "success")
            return redirect(url_for(".policy", policy_id=policy.id))
    return _policy_form_page(form, policy)


@bp.route("/policies/<int:policy_id>/attachment")
@roles_required(Role.policy)
def attachment(policy_id: int):
    policy = db.get_or_404(Policy, policy_id)
    if not policy.attachment_name:
        abort(404)
    response = Response(policy.attachment, mimetype=policy.attachment_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(policy.attachment_name)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- items

def _item_form(item: PolicyItem | None = None) -> ItemForm:
    departments = _departments(item.current.department_id if item is not None else None)
    if request.method == "POST":
        return ItemForm(departments=departments)
    if item is None:
        return ItemForm(departments=departments, data={"promised_days": 20, "benefit_kind": "text"})
    v = item.current
    data = {name: getattr(v, name) for name in catalogue.CONTENT_FIELDS}
    data.update(kind=v.kind.value, mode=v.mode.value, materials="\n".join(v.materials),
                rules=[*v.rules, *[{}] * EMPTY_ROWS], reviews=[*v.reviews, *[{}] * EMPTY_ROWS])
    return ItemForm(departments=departments, data=data)


def _content(form: ItemForm) -> ItemContent:
    return ItemContent(
        name=form.name.data.strip(), kind=ItemKind(form.kind.data), department_id=form.department_id.data,
        mode=DeliveryMode(form.mode.data), benefit_kind=form.benefit_kind.data, amount=form.amount.data,
        rate=form.rate.data, rate_base=form.rate_base.data or "", cap=form.cap.data,
        benefit_text=(form.benefit_text.data or "").strip(), budget=form.budget.data,
        materials=form.material_lines(), promised_days=form.promised_days.data, rules=form.rule_rows(),
        reviews=form.review_rows(), sizes=list(form.sizes.data or []), industries=list(form.industries.data or []),
        summary=(form.summary.data or "").strip())


def _more_rows(form: ItemForm) -> bool:
    """The editor's "more rows" button: show the form again with a blank row more of each, save nothing."""
    if "more_rows" not in request.form:
        return False
    form.rules.append_entry()
    form.reviews.append_entry()
    return True


def _item_form_page(form: ItemForm, policy: Policy, item: PolicyItem | None):
    return render_template("policy/admin/item_form.html", form=form, policy=policy, item=item, fields=FIELDS)


@bp.route("/policies/<int:policy_id>/items/new", methods=["GET", "POST"])
@roles_required(Role.policy)
def new_item(policy_id: int):
    policy = db.get_or_404(Policy, policy_id)
    form = _item_form()
    if not _more_rows(form) and form.validate_on_submit():
        try:
            item = catalogue.create_item(policy, _content(form), actor=current_user)
        except PolicyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Item %(code)s is saved as a draft.", code=item.code), "success")
            return redirect(url_for(".item", item_id=item.id))
    return _item_form_page(form, policy, None)


@bp.route("/items/<int:item_id>")
@roles_required(Role.policy)
def item(item_id: int):
    """An item: its current version (or the one asked for), every version's list, and the actions of its status."""
    item = db.get_or_404(PolicyItem, item_id)
    number = request.args.get("version", type=int)
    shown = next((v for v in item.versions if v.number == number), None) if number else item.current
    if shown is None:
        abort(404)
    return render_template(
        "policy/admin/item.html", item=item, version=shown, today=local_today(),
        shown_status=catalogue.shown_status(item, local_today()),
        problems=catalogue.publish_problems(catalogue.content_of(item.current))
        if item.status == ItemStatus.draft else [],
        confirm_form=ConfirmForm(formdata=None), repeal_form=RepealForm(formdata=None),
        has_push="policy_push.item" in current_app.view_functions,
        field_labels={f.key: f.label for f in FIELDS})


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(Role.policy)
def edit_item(item_id: int):
    item = db.get_or_404(PolicyItem, item_id)
    if item.status not in (ItemStatus.draft, ItemStatus.published):
        flash(_("An expired or repealed item is not edited."), "error")
        return redirect(url_for(".item", item_id=item.id))
    form = _item_form(item)
    if not _more_rows(form) and form.validate_on_submit():
        before = item.current_version_id
        try:
            version = catalogue.edit_item(item, _content(form), actor=current_user)
        except PolicyError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if version.id != before:
                flash(_("Version %(n)d is saved and published; earlier versions are kept as they were.",
                        n=version.number), "success")
            else:
                flash(_("The item is saved."), "success")
            return redirect(url_for(".item", item_id=item.id))
    return _item_form_page(form, item.policy, item)


def _unconfirmed(back: str):
    """For ``invalid=``: an unticked box or a missing reason goes back to the page and says so (nothing done); a
    bad CSRF token is a forged or broken request, answered 400."""

    def answer(form):
        if "csrf_token" in form.errors:
            abort(400)
        flash_errors(form)
        return redirect(back)

    return answer


def _item_action(item_id: int, work, done: str, form_class=ConfirmForm):
    item = db.get_or_404(PolicyItem, item_id)
    back = url_for(".item", item_id=item.id)
    return perform(form_class(), lambda form: work(item, form), done=done, back=back, refused=REFUSED,
                   invalid=_unconfirmed(back))


@bp.route("/items/<int:item_id>/publish", methods=["POST"])
@roles_required(Role.policy)
def publish(item_id: int):
    return _item_action(item_id, lambda item, form: catalogue.publish(item, actor=current_user, today=local_today()),
                        _("The item is published."))


@bp.route("/items/<int:item_id>/expire", methods=["POST"])
@roles_required(Role.policy)
def expire(item_id: int):
    return _item_action(item_id, lambda item, form: catalogue.expire(item, actor=current_user),
                        _("The item is marked as expired."))


@bp.route("/items/<int:item_id>/repeal", methods=["POST"])
@roles_required(Role.policy)
def repeal(item_id: int):
    return _item_action(item_id, lambda item, form: catalogue.repeal(item, form.reason.data, actor=current_user),
                        _("The item is repealed."), RepealForm)


# --------------------------------------------------------------------------- import

@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.policy)
def import_items():
    """Upload a CSV/XLSX of items; every row is checked before anything is written."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        report = importing.import_file(upload.filename or "", upload.read(), actor=current_user,
                                       dry_run=form.dry_run.data)
        if report.ok and not form.dry_run.data:
            db.session.commit()
            flash(_("Import done: %(added)d draft items added, %(updated)d drafts updated.",
                    added=len(report.created), updated=len(report.updated)), "success")
            return redirect(url_for(".index", status="draft"))
        db.session.rollback()
    return render_template("policy/admin/import.html", form=form, report=report, columns=importing.COLUMNS,
                           dry_run=form.dry_run.data)


@bp.route("/import/template.xlsx")
@roles_required(Role.policy)
def import_template():
    """The import's template: the headers and one example row."""
    return download(importing.template_xlsx(), _("policy-items-template") + ".xlsx")


# --------------------------------------------------------------------------- windows

@bp.route("/windows")
@roles_required(Role.policy)
def window_list():
    return render_template("policy/admin/windows.html", windows=list(db.session.scalars(windows.windows_query())))


def _window_fields(form: WindowForm) -> WindowFields:
    return WindowFields(name=form.name.data, district=(form.district.data or "").strip(),
                        address=(form.address.data or "").strip(), hours=(form.hours.data or "").strip(),
                        phone=(form.phone.data or "").strip(), sort_order=form.sort_order.data or 0)


@bp.route("/windows/new", methods=["GET", "POST"])
@roles_required(Role.policy)
def new_window():
    form = WindowForm()
    if form.validate_on_submit():
        try:
            windows.create(_window_fields(form), actor=current_user)
        except WindowError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The window is added."), "success")
            return redirect(url_for(".window_list"))
    return render_template("policy/admin/window_form.html", form=form, window=None)


@bp.route("/windows/<int:window_id>/edit", methods=["GET", "POST"])
@roles_required(Role.policy)
def edit_window(window_id: int):
    window = db.get_or_404(PolicyWindow, window_id)
    form = WindowForm(obj=window) if request.method == "GET" else WindowForm()
    if form.validate_on_submit():
        try:
            windows.update(window, _window_fields(form), actor=current_user)
        except WindowError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The window is saved."), "success")
            return redirect(url_for(".window_list"))
    return render_template("policy/admin/window_form.html", form=form, window=window)


# --------------------------------------------------------------------------- investment promises

@bp.route("/promises")
@roles_required(Role.policy)
def promise_list():
    """Every promise, overdue ones first; ``?overdue=1`` shows only those."""
    today = local_today()
    overdue_only = request.args.get("overdue") == "1"
    status = request.args.get("status", "")
    if status not in {s.value for s in PromiseStatus}:
        status = ""
    page = db.paginate(promises.promises_query(today, overdue_only=overdue_only, status=status),
                       per_page=PER_PAGE, error_out=False)
    return render_template("policy/admin/promises.html", page=page, today=today, overdue_only=overdue_only,
                           status=status, statuses=list(PromiseStatus), is_overdue=promises.is_overdue)


@bp.route("/promises/new", methods=["GET", "POST"])
@roles_required(Role.policy)
def new_promise():
    """Find the enterprise by its USCC or name (``?q=``), then record what was promised to it."""
    query = (request.values.get("q") or "").strip()[:100]
    found = promises.find_profiles(query) if query else []
    form = PromiseForm()
    form.profile_id.choices = [(p.id, f"{p.name}（{p.uscc}）") for p in found]
    form.department_id.choices = [(d.id, d.name) for d in _departments()]
    if found and form.validate_on_submit():
        profile = next(p for p in found if p.id == form.profile_id.data)
        try:
            promise = promises.create(profile, title=form.title.data, amount=form.amount.data,
                                      due_on=form.due_on.data, department_id=form.department_id.data,
                                      note=form.note.data or "", actor=current_user)
        except PromiseError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The promise is recorded."), "success")
            return redirect(url_for(".promise", promise_id=promise.id))
    return render_template("policy/admin/promise_form.html", form=form, query=query, found=found)


@bp.route("/promises/<int:promise_id>")
@roles_required(Role.policy)
def promise(promise_id: int):
    promise = db.get_or_404(InvestmentPromise, promise_id)
    today = local_today()
    return render_template("policy/admin/promise.html", promise=promise, today=today,
                           overdue=promises.is_overdue(promise, today),
                           deliver_form=DeliverForm(formdata=None, delivered_on=today),
                           cancel_form=CancelForm(formdata=None))


def _promise_action(promise_id: int, form_class, work, done: str):
    promise = db.get_or_404(InvestmentPromise, promise_id)
    back = url_for(".promise", promise_id=promise.id)
    return perform(form_class(), lambda form: work(promise, form), done=done, back=back, refused=REFUSED,
                   invalid=_unconfirmed(back))


@bp.route("/promises/<int:promise_id>/deliver", methods=["POST"])
@roles_required(Role.policy)
def deliver_promise(promise_id: int):
    return _promise_action(promise_id, DeliverForm,
                           lambda p, form: promises.deliver(p, form.delivered_on.data, actor=current_user),
                           _("The promise is marked as delivered."))


@bp.route("/promises/<int:promise_id>/cancel", methods=["POST"])
@roles_required(Role.policy)
def cancel_promise(promise_id: int):
    return _promise_action(promise_id, CancelForm,
                           lambda p, form: promises.cancel(p, form.reason.data, actor=current_user),
                           _("The promise is cancelled."))
