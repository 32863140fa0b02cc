"""The 三率 page (blueprint ``casework_rates``): per department and per kind of case, for a chosen period.

Staff of the supervising office choose any period. A department-side reader (a liaison) sees its own department
only, by whole months that have ended, and no 满意率 resting on fewer than k verdicts (``app.platform.small_groups``):
a department knows each case it handled, so a rate of a few verdicts would tell it what each raiser said.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _, pgettext
from flask_login import current_user

from app.casework import rates
from app.casework.labels import kind_label
from app.casework.models import CaseKind
from app.departments.models import Department
from app.extensions import db
from app.platform import small_groups
from app.platform.access import roles_required
from app.platform.calendar import local_today
from app.platform.dates import period_from_query
from app.platform.roles import Role

bp = Blueprint("casework_rates", __name__)

ALL = ""  # the key of every kind together


def rate_labels() -> dict[str, str]:
    """The four rates' names (响应率 is not a survey's response rate: hence the context)."""
    return {"response": pgettext("casework", "Response rate"), "on_time": _("On-time rate"),
            "solved": _("Solved rate"), "satisfaction": _("Satisfaction rate")}


def _sections(start: date, end: date, today: date) -> list[tuple[str, str, rates.RatesTable]]:
    """(kind key, heading, table): every kind together, then each kind."""
    sections = [(ALL, _("All kinds"), rates.rates(start, end, today))]
    sections += [(kind.value, kind_label(kind), rates.rates(start, end, today, kind)) for kind in CaseKind]
    return sections


@bp.route("/admin/casework/rates")
@roles_required(Role.complaints, Role.forum, Role.hr, Role.auditor, Role.liaison)
def index():
    """三率 per department and per kind: 响应率, 按期办结率, 解决率, 满意率, each with its n."""
    today = local_today()
    department_side = small_groups.department_side(current_user)
    if department_side:
        month, months, refused = small_groups.choose_month(request.args.get("month"), today)
        if refused:
            flash(_("Month: choose one of the months listed (whole months that have ended)."), "error")
        start, end = month, small_groups.month_end(month)
    else:
        start, end = period_from_query(request.args, date(today.year, 1, 1))
        month, months = None, []
    sections = _sections(start, end, today)
    withheld: set[str] = set()
    if department_side:
        own = current_user.department_id
        sections = [(key, heading, rates.RatesTable({d: f for d, f in table.departments.items() if d == own},
                                                    table.city)) for key, heading, table in sections]
        verdicts = {key: table.departments[own].closings.verdicts if own in table.departments else 0
                    for key, _heading, table in sections if key != ALL}
        rule = small_groups.suppress(verdicts, small_groups.k())
        withheld = set(rule.cells) | ({ALL} if rule.total else set())
    departments = list(db.session.scalars(Department.ordered()))
    return render_template("casework/rates.html", sections=sections, departments=departments, start=start, end=end,
                           month=month, months=months, department_side=department_side, withheld=withheld,
                           k=small_groups.k(), labels=rate_labels(), weight=rates.basically_weight(),
                           workdays=rates.acknowledge_workdays())
