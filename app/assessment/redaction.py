"""The small-group rule (DESIGN.md) on a department's survey page: a department's liaison sees no figure that fewer
than k raters gave, nor a breakdown from which one could be recovered by subtraction; and nobody reads a department's
figures, breakdowns or comments on its page when fewer than k respondents rated it. k and the rule are the
platform's (``app.platform.small_groups``), shared with every other channel.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.platform import small_groups

if TYPE_CHECKING:
    from app.assessment.reports import RankingRow


@dataclass(frozen=True)
class Redacted:
    """What a department's page may show: its row with the protected figures blanked, and what is withheld."""

    row: RankingRow
    enough: bool  # k raters or more: the department's figures are shown at all
    hide_categories: bool  # the respondent-category breakdown is withheld as a whole
    hide_dimensions: bool  # the dimension breakdown (and the answer counts per dimension) are withheld as a whole
    show_comments: bool


def _small(figures: dict | None, k: int) -> bool:
    return figures is None or not small_groups.enough(figures["n"], k)


def redact(row: RankingRow, dimensions: list[str], *, liaison: bool, comments_released: bool) -> Redacted:
    """The figures of ``row`` that its department's page may show to a liaison (``liaison``) or to HR.

    A breakdown group of fewer than k raters is blanked (None) for a liaison; one such group withholds its whole
    breakdown, since the total and the other groups would give it back by subtraction. Under k raters in all,
    nothing is shown to anyone. A liaison reads comments only once they are released.
    """
    k = small_groups.k()
    enough = small_groups.enough(row.n, k)
    if not enough:
        row = replace(row, rank=None, score=None, se=None, ci_low=None, ci_high=None, rank_low=None,
                      rank_high=None, change=None, change_significant=False, dimensions={}, categories={})
        return Redacted(row, False, True, True, False)
    # One small group withholds its whole breakdown: the total and the other groups would give it back.
    hide_categories = liaison and bool(small_groups.suppress({c: m["n"] for c, m in row.categories.items()}, k).cells)
    hide_dimensions = liaison and bool(small_groups.suppress(
        {d: row.dimensions[d]["n"] for d in dimensions if d in row.dimensions}, k).cells)
    if liaison:
        row = replace(
            row, categories={c: None if hide_categories or _small(m, k) else m for c, m in row.categories.items()},
            dimensions={d: None if hide_dimensions or _small(m, k) else m for d, m in row.dimensions.items()})
    return Redacted(row, True, hide_categories, hide_dimensions, not liaison or comments_released)
