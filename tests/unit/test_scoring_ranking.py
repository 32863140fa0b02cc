"""Ranks with ties, minimum raters, grade bands, rank intervals, round-to-round changes, channel composite."""
from __future__ import annotations

import numpy as np
import pytest

from scoring import (
    INSUFFICIENT,
    Channel,
    DomainMeans,
    assess,
    combine_channels,
    compare_rounds,
    competition_ranks,
    grades,
    policy_weighted,
    rank_intervals,
)


def test_ties_share_the_best_rank_and_the_next_rank_is_skipped():
    assert competition_ranks([70.0, 90.0, 80.0, 90.0, 60.0]).tolist() == [4, 1, 3, 1, 5]


def test_ties_are_judged_on_the_published_rounding():
    # 85.333333 and 85.334 both publish as 85.33: a tie; without rounding the larger one is ahead.
    assert competition_ranks([85.333333, 85.334, 80.0]).tolist() == [1, 1, 3]
    assert competition_ranks([85.333333, 85.334, 80.0], decimals=None).tolist() == [2, 1, 3]


def test_departments_below_the_minimum_are_not_ranked_and_do_not_take_a_place():
    table = assess(np.array(["a", "b", "c", "d"]), [95.0, 88.0, 70.0, 99.0], [1.0, 1.0, 1.0, 1.0], [40, 35, 30, 29],
                   seed=1, min_raters=30)
    assert table.ranked.tolist() == [True, True, True, False]
    assert table.rank.tolist() == [1, 2, 3, 0]
    assert table.grade.tolist() == ["优秀", "良好", "一般", INSUFFICIENT]
    assert (table.rank_low[3], table.rank_high[3]) == (0, 0)


def test_grade_bands_at_and_around_the_thresholds():
    scores = [90.0, 89.99, 80.0, 79.99, 60.0, 59.99, 0.0, 89.996]
    assert grades(scores).tolist() == ["优秀", "良好", "良好", "一般", "一般", "较差", "较差", "优秀"]


def test_grade_bands_are_configurable():
    bands = (("A", 75.0), ("B", 50.0), ("C", 0.0))
    assert grades([75.0, 74.9, 50.0, 0.0], bands).tolist() == ["A", "B", "B", "C"]
    with pytest.raises(ValueError, match="below the lowest"):
        grades([-1.0], bands)
    with pytest.raises(ValueError, match="decreasing"):
        grades([1.0], (("A", 50.0), ("B", 60.0)))


def test_rank_intervals_are_deterministic_for_a_seed_and_cover_the_point_rank():
    rng = np.random.default_rng(7)
    mean = rng.uniform(60, 95, 40)
    se = rng.uniform(0.5, 4.0, 40)
    first = rank_intervals(mean, se, seed=2026)
    again = rank_intervals(mean, se, seed=2026)
    other = rank_intervals(mean, se, seed=2027)
    np.testing.assert_array_equal(first.low, again.low)
    np.testing.assert_array_equal(first.high, again.high)
    assert not (np.array_equal(first.low, other.low) and np.array_equal(first.high, other.high))
    point = competition_ranks(mean)
    assert np.all((first.low <= point) & (point <= first.high))
    assert np.all(first.low >= 1) and np.all(first.high <= 40)
    assert np.any(first.high - first.low > 2)  # the intervals carry the uncertainty, not just the point


def test_rank_intervals_match_their_definition():
    """The 2.5% and 97.5% inverted-CDF quantiles of the ranks of Normal(mean, se) draws, drawn as documented."""
    mean = np.array([80.0, 79.0, 70.0, 85.0])
    se = np.array([1.0, 2.0, 0.5, 3.0])
    draws = np.random.default_rng(11).standard_normal((500, 4)) * se + mean
    ranks = 1 + (draws[:, None, :] > draws[:, :, None]).sum(axis=2)  # 1 + number of departments strictly higher
    expected = np.quantile(ranks, [0.025, 0.975], axis=0, method="inverted_cdf")
    result = rank_intervals(mean, se, seed=11, draws=500, include_point_rank=False)
    np.testing.assert_array_equal(result.low, expected[0])
    np.testing.assert_array_equal(result.high, expected[1])


