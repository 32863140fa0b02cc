"""免申即享 pages (/admin/window/automatic/…): the items delivered without application, one item's reviewed list
and its batch, the batches of an item, one batch with each enterprise's answer, stage and payment.

The policy officer works for every window (choosing which one a batch belongs to); window staff for their own
window only (its county's enterprises, its batches; another window's batch is a 404). The liaison of the item's
responsible department may read its items' batches.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.platform.access import roles_required
from app.platform.actions import perform, unconfirmed
from app.platform.forms import EmptyForm
from app.platform.roles import Role
from app.policy import matching
from app.policy.models import DeliveryMode, ItemStatus, PolicyItem, PolicyItemVersion, PolicyMatchRun, PolicyWindow
from app.policy_window import automatic, scope
from app.policy_window import kind  # noqa: F401  (the application kind is known to the engine)
from app.policy_window.automatic_forms import BatchForm
from app.policy_window.labels import consent_label, stage_label

bp = Blueprint("policy_automatic", __name__, url_prefix="/admin/window/automatic")

STAFF = (Role.policy, Role.window)
READERS = (Role.policy, Role.window, Role.liaison)
CASE_ENDPOINT = "policy_window.case"


@bp.app_template_global()
def policy_automatic_labels():
    """The words the 免申即享 pages read."""
    return {"stage": stage_label, "consent": lambda c: consent_label(c) if c else _("Not answered yet"),
            "counts": automatic.count_labels()}


def _items():
    """Published items whose current version is delivered without application (a liaison: its department's)."""
    query = (select(PolicyItem).join(PolicyItemVersion, PolicyItem.current_version_id == PolicyItemVersion.id)
             .where(PolicyItem.status == ItemStatus.published, PolicyItemVersion.mode == DeliveryMode.automatic)
             .order_by(PolicyItem.code))
    if current_user.role == Role.liaison:
        query = query.where(PolicyItemVersion.department_id == current_user.department_id)
    return query


def _item(item_id: int) -> PolicyItem:
    """An item the user may work on here: any of its versions (its batches stay readable); 404 otherwise."""
    item = db.get_or_404(PolicyItem, item_id)
    if item.current is None:
        abort(404)
    if current_user.role == Role.liaison and not any(v.department_id == current_user.department_id
                                                     for v in item.versions):
        abort(404)
    return item


def _windows() -> list[PolicyWindow]:
    """The windows the user may make a batch for: every window for the policy officer, window staff their own."""
    if scope.sees_every_window(current_user):
        return list(db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order, PolicyWindow.id)))
    own = scope.window_of(current_user)
    return [own] if own is not None else []


def _chosen_window(windows: list[PolicyWindow], wanted: int | None) -> PolicyWindow | None:
    return next((w for w in windows if w.id == wanted), windows[0] if windows else None)


def _case_url(case) -> str | None:
    """The application's page at the window, for those who work there (once the window's pages exist)."""
    if not current_user.has_role(*STAFF) or CASE_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(CASE_ENDPOINT, number=case.tracking_number)


@bp.route("/")
@roles_required(*READERS)
def index():
    """The items delivered without application, with their batches' counts."""
    items = list(db.session.scalars(_items()))
    counts = automatic.batch_counts(current_user, [i.id for i in items])
    return render_template("policy_window/automatic/index.html", items=items, counts=counts,
                           may_grant=current_user.has_role(*STAFF))


@bp.route("/items/<int:item_id>")
@roles_required(*STAFF)
def item(item_id: int):
    """One item: the match, the eligible list with estimates to review (exclusions with reasons), the batch."""
    found = _item(item_id)
    version = found.current
    windows = _windows()
    window = _chosen_window(windows, request.args.get("window", type=int))
    refusal = None
    try:
        automatic.check_version(version)
    except automatic.AutomaticError as exc:
        refusal = str(exc)
    run = matching.latest_run(version)
    listed = automatic.listing(version, run, window) if run is not None and window is not None else None
    form = BatchForm(formdata=None, run_id=str(run.id) if run else "", window_id=str(window.id) if window else "")
    return render_template("policy_window/automatic/item.html", item=found, version=version, run=run,
                           listed=listed, windows=windows, window=window, refusal=refusal, form=form,
                           match_form=EmptyForm(), batches=automatic.batches_of(current_user, found),
                           traces=current_user.has_role(Role.policy))


@bp.route("/items/<int:item_id>/match", methods=["POST"])
@roles_required(*STAFF)
def run_match(item_id: int):
    """Run the match of the item's current version now (or keep today's)."""
    found = _item(item_id)
    back = url_for(".item", item_id=item_id, window=request.args.get("window", type=int))
    return perform(EmptyForm(), lambda form: automatic.prepare(found.current, current_user),
                   done=lambda listed: _("Matched on %(day)s: %(n)d enterprises eligible.", day=listed.run.as_of,
                                         n=listed.counts.get("eligible", 0)),
                   back=back, refused=automatic.AutomaticError)


@bp.route("/items/<int:item_id>/batches", methods=["POST"])
@roles_required(*STAFF)
def create(item_id: int):
    """Make the batch of the reviewed list: one case and one SMS per enterprise left on it."""
    found = _item(item_id)
    form = BatchForm()
    window = _chosen_window(_windows(), int(form.window_id.data) if (form.window_id.data or "").isdigit() else None)
    back = url_for(".item", item_id=item_id, window=window.id if window else None)
    run_id = form.run_id.data
    run = db.session.get(PolicyMatchRun, int(run_id)) if (run_id or "").isdigit() else None
    if run is None or run.version.item_id != found.id or window is None or \
            str(window.id) != (form.window_id.data or ""):
        abort(404)

    def work(form: BatchForm):
        return automatic.create_batch(found.current, run, window, form.exclusions(request.form), current_user)

    def done(batch) -> str:
        return ngettext("Batch made: %(num)d enterprise asked to confirm, %(sent)d SMS sent.",
                        "Batch made: %(num)d enterprises asked to confirm, %(sent)d SMS sent.",
                        batch.counts["listed"], sent=batch.counts["sent"])

    return perform(form, work, done=done, back=back, then=lambda batch: url_for(".batch", batch_id=batch.id),
                   refused=automatic.AutomaticError, invalid=unconfirmed(back))


@bp.route("/items/<int:item_id>/batches")
@roles_required(*READERS)
def batches(item_id: int):
    """The item's batches (every version), each with its counts."""
    found = _item(item_id)
    return render_template("policy_window/automatic/batches.html", item=found,
                           batches=automatic.batches_of(current_user, found), may_grant=current_user.has_role(*STAFF))


@bp.route("/batches/<int:batch_id>")
@roles_required(*READERS)
def batch(batch_id: int):
    """One batch: per enterprise its answer, stage, amount and payment; the enterprises taken off with reasons."""
    found = automatic.batch_or_404(current_user, batch_id)
    return render_template("policy_window/automatic/batch.html", batch=found, rows=automatic.batch_cases(found),
                           exclusions=automatic.exclusions_of(found), case_url=_case_url)
