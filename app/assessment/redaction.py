"""The small-group rule (DESIGN.md): a department's liaison sees no figure that fewer than K raters gave, nor a
breakdown from which one could be recovered by subtraction; and nobody reads a department's figures, breakdowns or
comments on its page when fewer than K respondents rated it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.assessment.reports import RankingRow

K_ANONYMITY = 5  # DESIGN.md: no breakdown of fewer than k raters for liaisons


@dataclass(frozen=True)
class Redacted:
    """What a department's page may show: its row with the protected figures blanked, and what is withheld."""

    row: RankingRow
    enough: bool  # K raters or more: the department's figures are shown at all
    hide_categories: bool  # the respondent-category breakdown is withheld as a whole
    hide_dimensions: bool  # the dimension breakdown (and the answer counts per dimension) are withheld as a whole
    show_comments: bool


def _small(figures: dict | None) -> bool:
    return figures is None or figures["n"] < K_ANONYMITY


def redact(row: RankingRow, dimensions: list[str], *, liaison: bool, comments_released: bool) -> Redacted:
    """The figures of ``row`` that its department's page may show to a liaison (``liaison``) or to HR.

    A breakdown group of fewer than K raters is blanked (None) for a liaison; one such group withholds its whole
    breakdown, since the total and the other groups would give it back by subtraction. Under K raters in all,
    nothing is shown to anyone. A liaison reads comments only once they are released.
    """
    enough = row.n >= K_ANONYMITY
    if not enough:
        row = replace(row, rank=None, score=None, se=None, ci_low=None, ci_high=None, rank_low=None,
                      rank_high=None, change=None, change_significant=False, dimensions={}, categories={})
        return Redacted(row, False, True, True, False)
    hide_categories = liaison and any(0 < m["n"] < K_ANONYMITY for m in row.categories.values())
    hide_dimensions = liaison and any(0 < row.dimensions[d]["n"] < K_ANONYMITY for d in dimensions
                                      if d in row.dimensions)
    if liaison:
        row = replace(
            row, categories={c: None if hide_categories or _small(m) else m for c, m in row.categories.items()},
            dimensions={d: None if hide_dimensions or _small(m) else m for d, m in row.dimensions.items()})
    return Redacted(row, True, hide_categories, hide_dimensions, not liaison or comments_released)
