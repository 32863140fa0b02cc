"""The HR export of an assessment: XLSX (ranking, a sheet per dimension, the method) and CSV (UTF-8 with BOM).

Numbers are written as numbers, rounded as the pages show them (``ranking_rows``); the one writer
(``app.platform.exports``) makes every text cell formula-safe, so that a department name beginning with = + - @
is never run as a formula, and styles the sheets.
"""
from __future__ import annotations

from app.assessment.models import Assessment
from app.assessment.redaction import K_ANONYMITY
from app.assessment.reports import assessment_dimensions, ranking_rows
from app.platform import exports
from app.platform.exports import Sheet, sheet_title

RANKING_HEADER = ["Rank", "Department code", "Department", "Score", "SE", "95% CI low", "95% CI high",
                  "Rank interval low", "Rank interval high", "Grade", "Raters", "Change", "Significant change"]
RANKING_FORMATS = [None, None, None, "0.00", "0.00", "0.00", "0.00", "0", "0", None, "0", "+0.00;-0.00;0.00", None]
RANKING_WIDTHS = [7, 16, 30, 9, 8, 11, 11, 10, 10, 10, 8, 9, 10]
DIMENSION_HEADER = ["Department code", "Department", "Mean", "SE", "Raters"]
DIMENSION_FORMATS = [None, None, "0.00", "0.00", "0"]
DIMENSION_WIDTHS = [16, 30, 9, 8, 8]


def ranking_table(assessment: Assessment) -> list[list]:
    """The ranking as rows of cells (header first), the same values the page shows."""
    rows = [list(RANKING_HEADER)]
    for r in ranking_rows(assessment):
        rows.append([r.rank, r.code, r.name, r.score, r.se, r.ci_low, r.ci_high, r.rank_low, r.rank_high, r.grade,
                     r.n, r.change, ("yes" if r.change_significant else "no") if r.change is not None else None])
    return rows


def dimension_table(assessment: Assessment, dimension: str) -> list[list]:
    """One dimension's means per department (header first); a department nobody rated on it has 0 raters."""
    rows = [list(DIMENSION_HEADER)]
    for r in ranking_rows(assessment):
        d = r.dimensions.get(dimension)
        rows.append([r.code, r.name, d["mean"] if d else None, d["se"] if d else None, d["n"] if d else 0])
    return rows


def policy_weights_text(weights: dict[str, float]) -> str:
    """The policy weights as the schemes page shows them: a weight of 0 leaves its category out of the scores."""
    return ", ".join(f"{key} {weight:g}" + (" (left out)" if weight == 0 else "") for key, weight in weights.items())


def method_lines(assessment: Assessment) -> list[tuple[str, str]]:
    """The method sheet: what was computed, with which scheme version and inputs."""
    scheme, campaign = assessment.scheme, assessment.campaign
    bands = ", ".join(f"{label} ≥ {bound:g}" if bound is not None else f"{label} below"
                      for label, bound in scheme.grade_bands)
    return [
        ("Round", f"{campaign.month} {campaign.title}"),
        ("Assessment version", str(assessment.version)),
        ("Status", assessment.status.value),
        ("Scheme", f"{scheme.name} version {scheme.version}"),
        ("Input SHA-256", assessment.input_hash),
        ("Rank-interval seed", str(assessment.seed)),
        ("Invited / responded", f"{assessment.invited} / {assessment.responded}"),
        ("Policy weights", policy_weights_text(scheme.policy_weights)),
        ("Channel weights", ", ".join(f"{k} {v:g}" for k, v in scheme.channel_weights.items())),
        ("Channels combined", ", ".join(sorted(assessment.details.get("channels", {})))),
        ("Grade bands", bands),
        ("Minimum raters to be ranked", str(scheme.min_raters)),
        ("Correction reason", assessment.correction_reason or ""),
        ("Method", "A respondent's score for a department is the weighted mean of the scored items answered "
                   "(not familiar = missing). Weights d = 1/π, adjusted for non-response within each stratum. "
                   "A department's score is the design-weighted domain mean per respondent category, combined with "
                   "the policy weights; its SE is Taylor-linearised for the stratified design with finite-population "
                   "correction; 95% CI = score ± 1.96 SE. Rank intervals: 2.5% and 97.5% quantiles of the ranks over "
                   "simulated draws of the scores. Change vs the previous published round is significant when "
                   "|Δ| / sqrt(SE1² + SE0²) > 1.96. Details: docs/ASSESSMENT.md."),
        ("Liaison threshold", f"No breakdown is shown to department liaisons for fewer than {K_ANONYMITY} raters."),
    ]


def sheets(assessment: Assessment) -> list[Sheet]:
    """The workbook's sheets: Ranking, one per dimension, Method."""
    used = {"Ranking", "Method"}
    per_dimension = [Sheet(sheet_title(dimension, used), dimension_table(assessment, dimension), DIMENSION_FORMATS,
                           DIMENSION_WIDTHS) for dimension in assessment_dimensions(assessment)]
    return [Sheet("Ranking", ranking_table(assessment), RANKING_FORMATS, RANKING_WIDTHS), *per_dimension,
            Sheet("Method", [["Item", "Value"], *[list(line) for line in method_lines(assessment)]], [None, None],
                  [28, 100], wrap=(2,))]


def xlsx_bytes(assessment: Assessment) -> bytes:
    """The formatted workbook: Ranking, one sheet per dimension, Method."""
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
