"""Policy weight 0 leaves a respondent category out of the policy composite (docs/ASSESSMENT.md, step 4)."""
from __future__ import annotations

import numpy as np
import pytest

from scoring import by_category, policy_weighted

WEIGHTS = {"ent": 0.5, "cit": 0.3, "med": 0.0}


def round_data(with_media: bool = True):
    """Units of three categories (strata nest in categories); the media rate P and Q, and they alone rate R."""
    category = ["ent"] * 5 + ["cit"] * 4 + ["med"] * 3
    strata = ["e1"] * 2 + ["e2"] * 3 + ["c1"] * 4 + ["m1"] * 3
    weights = [4, 4, 5, 2, 3, 50, 40, 50, 60, 7, 7, 9]
    ratings = [(0, "P", 80), (1, "P", 60), (2, "Q", 100), (3, "P", 100), (3, "Q", 60), (4, "Q", 40),
               (5, "P", 60), (6, "P", 40), (6, "Q", 80), (7, "Q", 100), (8, "P", 80),
               (9, "P", 20), (9, "Q", 20), (10, "R", 100), (11, "P", 40), (11, "R", 60)]
    units = range(12) if with_media else range(9)
    kept = [r for r in ratings if r[0] in units]
    unit, dept, value = (np.array(column) for column in zip(*kept))
    pick = list(units)
    return (np.array(category)[pick], np.array(strata)[pick], np.array(weights, float)[pick], unit, dept,
            value.astype(float))


def test_a_zero_weight_category_with_answers_counts_as_if_it_had_not_answered():
    with_media = policy_weighted(by_category(*round_data()), WEIGHTS)
    without_media = policy_weighted(by_category(*round_data(with_media=False)), WEIGHTS)
    # The media rated P, Q and R; with weight 0 they change nothing: same departments, scores, SEs, raters.
    assert list(with_media.domains) == list(without_media.domains) == ["P", "Q"]
    np.testing.assert_array_equal(with_media.mean, without_media.mean)
    np.testing.assert_array_equal(with_media.se, without_media.se)
    assert with_media.n.tolist() == without_media.n.tolist() == [6, 5]
    np.testing.assert_array_equal(with_media.shares, without_media.shares)
    assert with_media.shares[:, 2].tolist() == [0.0, 0.0]
    # And the same as a scheme that never knew the media, on the data without them.
    never_weighted = policy_weighted(by_category(*round_data(with_media=False)), {"ent": 0.5, "cit": 0.3})
    np.testing.assert_array_equal(with_media.mean, never_weighted.mean)
    np.testing.assert_array_equal(with_media.se, never_weighted.se)


def test_the_left_out_category_still_has_its_own_estimate():
    estimates = by_category(*round_data())
    assert list(estimates["med"].domains) == ["P", "Q", "R"] and estimates["med"].n.tolist() == [2, 1, 2]
    assert estimates["med"].mean[2] == pytest.approx((7 * 100 + 9 * 60) / 16)


def test_all_zero_or_negative_policy_weights_are_refused():
    est = by_category(*round_data())
    with pytest.raises(ValueError, match="at least one policy weight must be > 0"):
        policy_weighted(est, {"ent": 0.0, "cit": 0.0, "med": 0.0})
    with pytest.raises(ValueError, match=">= 0"):
        policy_weighted(est, {"ent": 0.5, "cit": 0.3, "med": -0.1})
    with pytest.raises(ValueError, match="no policy weight for category med"):
        policy_weighted(est, {"ent": 0.5, "cit": 0.3})
