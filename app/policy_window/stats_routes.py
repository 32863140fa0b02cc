"""The policy window's statistics pages (blueprint ``policy_stats``, /admin/window/stats): per item, department and
window for a chosen period (default: this month), with charts, and the XLSX export.

The policy officer (and the administrator) see every window; window staff see their own window's figures only
(``scope``): the figures are computed from that window's cases and consultations, and no push count is shown
(a push belongs to no window). HR reads the departments' rates through the assessment's ``policy`` channel, not
here.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.platform.access import roles_required
from app.platform.calendar import local_today
from app.platform.dates import period_from_query
from app.platform.exports import download
from app.platform.roles import Role
from app.policy_window import scope, stats, stats_export

bp = Blueprint("policy_stats", __name__, url_prefix="/admin/window/stats")

NOBODY = 0  # the window id of window staff not yet posted: no case has it


def _window_id() -> int | None:
    """None (every window) for the policy officer; the reader's own window otherwise."""
    if scope.sees_every_window(current_user):
        return None
    window = scope.window_of(current_user)
    return window.id if window is not None else NOBODY


def _period() -> tuple[date, date]:
    today = local_today()
    return period_from_query(request.args, today.replace(day=1))


def chart_data(found: stats.Figures) -> dict:
    """What the charts draw (the tables show the same figures): per department and per item."""
    def series(groups):
        return [{"name": g.label, "applications": g.applications, "approvals": g.approvals,
                 "rejections": g.rejections, "median": g.median_days, "p90": g.p90_days,
                 "promised": g.promised_days[-1] if g.promised_days else None,
                 "on_time": None if g.on_time.value is None else round(100 * g.on_time.value, 1)}
                for g in groups]
    return {"departments": series(found.departments), "items": series(found.items)}


@bp.route("/")
@roles_required(Role.policy, Role.window)
def index():
    """The period's figures per item, department and window, with charts."""
    start, end = _period()
    window_id = _window_id()
    found = stats.figures(start, end, window_id=window_id)
    own = scope.window_of(current_user) if window_id is not None else None
    return render_template("policy_window/stats/index.html", figures=found, start=start, end=end, own=own,
                           charts=chart_data(found), method=stats_export.method_lines(found))


@bp.route("/export.xlsx")
@roles_required(Role.policy, Role.window)
def export():
    """The same figures as a workbook, with the method and the digest of the case rows."""
    start, end = _period()
    found = stats.figures(start, end, window_id=_window_id())
    return download(stats_export.xlsx_bytes(found), stats_export.filename(found))
