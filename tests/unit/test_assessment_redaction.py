"""The small-group rule as a function: what a department's page may show a liaison, and HR."""
from __future__ import annotations

from app.assessment.redaction import redact
from app.assessment.reports import RankingRow
from app.platform.small_groups import DEFAULT_K as K_ANONYMITY

DIMENSIONS = ["attitude", "efficiency"]


def row(n=20, categories=None, dimensions=None) -> RankingRow:
    figures = lambda k: {"mean": 80.0, "se": 1.0, "n": k}  # noqa: E731
    return RankingRow(
        department_id=1, code="D1", name="一局", rank=1, score=80.0, se=1.0, ci_low=78.0, ci_high=82.0, rank_low=1,
        rank_high=2, grade="良好", n=n, change=1.5, change_significant=True,
        dimensions={d: figures(k) for d, k in (dimensions or {"attitude": 12, "efficiency": 20}).items()},
        categories={c: figures(k) for c, k in (categories or {"sme": 10, "citizen": 10}).items()})


def test_hr_sees_every_group_of_a_department_with_enough_raters():
    original = row(categories={"sme": 18, "citizen": 2}, dimensions={"attitude": 3, "efficiency": 20})
    shown = redact(original, DIMENSIONS, liaison=False, comments_released=False)
    assert shown.enough and not shown.hide_categories and not shown.hide_dimensions
    assert shown.row == original and shown.show_comments  # HR reads comments before their release


def test_one_small_category_withholds_the_whole_breakdown_from_a_liaison():
    shown = redact(row(categories={"sme": 18, "citizen": K_ANONYMITY - 1}), DIMENSIONS, liaison=True,
                   comments_released=False)
    assert shown.hide_categories and not shown.hide_dimensions
    assert shown.row.categories == {"sme": None, "citizen": None}  # the total and sme would give citizen back
    assert shown.row.score == 80.0 and shown.row.dimensions["efficiency"]["n"] == 20
    assert not shown.show_comments


def test_one_small_dimension_withholds_the_dimension_breakdown_from_a_liaison():
    shown = redact(row(dimensions={"attitude": 2, "efficiency": 20}), DIMENSIONS, liaison=True,
                   comments_released=True)
    assert shown.hide_dimensions and not shown.hide_categories
    assert shown.row.dimensions == {"attitude": None, "efficiency": None}
    assert shown.row.categories["sme"]["n"] == 10 and shown.show_comments


def test_a_group_nobody_in_it_rated_does_not_withhold_the_others():
    shown = redact(row(categories={"sme": 18, "media": 0}), DIMENSIONS, liaison=True, comments_released=True)
    assert not shown.hide_categories
    assert shown.row.categories == {"sme": {"mean": 80.0, "se": 1.0, "n": 18}, "media": None}


def test_under_k_raters_in_all_nothing_is_shown_to_anyone():
    for liaison in (True, False):
        shown = redact(row(n=K_ANONYMITY - 1), DIMENSIONS, liaison=liaison, comments_released=True)
        assert not shown.enough and shown.hide_categories and shown.hide_dimensions and not shown.show_comments
        assert shown.row.score is None and shown.row.ci_low is None and shown.row.change is None
        assert shown.row.dimensions == {} and shown.row.categories == {}
