"""Over 2,000 fixed seeds the SHA-256 lottery behaves as simple random sampling without replacement.

The seeds are fixed ("s0".."s1999"), so these tests are deterministic: they
cannot flake, and they were checked once against the critical values below.
Each test has a control showing that a biased sampler fails the same check.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np

from sampling import select, ticket

SEEDS = [f"s{i}" for i in range(2000)]
Z_999 = 3.090232306167813  # standard normal 0.999 quantile

# 0.999 quantiles of chi-square, from the regularised incomplete gamma function
# (the usual tables give 27.877 for 9 degrees of freedom).
CHI2_999 = {9: 27.877, 38: 70.703}

FRAME_KEYS = [f"M{i:02d}" for i in range(40)]
FRAME_STRATA = ["a"] * 15 + ["b"] * 25
ALLOCATION = {"a": 4, "b": 10}


def wilson_hilferty(df: int, z: float = Z_999) -> float:
    """Wilson–Hilferty approximation of a chi-square quantile."""
    return df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3


def test_the_hard_coded_critical_values_agree_with_wilson_hilferty():
    for df, value in CHI2_999.items():
        assert abs(wilson_hilferty(df) - value) / value < 0.01


def marginal_statistic(draw) -> tuple[float, int]:
    """Chi-square statistic of the members' selection counts against n_h/N_h, and its degrees of freedom.

    Under SRSWOR each count is Binomial(R, p) with covariance -R p(1-p)/(N-1)
    between members, and the counts of a stratum add up to R n_h. Dividing the
    squared deviations by R p(1-p) N/(N-1) makes the sum chi-square with N_h - 1
    degrees of freedom per stratum (strata are independent).
    """
    counts = Counter()
    for seed in SEEDS:
        counts.update(list(draw(seed)))  # the keys: a mapping would add its values
    repetitions = len(SEEDS)
    statistic, df = 0.0, 0
    for stratum, n_h in ALLOCATION.items():
        members = [k for k, s in zip(FRAME_KEYS, FRAME_STRATA) if s == stratum]
        size = len(members)
        p = n_h / size
        observed = np.array([counts[k] for k in members], dtype=float)
        assert observed.sum() == repetitions * n_h
        scale = repetitions * p * (1 - p) * size / (size - 1)
        statistic += float(((observed - repetitions * p) ** 2).sum() / scale)
        df += size - 1
    return statistic, df


def test_each_member_is_drawn_with_probability_n_h_over_n_h():
    def draw(seed):
        drawn = select(FRAME_KEYS, FRAME_STRATA, ALLOCATION, seed)
        assert set(drawn.values()) == {4 / 15, 10 / 25}
        return drawn

    statistic, df = marginal_statistic(draw)
    assert df == 38
    assert statistic < CHI2_999[df], statistic


def test_control_a_mild_bias_towards_one_member_is_detected():
    # One draw in ten forces M00 in (in place of its stratum's last pick).
    def biased(seed):
        drawn = list(select(FRAME_KEYS, FRAME_STRATA, ALLOCATION, seed))
        if int(ticket(seed, "bias"), 16) % 10 == 0 and "M00" not in drawn:
            in_a = [k for k in drawn if FRAME_STRATA[FRAME_KEYS.index(k)] == "a"]
            drawn[drawn.index(in_a[-1])] = "M00"
        return drawn

    statistic, df = marginal_statistic(biased)
    assert statistic > CHI2_999[df], statistic


def subset_statistic(draw) -> tuple[float, int]:
    """Pearson chi-square of how often each 2-subset of 5 members is drawn (10 cells, 9 df)."""
    cells = [frozenset(pair) for pair in itertools.combinations([f"Q{i}" for i in range(5)], 2)]
    counts = Counter(frozenset(draw(seed)) for seed in SEEDS)
    assert set(counts) <= set(cells)
    expected = len(SEEDS) / len(cells)
    return sum((counts[cell] - expected) ** 2 / expected for cell in cells), len(cells) - 1


def test_every_subset_of_size_n_h_is_equally_likely():
    keys = [f"Q{i}" for i in range(5)]
    statistic, df = subset_statistic(lambda seed: select(keys, ["c"] * 5, {"c": 2}, seed))
    assert statistic < CHI2_999[df], statistic


def test_control_right_marginals_but_wrong_subsets_is_detected():
    # Adjacent pairs on a cycle: each member still has probability 2/5, but
    # only 5 of the 10 subsets can occur. The marginal test cannot see this.
    keys = [f"Q{i}" for i in range(5)]

    def cyclic(seed):
        start = int(ticket(seed, "cycle"), 16) % 5
        return {keys[start], keys[(start + 1) % 5]}

    statistic, df = subset_statistic(cyclic)
    assert statistic > CHI2_999[df], statistic
