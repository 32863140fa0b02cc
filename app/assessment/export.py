"""The HR export of an assessment: XLSX (ranking, a sheet per dimension, the method) and CSV (UTF-8 with BOM).

Numbers are written as numbers, rounded as the pages show them (``ranking_rows``);
every text cell passes through ``formula_safe`` so that a department name
beginning with = + - @ is never run as a formula.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.assessment.models import Assessment
from app.assessment.scoring import K_ANONYMITY, dimension_keys, ranking_rows
from app.platform.exports import csv_bytes as _csv_bytes, formula_safe

RANKING_HEADER = ["Rank", "Department code", "Department", "Score", "SE", "95% CI low", "95% CI high",
                  "Rank interval low", "Rank interval high", "Grade", "Raters", "Change", "Significant change"]
RANKING_FORMATS = [None, None, None, "0.00", "0.00", "0.00", "0.00", "0", "0", None, "0", "+0.00;-0.00;0.00", None]
RANKING_WIDTHS = [7, 16, 30, 9, 8, 11, 11, 10, 10, 10, 8, 9, 10]
DIMENSION_HEADER = ["Department code", "Department", "Mean", "SE", "Raters"]


def ranking_table(assessment: Assessment) -> list[list]:
    """The ranking as rows of cells (header first), the same values the page shows."""
    rows = [list(RANKING_HEADER)]
    for r in ranking_rows(assessment):
        rows.append([r.rank, formula_safe(r.code), formula_safe(r.name), r.score, r.se, r.ci_low, r.ci_high,
                     r.rank_low, r.rank_high, formula_safe(r.grade), r.n, r.change,
                     ("yes" if r.change_significant else "no") if r.change is not None else None])
    return rows


def dimension_table(assessment: Assessment, dimension: str) -> list[list]:
    rows = [list(DIMENSION_HEADER)]
    for r in ranking_rows(assessment):
        d = r.dimensions.get(dimension)
        rows.append([formula_safe(r.code), formula_safe(r.name), d["mean"] if d else None, d["se"] if d else None,
                     d["n"] if d else 0])
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


def _sheet(ws, rows, formats, widths) -> None:
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    for i, (fmt, width) in enumerate(zip(formats, widths), start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = width
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt


def _sheet_title(text: str, used: set[str]) -> str:
    title = "".join(c for c in text if c not in "[]:*?/\\")[:31] or "dimension"
    while title in used:
        title = title[:28] + f"_{len(used)}"
    used.add(title)
    return title


def xlsx_bytes(assessment: Assessment) -> bytes:
    """The formatted workbook: Ranking, one sheet per dimension, Method."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Ranking"
    _sheet(ws, ranking_table(assessment), RANKING_FORMATS, RANKING_WIDTHS)
    used = {"Ranking", "Method"}
    for dimension in dimension_keys(assessment.campaign):
        _sheet(wb.create_sheet(_sheet_title(dimension, used)), dimension_table(assessment, dimension),
               [None, None, "0.00", "0.00", "0"], [16, 30, 9, 8, 8])
    method = wb.create_sheet("Method")
    _sheet(method, [["Item", "Value"], *[[formula_safe(k), formula_safe(v)] for k, v in method_lines(assessment)]],
           [None, None], [28, 100])
    for (cell,) in method.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(assessment: Assessment) -> bytes:
    """The ranking as CSV, UTF-8 with a BOM so that Excel reads the Chinese names."""
    return _csv_bytes(["" if v is None else (f"{v:.2f}" if isinstance(v, float) else v) for v in row]
                      for row in ranking_table(assessment))


def filename(assessment: Assessment, ext: str) -> str:
    return f"assessment-{assessment.campaign.month}-v{assessment.version}.{ext}"
