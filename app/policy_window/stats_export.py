"""The policy window's statistics as a workbook: a sheet per item, department and window, and a method sheet
that explains every figure and carries the SHA-256 of the case rows used (like the assessment's export)."""
from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _, pgettext

from app.platform import exports
from app.platform.exports import Sheet, sheet_title
from app.policy_window import stats


def _rate(rate: stats.Rate) -> float | None:
    return None if rate.value is None else round(rate.value, 4)


def header(with_budget: bool) -> list[str]:
    columns = [_("Name"), _("Pushes"), _("Consultations"), _("Applications"), pgettext("policy stats", "Approvals"), _("Rejections"),
               _("Amount approved (10k yuan)"), _("Amount paid (10k yuan)"), _("Finished cases"),
               _("Median working days"), _("90th percentile of working days"), _("Promised working days"),
               pgettext("policy stats", "On-time rate"), _("Cases judged for timeliness"), _("Delivered rate"), _("Approved cases"),
               _("Supplement requests per case"), _("Share finished with one visit"), _("Delivered cases")]
    if with_budget:
        columns += [_("Budget (10k yuan)"), _("Paid against the budget (10k yuan)"), _("Budget used")]
    return columns


def row(group: stats.Group, with_budget: bool) -> list:
    cells = [group.label, group.pushes, group.consultations, group.applications, group.approvals, group.rejections,
             group.approved_amount, group.paid_amount, group.finished, group.median_days, group.p90_days,
             "、".join(str(d) for d in group.promised_days), _rate(group.on_time), group.on_time.denominator,
             _rate(group.delivered), group.delivered.denominator, group.supplements_per_case,
             _rate(group.one_visit), group.one_visit.denominator]
    if with_budget:
        cells += [group.budget, group.budget_used,
                  None if group.budget_share is None else round(group.budget_share, 4)]
    return cells


FORMATS = [None, "0", "0", "0", "0", "0", "0.00", "0.00", "0", "0", "0", None, "0.0%", "0", "0.0%", "0", "0.00",
           "0.0%", "0"]
WIDTHS = [28] + [12] * 18


def table(groups: list[stats.Group], total: stats.Group | None, with_budget: bool = False) -> list[list]:
    rows = [header(with_budget), *[row(g, with_budget) for g in groups]]
    if total is not None:
        rows.append(row(replace(total, label=_("Total")), False) + ([None] * 3 if with_budget else []))
    return rows


def method_lines(found: stats.Figures) -> list[tuple[str, str]]:
    """Every figure, what it counts: the method sheet (and the page's notes)."""
    return [
        (_("Period"), f"{found.start.isoformat()} — {found.end.isoformat()}"),
        (_("Judged as of"), found.as_of.isoformat()),
        (_("Cases used"), str(found.cases)),
        (_("Input SHA-256"), found.digest),
        (_("Cases of the period"), _(
            "Applications and 免申即享 offers handed in on a day of the period (local days, both ends included); "
            "online drafts never handed in are left out. Every case figure counts these cases, whatever happened "
            "to them since, so a period's figures grow until its cases are finished.")),
        (_("Pushes"), _("Policy notices sent to enterprises in the period; not counted per window.")),
        (_("Consultations"), _("Questions asked in the period, at the window, by phone or online.")),
        (pgettext("policy stats", "Approvals"), _("Cases approved or partly approved and past the window's review (to be paid, paid, "
                           "or received).")),
        (_("Rejections"), _("Cases not approved.")),
        (_("Amounts"), _("In 10k yuan: the approved amounts of the approvals, and every payment recorded on the "
                         "cases.")),
        (_("Working days"), _(
            "Working days of the city's calendar (weekends, holidays and make-up working days) after the day of "
            "the application up to and including the day it was finished: the day of its last payment, or for a "
            "non-money item the day its delivery was recorded.")),
        (_("Median and 90th percentile"), _(
            "Over the finished cases, by nearest rank: the smallest value with at least 50% (90%) of the values "
            "at or below it (numpy.percentile, method inverted_cdf).")),
        (pgettext("policy stats", "On-time rate"), _(
            "Cases finished within the item's promised working days, among the judged cases: the finished ones "
            "and the unfinished ones whose promised time ran out before the day judged. Rejected, withdrawn and "
            "declined cases are not judged.")),
        (_("Delivered rate"), _("Cases paid and confirmed by the enterprise, among the approvals.")),
        (_("Supplement requests per case"), _("The mean number of requests for missing materials (一次性告知) "
                                             "per case.")),
        (_("Share finished with one visit"), _("Received cases for which the enterprise came to the window at "
                                              "most once, among the received cases.")),
        (_("Budget used"), _("Per item: every payment on its cases up to the end of the period, against the "
                             "budget of its current version.")),
        (_("About the input SHA-256"), _("SHA-256 over the case rows used, one line per case in order of tracking number: "
                               "any changed case changes it.")),
    ]


def sheets(found: stats.Figures) -> list[Sheet]:
    names = (_("By item"), _("By department"), _("By window"), _("Method"))
    used = set()
    titles = [sheet_title(name, used) for name in names]
    return [
        Sheet(titles[0], table(found.items, None, True), FORMATS + ["0.00", "0.00", "0.0%"], WIDTHS + [14] * 3),
        Sheet(titles[1], table(found.departments, found.total), FORMATS, WIDTHS),
        Sheet(titles[2], table(found.windows, None), FORMATS, WIDTHS),
        Sheet(titles[3], [[_("Item"), _("Value")], *[list(line) for line in method_lines(found)]], [None, None],
              [28, 100], wrap=(2,)),
    ]


def xlsx_bytes(found: stats.Figures) -> bytes:
    return exports.xlsx_bytes(sheets(found))


def filename(found: stats.Figures) -> str:
    return f"policy-window-stats-{found.start.isoformat()}-{found.end.isoformat()}.xlsx"