def test_the_raw_quantile_interval_can_miss_the_point_rank_and_is_widened():
    mean = np.full(50, 80.0)
    mean[0] = 80.001  # point rank 1 (decimals=None), but rank 1 has probability about 1/50 in the draws
    se = np.full(50, 2.0)
    raw = rank_intervals(mean, se, seed=3, include_point_rank=False, decimals=None)
    assert raw.low[0] > 1
    widened = rank_intervals(mean, se, seed=3, decimals=None)
    assert widened.low[0] == 1 and widened.high[0] == raw.high[0]


def test_zero_se_departments_with_equal_scores_tie_in_every_draw():
    result = rank_intervals([90.0, 90.0, 50.0], [0.0, 0.0, 0.0], seed=1)
    assert result.low.tolist() == [1, 1, 3] and result.high.tolist() == [1, 1, 3]


def test_change_against_the_previous_round_and_its_significance():
    change = compare_rounds(
        ["a", "b", "c", "d"], [80.0, 70.0, 60.0, 75.0], [1.0, 1.0, 1.0, 1.0],
        ["d", "a", "b"], [75.0, 77.0, 68.0], [0.0, 1.0, 1.0],
    )
    assert change.has_previous.tolist() == [True, True, False, True]
    np.testing.assert_allclose(change.delta, [3.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(change.z, [3 / np.sqrt(2), 2 / np.sqrt(2), 0.0, 0.0])
    # 3/sqrt(2) = 2.12 > 1.96; 2/sqrt(2) = 1.41 is not significant.
    assert change.significant.tolist() == [True, False, False, False]


def test_change_with_zero_standard_errors():
    change = compare_rounds(["a", "b"], [80.0, 70.0], [0.0, 0.0], ["a", "b"], [79.0, 70.0], [0.0, 0.0])
    assert change.z.tolist() == [np.inf, 0.0]
    assert change.significant.tolist() == [True, False]


def test_assess_takes_the_previous_round_from_an_estimate():
    previous = DomainMeans(np.array(["a", "b"]), np.array([70.0, 80.0]), np.array([1.0, 1.0]), np.array([50, 50]))
    table = assess(np.array(["a", "b"]), [75.0, 80.5], [1.0, 1.0], [50, 50], seed=1, previous=previous)
    assert table.change.significant.tolist() == [True, False]


def test_channels_are_combined_with_renormalised_scored_weights_and_additive_deductions():
    survey = Channel(np.array(["a", "b", "c"]), np.array([80.0, 70.0, 90.0]), np.array([2.0, 3.0, 1.0]),
                     np.array([100, 80, 60]), weight=0.7)
    realtime = Channel(np.array(["a", "b"]), np.array([90.0, 60.0]), np.array([1.0, 2.0]), np.array([500, 300]),
                       weight=0.3)
    complaints = Channel(np.array(["b"]), np.array([5.0]), np.array([0.0]), np.array([2]), weight=-1.0,
                         kind="additive")
    result = combine_channels({"survey": survey, "realtime": realtime, "complaints": complaints})
    assert result.domains.tolist() == ["a", "b", "c"]
    np.testing.assert_allclose(result.score, [0.7 * 80 + 0.3 * 90, 0.7 * 70 + 0.3 * 60 - 5, 90.0])
    np.testing.assert_allclose(
        result.se, [np.hypot(0.7 * 2, 0.3 * 1), np.hypot(0.7 * 3, 0.3 * 2), 1.0]
    )
    assert result.n[:, 0].tolist() == [100, 80, 60] and result.n[:, 2].tolist() == [0, 2, 0]
    np.testing.assert_allclose(result.shares[2], [1.0, 0.0, 0.0])


def test_policy_weights_renormalise_over_categories_with_enough_raters():
    est = {
        "ent": DomainMeans(np.array(["a", "b"]), np.array([80.0, 60.0]), np.array([2.0, 3.0]), np.array([10, 2])),
        "cit": DomainMeans(np.array(["a", "b"]), np.array([70.0, 90.0]), np.array([1.0, 4.0]), np.array([20, 20])),
    }
    result = policy_weighted(est, {"ent": 0.6, "cit": 0.4}, min_raters=5)
    np.testing.assert_allclose(result.mean, [0.6 * 80 + 0.4 * 70, 90.0])
    np.testing.assert_allclose(result.se, [np.hypot(0.6 * 2, 0.4 * 1), 4.0])
    assert result.n.tolist() == [30, 20]
    with pytest.raises(ValueError, match="no policy weight"):
        policy_weighted(est, {"ent": 1.0})
