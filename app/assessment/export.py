"""The HR export of an assessment: XLSX (ranking, a sheet per dimension, the method) and CSV (UTF-8 with BOM).

Numbers are written as numbers, rounded as the pages show them (``ranking_rows``); the one writer
(``app.platform.exports``) makes every text cell formula-safe, so that a department name beginning with = + - @
is never run as a formula, and styles the sheets.
"""
from __future__ import annotations

from flask_babel import get_locale, gettext as _, pgettext
from sqlalchemy import select

from app.assessment.models import Assessment
from app.assessment.reports import assessment_dimensions, dimension_label, ranking_rows, trend
from app.assessment.schemes import channel_label, scheme_title
from app.extensions import db
from app.platform import exports, small_groups
from app.platform.exports import Sheet, sheet_title
from app.pool.models import RespondentCategory

RANKING_FORMATS = [None, None, None, "0.00", "0.00", "0.00", "0.00", "0", "0", None, "0", "+0.00;-0.00;0.00", None]
RANKING_WIDTHS = [7, 16, 30, 9, 8, 11, 11, 10, 10, 10, 8, 9, 10]
DIMENSION_FORMATS = [None, None, "0.00", "0.00", "0"]
DIMENSION_WIDTHS = [16, 30, 9, 8, 8]


def ranking_header() -> list[str]:
    """The ranking's column headers, in the reader's language (Chinese by default)."""
    return [_("Rank"), _("Department code"), _("Department"), pgettext("export", "Score"), _("SE"),
            _("95% CI low"), _("95% CI high"), _("Rank interval low"), _("Rank interval high"), _("Grade"),
            _("Raters"), pgettext("export", "Change"), _("Significant change")]


def ranking_table(assessment: Assessment) -> list[list]:
    """The ranking as rows of cells (header first), the same values the page shows."""
    rows = [ranking_header()]
    for r in ranking_rows(assessment):
        significant = None if r.change is None else (_("yes") if r.change_significant else _("no"))
        rows.append([r.rank, r.code, r.name, r.score, r.se, r.ci_low, r.ci_high, r.rank_low, r.rank_high, r.grade,
                     r.n, r.change, significant])
    return rows


def dimension_table(assessment: Assessment, dimension: str) -> list[list]:
    """One dimension's means per department (header first); a department nobody rated on it has 0 raters."""
    rows = [[_("Department code"), _("Department"), _("Mean"), _("SE"), _("Raters")]]
    for r in ranking_rows(assessment):
        d = r.dimensions.get(dimension)
        rows.append([r.code, r.name, d["mean"] if d else None, d["se"] if d else None, d["n"] if d else 0])
    return rows


def trend_table() -> list[list]:
    """The published scores of every department, round by round (header first): the trend chart's series."""
    data = trend()
    return [[_("Department"), *data["months"]], *([name, *values] for name, values in data["series"].items())]


def policy_weights_text(weights: dict[str, float]) -> str:
    """The policy weights as the schemes page shows them, by the categories' names: a weight of 0 leaves its
    category out of the scores."""
    locale = str(get_locale() or "zh")
    names = {c.key: c.label(locale) for c in db.session.scalars(select(RespondentCategory))}
    return ", ".join(f"{names.get(key, key)} {weight:g}" + (_(" (left out)") if weight == 0 else "")
                     for key, weight in weights.items())


def status_label(assessment: Assessment) -> str:
    return {"scored": _("Scored, not yet published"), "published": _("Published"),
            "superseded": _("Superseded by a correction")}[assessment.status.value]


def method_lines(assessment: Assessment) -> list[tuple[str, str]]:
    """The method sheet: what was computed, with which scheme version and inputs."""
    scheme, campaign = assessment.scheme, assessment.campaign
    bands = ", ".join(f"{label} ≥ {bound:g}" if bound is not None else _("%(label)s below", label=label)
                      for label, bound in scheme.grade_bands)
    return [
        (pgettext("export", "Round"), f"{campaign.month} {campaign.title}"),
        (_("Assessment version"), str(assessment.version)),
        (_("Status"), status_label(assessment)),
        (_("Scheme"), scheme_title(scheme)),
        (_("Input SHA-256"), assessment.input_hash),
        (_("Rank-interval seed"), str(assessment.seed)),
        (_("Invited / responded"), f"{assessment.invited} / {assessment.responded}"),
        (_("Policy weights"), policy_weights_text(scheme.policy_weights)),
        (_("Channel weights"), ", ".join(f"{channel_label(k)} {v:g}" for k, v in scheme.channel_weights.items())),
        (_("Channels combined"), ", ".join(channel_label(k) for k in sorted(assessment.details.get("channels", {})))),
        (_("Grade bands"), bands),
        (_("Minimum raters to be ranked"), str(scheme.min_raters)),
        (_("Correction reason"), assessment.correction_reason or ""),
        (_("Method"), _(
            "A respondent's score for a department is the weighted mean of the scored items answered "
            "(not familiar = missing). Weights d = 1/π, adjusted for non-response within each stratum. "
            "A department's score is the design-weighted domain mean per respondent category, combined with "
            "the policy weights; its SE is Taylor-linearised for the stratified design with finite-population "
            "correction; 95% CI = score ± 1.96 SE. Rank intervals: 2.5% and 97.5% quantiles of the ranks over "
            "simulated draws of the scores. Change vs the previous published round is significant when "
            "|Δ| / sqrt(SE1² + SE0²) > 1.96. Details: docs/ASSESSMENT.md.")),
        (_("Liaison threshold"), _("No breakdown is shown to department liaisons for fewer than %(k)d raters.",
                                   k=small_groups.k())),
    ]


def sheets(assessment: Assessment) -> list[Sheet]:
    """The workbook's sheets: the ranking, one per dimension, the trend over rounds, the method."""
    ranking, method, trend_title = _("Ranking"), _("Method"), _("Trend over rounds")
    used = {ranking, method, trend_title}
    per_dimension = [Sheet(sheet_title(dimension_label(assessment.campaign, dimension), used), dimension_table(assessment, dimension), DIMENSION_FORMATS,
                           DIMENSION_WIDTHS) for dimension in assessment_dimensions(assessment)]
    trend_rows = trend_table()
    return [Sheet(ranking, ranking_table(assessment), RANKING_FORMATS, RANKING_WIDTHS), *per_dimension,
            Sheet(trend_title, trend_rows, [None, *["0.00"] * (len(trend_rows[0]) - 1)], [30]),
            Sheet(method, [[_("Item"), _("Value")], *[list(line) for line in method_lines(assessment)]],
                  [None, None], [28, 100], wrap=(2,))]


def xlsx_bytes(assessment: Assessment) -> bytes:
    """The formatted workbook: the ranking, one sheet per dimension (named by its label), the trend, the method."""
    return exports.xlsx_bytes(sheets(assessment))


def csv_bytes(assessment: Assessment) -> bytes:
    """The ranking as CSV, UTF-8 with a BOM so that Excel reads the Chinese names; figures with 2 decimals."""
    return exports.csv_bytes(["" if v is None else (f"{v:.2f}" if isinstance(v, float) else v) for v in row]
                             for row in ranking_table(assessment))


def as_bytes(assessment: Assessment, fmt: str) -> bytes:
    """The export in ``fmt``: "xlsx" or "csv" (anything else is a KeyError)."""
    return {"xlsx": xlsx_bytes, "csv": csv_bytes}[fmt](assessment)


def filename(assessment: Assessment, ext: str) -> str:
    """The download's file name: the round's month and the assessment version."""
    return f"assessment-{assessment.campaign.month}-v{assessment.version}.{ext}"
