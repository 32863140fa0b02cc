"""The public policy catalogue (惠企政策), no login: ``/policies`` (search and filters, a plain GET form) and
``/policies/<code>`` (one published item in plain words, with the self-check: a POST form whose figures are matched
and shown, never stored)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from app.extensions import limiter
from app.platform.access import visitors
from app.platform.calendar import local_today
from app.policy import labels, public
from app.policy.explain import RESULT_HINTS, result_label
from app.policy.models import ItemKind, PolicyLevel
from app.policy.public_forms import answers_of, self_check_form
from eligibility.fields import SIZES
from rules.expressions import ExpressionError

bp = Blueprint("policy_public", __name__)
DEFAULT_SELF_CHECK_LIMIT = "30 per hour"


@bp.app_template_global()
def policy_public_labels():
    """The catalogue's label functions, for its templates."""
    return {"kind": labels.kind_label, "mode": labels.mode_label, "level": labels.level_label,
            "result": result_label, "section": public.section_label, "hint": lambda r: str(RESULT_HINTS[r])}


@bp.route("/policies")
@visitors
def index():
    """The published items, searched by text and narrowed by kind, department, level, size and industry."""
    filters = public.CatalogueFilter.from_args(request.args)
    page = public.paginate(public.search(filters), request.args.get("page", 1, type=int))
    return render_template("policy/public/index.html", page=page, filters=filters,
                           kinds=list(ItemKind), levels=list(PolicyLevel), sizes=SIZES,
                           sections=public.SECTIONS, departments=public.departments())


def _self_check_limit() -> str:
    return current_app.config.get("POLICY_SELF_CHECK_RATE_LIMIT", DEFAULT_SELF_CHECK_LIMIT)


@bp.route("/policies/<code>", methods=["GET", "POST"])
@visitors
@limiter.limit(_self_check_limit, methods=["POST"])
def item(code: str):
    """One item: what it gives, to whom, how, where; and the self-check against its conditions."""
    entry = public.published(code)
    version = entry.version
    try:
        keys = public.asked_fields(version)
        form = self_check_form(keys, public.mentioned_qualifications(version))
    except ExpressionError:  # a rule that does not parse (the catalogue refuses them): no self-check, no 500
        keys, form = [], None
    check = None
    if form is not None and request.method == "POST" and form.validate_on_submit():
        check = public.self_check(version, answers_of(form, keys), local_today())
    return render_template("policy/public/item.html", entry=entry, version=version, policy=entry.policy,
                           form=form, keys=keys, check=check, windows=public.windows(),
                           conditions=public.conditions(version),
                           benefit_words=public.benefit_words(public.benefit_of(version)), money=public.money,
                           source=public.source_link(entry.policy.source_url))

