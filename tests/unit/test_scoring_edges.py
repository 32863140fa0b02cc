"""The documented edge cases of the scoring core: each decision is pinned by a test."""
from __future__ import annotations

import numpy as np
import pytest

from scoring import (
    by_category,
    design_weights,
    domain_means,
    nonresponse_adjusted,
    option_scores,
    unit_domain_scores,
)


def test_option_scores_make_not_familiar_missing_never_zero():
    scores = option_scores([0, 1, 4, -1, 2])
    assert scores[:3].tolist() == [100.0, 80.0, 20.0] and np.isnan(scores[3]) and scores[4] == 60.0
    with pytest.raises(ValueError, match="beyond the scale"):
        option_scores([5])


def test_unit_domain_scores_renormalise_weights_over_answered_items_and_drop_unanswered_pairs():
    result = unit_domain_scores(
        [0, 0, 0, 1, 1, 2], ["a", "a", "a", "a", "b", "a"], [1.0, 2.0, 1.0, 1.0, 1.0, 1.0],
        [100.0, np.nan, 60.0, 40.0, np.nan, np.nan],
    )
    # Unit 0 on a: (1·100 + 1·60)/2 (the weight-2 item was not answered); unit 1 on b and unit 2: nothing answered.
    assert list(zip(result.unit.tolist(), result.domain.tolist(), result.score.tolist())) == [(0, "a", 80.0), (1, "a", 40.0)]


def test_unit_domain_scores_reject_bad_weights_and_infinite_scores():
    with pytest.raises(ValueError, match="item_weight"):
        unit_domain_scores([0], ["a"], [0.0], [80.0])
    with pytest.raises(ValueError, match="inf"):
        unit_domain_scores([0], ["a"], [1.0], [np.inf])


def test_repeated_ratings_of_a_unit_are_averaged_and_count_once():
    strata, weights = ["h", "h", "h"], [1.0, 2.0, 3.0]
    repeated = domain_means(strata, weights, [0, 0, 1, 2], ["d"] * 4, [100.0, 60.0, 40.0, 80.0])
    averaged = domain_means(strata, weights, [0, 1, 2], ["d"] * 3, [80.0, 40.0, 80.0])
    assert repeated.n.tolist() == [3]
    assert repeated.mean[0] == pytest.approx(averaged.mean[0], rel=1e-14)
    assert repeated.se[0] == pytest.approx(averaged.se[0], rel=1e-12)


def test_a_department_rated_by_one_unit_has_a_finite_se_from_its_stratum():
    result = domain_means(["h", "h", "h"], [1.0, 1.0, 1.0], [0], ["d"], [80.0])
    assert result.n.tolist() == [1] and result.mean.tolist() == [80.0]
    # w z = (80 − 80)/1 = 0 for the only rater, so the SE is 0 here: still a number, never NaN.
    assert result.se.tolist() == [0.0]


def test_unrated_departments_are_absent_and_no_ratings_give_empty_arrays():
    result = domain_means(["h", "h"], [1.0, 1.0], [], np.array([], dtype="<U1"), [])
    assert result.domains.size == result.mean.size == result.se.size == result.n.size == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rating_value": [np.nan]}, "rating_value must be finite"),
        ({"unit_weights": [1.0, 0.0]}, "unit_weights"),
        ({"unit_weights": [1.0, np.inf]}, "unit_weights"),
        ({"rating_unit": [2]}, "rating_unit must lie"),
        ({"rating_unit": [-1]}, "rating_unit must lie"),
        ({"fpc": [1.0, 1.0]}, "smaller than its number"),
        ({"fpc": [10.0, 11.0]}, "differs within stratum"),
        ({"fpc": [np.nan, np.nan]}, "fpc must be finite"),
        ({"lonely_psu": "average"}, "lonely_psu"),
    ],
)
def test_invalid_inputs_are_rejected_explicitly(kwargs, message):
    arguments = {"unit_strata": ["h", "h"], "unit_weights": [1.0, 2.0], "rating_unit": [0], "rating_domain": ["d"],
                 "rating_value": [80.0]}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        domain_means(**arguments)


def test_a_full_stratum_under_fpc_has_no_variance():
    result = domain_means(["h"] * 3, [1.0] * 3, [0, 1, 2], ["d"] * 3, [20.0, 60.0, 100.0], fpc=[3, 3, 3])
    assert result.se.tolist() == [0.0]
    assert domain_means(["h"] * 3, [1.0] * 3, [0, 1, 2], ["d"] * 3, [20.0, 60.0, 100.0]).se[0] > 0


def test_a_stratum_with_no_respondent_is_an_error_naming_it_unless_its_weight_is_dropped():
    d = design_weights([0.5, 0.5, 0.25, 0.25])
    strata = np.array(["big", "big", "media", "media"])
    responded = np.array([True, True, False, False])
    with pytest.raises(ValueError, match="'media'"):
        nonresponse_adjusted(d, strata, responded)
    # "drop": the media stratum's weight is lost; the other stratum is not inflated to make up for it.
    np.testing.assert_allclose(nonresponse_adjusted(d, strata, responded, on_empty="drop"), [2.0, 2.0])


def test_design_weights_need_probabilities_in_the_unit_interval():
    np.testing.assert_allclose(design_weights([1.0, 0.25]), [1.0, 4.0])
    for bad in ([0.0], [1.5], [np.nan]):
        with pytest.raises(ValueError):
            design_weights(bad)


def test_by_category_refuses_a_stratum_that_spans_categories():
    with pytest.raises(ValueError, match="several categories"):
        by_category(["ent", "cit", "cit"], ["h", "h", "g"], [1.0, 1.0, 1.0], [0, 1], ["d", "d"], [80.0, 60.0])


def test_by_category_equals_domain_means_on_each_category_subset():
    category = np.array(["x", "y", "x", "y", "x", "y"])
    strata = np.array(["x1", "y1", "x1", "y1", "x2", "y1"])
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    unit, dept, value = np.array([5, 0, 1, 2, 3, 4]), np.array(list("aabbab")), np.array([20.0, 40, 60, 80, 100, 40])
    result = by_category(category, strata, weights, unit, dept, value)
    for c in ("x", "y"):
        members = np.flatnonzero(category == c)
        position = {u: i for i, u in enumerate(members)}
        keep = np.isin(unit, members)
        direct = domain_means(strata[members], weights[members], [position[u] for u in unit[keep]], dept[keep],
                              value[keep])
        for field in ("domains", "mean", "se", "n"):
            np.testing.assert_array_equal(getattr(result[c], field), getattr(direct, field))
