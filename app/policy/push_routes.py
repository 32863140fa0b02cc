"""Matching and precise push: the policy officer's pages (/admin/policy/push/…) and the enterprise's page (/p/…).

Staff: an item's current version — run a match, its counts per result and district, the enterprises of each
result with the reason in one line and the full trace one click away, the push with a preview of its counts and a
confirmation naming the number of SMS, and the item's past pushes. The enterprise: ``/p/<token>``, the personal
link of one notice (masked in every log by app.platform.log_masking), and its opt-out.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db, limiter
from app.platform.access import roles_required, visitors
from app.platform.actions import perform, unconfirmed
from app.platform.forms import EmptyForm
from app.platform.roles import Role
from app.policy import matching, notices, push
from app.policy.explain import RESULT_LABELS, lines, result_label, summary
from app.policy.models import ItemStatus, PolicyItem, PolicyMatchResult, PolicyMatchRun
from app.policy.push_forms import PreviewForm, PushForm
from eligibility.evaluation import Result

bp = Blueprint("policy_push", __name__)

PREFIX = "/admin/policy/push"
PER_PAGE = 50
ALL = "*"  # the district filter's "every district" (the empty district is a real value: not recorded)


@bp.app_template_global()
def policy_push_labels():
    """The labels the push's pages read."""
    return {"result": result_label, "results": [(r.value, RESULT_LABELS[r]) for r in Result],
            "district": lambda d: d or _("District not recorded")}


def _district_choices(run: PolicyMatchRun | None) -> list[tuple[str, str]]:
    return [(d, d or _("District not recorded")) for d in (run.by_district if run else {})]


# --------------------------------------------------------------------------- staff

@bp.route(PREFIX + "/")
@roles_required(Role.policy)
def index():
    """Every item with a current version, and its newest match's counts."""
    items = list(db.session.scalars(select(PolicyItem).where(PolicyItem.current_version_id.is_not(None))
                                    .order_by(PolicyItem.code)))
    runs = {item.id: matching.latest_run(item.current) for item in items}
    return render_template("policy/push/index.html", items=items, runs=runs)


def _item(item_id: int) -> PolicyItem:
    item = db.get_or_404(PolicyItem, item_id)
    if item.current is None:
        abort(404)
    return item


@bp.route(PREFIX + "/items/<int:item_id>")
@roles_required(Role.policy)
def item(item_id: int):
    """One item: match, counts, the enterprises per result, the push with its preview, past pushes."""
    found = _item(item_id)
    version = found.current
    run = matching.latest_run(version)
    result = request.args.get("result", "")
    result = result if result in {r.value for r in Result} else ""
    district = request.args.get("district", ALL)
    page = None
    if run is not None:
        page = db.paginate(matching.results_query(run, result or None, None if district == ALL else district),
                           per_page=PER_PAGE, error_out=False)
    previewing = "preview" in request.args
    preview_form = PreviewForm(formdata=request.args if previewing else None)
    preview_form.set_districts(_district_choices(run))
    counts, refusal, push_form = None, None, None
    if previewing and run is not None and preview_form.validate():
        criteria = preview_form.criteria()
        try:
            push.check(run, criteria)
            counts = push.preview(run, criteria)
        except push.PushError as exc:
            refusal = str(exc)
        push_form = PushForm(formdata=None, run_id=str(run.id))
    history = push.pushes([v.id for v in found.versions])
    return render_template("policy/push/item.html", item=found, version=version, run=run, page=page,
                           result=result, district=district, all_districts=ALL, preview_form=preview_form,
                           counts=counts, refusal=refusal, push_form=push_form, match_form=EmptyForm(),
                           history=history, summary=lambda r: summary(version if run is None else run.version,
                                                                      r.result, r.trace),
                           published=found.status == ItemStatus.published)


@bp.route(PREFIX + "/items/<int:item_id>/match", methods=["POST"])
@roles_required(Role.policy)
def run_match(item_id: int):
    """Match the item's current version against every enterprise profile now."""
    found = _item(item_id)
    return perform(EmptyForm(), lambda form: matching.run(found.current, current_user),
                   done=lambda run: _("%(n)d enterprises matched.", n=run.profiles),
                   back=url_for(".item", item_id=item_id))


@bp.route(PREFIX + "/items/<int:item_id>/send", methods=["POST"])
@roles_required(Role.policy)
def send(item_id: int):
    """Send the item to the enterprises the confirmed criteria choose, from the previewed match."""
    found = _item(item_id)
    back = url_for(".item", item_id=item_id)
    run_id = request.form.get("run_id", type=int)
    run = db.session.get(PolicyMatchRun, run_id) if run_id else None
    if run is None or run.version.item_id != found.id:
        abort(404)
    form = PushForm()
    form.set_districts(_district_choices(run))

    def work(form: PushForm):
        return push.send(run, form.criteria(), current_user, background=True)

    def done(sent) -> str:
        if not sent.counts:
            return _("Sending in the background: refresh the page to see the counts.")
        return _("%(sent)d SMS sent; %(already)d had been sent this version before, %(capped)d held back by the "
                 "daily cap, %(failed)d refused by the gateway.", **sent.counts)

    return perform(form, work, done=done, back=back, refused=push.PushError, invalid=unconfirmed(back))


@bp.route(PREFIX + "/results/<int:result_id>")
@roles_required(Role.policy)
def result(result_id: int):
    """One enterprise's result in a run, with the full trace."""
    found = db.get_or_404(PolicyMatchResult, result_id)
    version = found.run.version
    return render_template("policy/push/result.html", found=found, version=version,
                           lines=lines(version, found.trace), summary=summary(version, found.result, found.trace))


# --------------------------------------------------------------------------- the enterprise's page

def _refusal(access: notices.Access):
    status = 410 if access == notices.Access.expired else 404
    return render_template("policy/notice/invalid.html", expired=access == notices.Access.expired), status


def _own_site_referrer(response):
    """The address carries the token: no Referer leaves the site; its forms (apply, opt out) send one to the site
    itself, as Flask-WTF wants over HTTPS (same-origin, the site's default, said here on purpose)."""
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.route(push.LINK_PATH + "<token>")
@visitors
@limiter.limit(lambda: current_app.config["POLICY_LINK_RATE_LIMIT"])
def notice(token: str):
    """The enterprise's page of one pushed item: what it gets, why it matches, what to bring, where to go."""
    access, found = notices.access(token)
    if found is None:
        return _refusal(access)
    notices.mark_opened(found)
    db.session.commit()
    response = current_app.make_response(render_template(
        "policy/notice/page.html", page=notices.page(found), token=token, form=EmptyForm()))
    return _own_site_referrer(response)


@bp.route(push.LINK_PATH + "<token>/opt-out", methods=["POST"])
@visitors
@limiter.limit(lambda: current_app.config["POLICY_LINK_RATE_LIMIT"])
def opt_out(token: str):
    """No more policy messages to this enterprise."""
    access, found = notices.access(token)
    if found is None:
        return _refusal(access)
    if not EmptyForm().validate_on_submit():
        abort(400)
    notices.opt_out(found)
    db.session.commit()
    flash(_("Your enterprise will receive no more policy messages."), "success")
    return _own_site_referrer(redirect(url_for(".notice", token=token)))
