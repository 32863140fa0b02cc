"""sampling.allocate: proportional, Neyman and equal allocation with minimum, cap and Hamilton rounding."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling import allocate, allocation_plan
from sampling.allocation import _bounded_shares

# ---------------------------------------------------------------- worked examples


def test_the_issue_example_proportional_with_minimum_30():
    # N = 2000, n = 500: shares 75, 175, 150, 37.5, 37.5, 25. The last (25) is
    # below 30, so it is fixed at 30 and 470 are re-shared over N = 1900:
    # 74.21, 173.16, 148.42, 37.11, 37.11 -> floors sum to 469, the largest
    # remainder (.42, third stratum) gets the missing unit.
    result = allocate((300, 700, 600, 150, 150, 100), 500, minimum=30)
    assert result.tolist() == [74, 173, 149, 37, 37, 30]


def test_returns_a_numpy_integer_array_in_the_order_of_sizes():
    result = allocate([100, 300], 40)
    assert isinstance(result, np.ndarray)
    assert np.issubdtype(result.dtype, np.integer)
    assert result.tolist() == [10, 30]
    assert allocate([300, 100], 40).tolist() == [30, 10]


def test_neyman_worked_by_hand():
    # Neyman: n_h = n * N_h*S_h / sum(N_h*S_h) (Cochran, Sampling Techniques, optimum allocation).
    # N_h*S_h = 400*10 = 4000, 300*20 = 6000, 300*5 = 1500; total 11500.
    # shares: 100*4000/11500 = 34.783, 100*6000/11500 = 52.174, 100*1500/11500 = 13.043
    # floors 34 + 52 + 13 = 99; largest remainder .783 (first) gets the last unit.
    assert allocate((400, 300, 300), 100, method="neyman", sd=(10, 20, 5)).tolist() == [35, 52, 13]


def test_neyman_caps_a_stratum_that_would_need_more_than_100_percent():
    # N_h*S_h = 20*200 = 4000, 500*5 = 2500, 500*10 = 5000; total 11500.
    # first share 100*4000/11500 = 34.8 > 20 = N_1, so it is fixed at 20 and
    # 80 are re-shared over 7500: 80*2500/7500 = 26.67, 80*5000/7500 = 53.33
    # -> floors 26 + 53 = 79, the larger remainder (.67, second) gets one more.
    assert allocate((20, 500, 500), 100, method="neyman", sd=(200, 5, 10)).tolist() == [20, 27, 53]


def test_the_cap_is_applied_before_rounding_not_after():
    # Without the cap Hamilton would give 8 and 2 (8 > N_1 = 5).
    assert allocate((5, 100), 10, method="neyman", sd=(100, 1)).tolist() == [5, 5]


def test_equal_allocation_with_a_small_stratum():
    # 100 / 4 = 25 each, but the first holds 10: fixed at 10, 90 / 3 = 30 each.
    assert allocate((10, 50, 50, 50), 100, method="equal").tolist() == [10, 30, 30, 30]


def test_minimum_raises_small_strata_and_the_rest_is_reshared():
    # shares 1000/1020*50 = 49.02, 0.49, 0.49: both small ones fixed at 5, the first gets 40.
    assert allocate((1000, 10, 10), 50, minimum=5).tolist() == [40, 5, 5]


def test_minimum_never_exceeds_the_stratum_size():
    # min(minimum, N_h) = min(10, 3) = 3 for the first stratum.
    assert allocate((3, 100), 20, minimum=10).tolist() == [3, 17]


def test_minimum_works_for_every_method():
    assert allocate((1000, 10), 30, method="neyman", sd=(1, 1), minimum=4).tolist() == [26, 4]
    # equal: 10 each, the third holds 2 (capped), 28 / 2 = 14 > 10 caps the second, the first takes 18.
    assert allocate((1000, 10, 2), 30, method="equal", minimum=4).tolist() == [18, 10, 2]


# ---------------------------------------------------------------- ties and rounding


def test_equal_remainders_go_to_the_first_stratum():
    # 100/3 = 33.33 each: one unit left over, all remainders equal -> first stratum.
    assert allocate((100, 100, 100), 100).tolist() == [34, 33, 33]
    # 5/3 = 1.67 each: two units left over -> first two strata.
    assert allocate((10, 10, 10), 5, method="equal").tolist() == [2, 2, 1]


def test_ties_skip_a_stratum_with_a_smaller_remainder():
    # shares 0.5, 1.0, 0.5: the two 0.5 tie, the first wins; the middle has remainder 0.
    assert allocate((5, 10, 5), 2).tolist() == [1, 1, 0]
    # Reordering moves the tie winner with the order.
    assert allocate((10, 5, 5), 2).tolist() == [1, 1, 0]
    assert allocate((5, 5, 10), 2).tolist() == [1, 0, 1]


def test_exact_arithmetic_decides_ties_that_floats_would_get_wrong():
    # shares 4/3, 1/3, 1/3: all three remainders are exactly 1/3, so the spare
    # unit goes to the first stratum. In floating point 4/3 - 1 is
    # 0.33333333333333326 < 1/3, which would hand it to the second instead.
    assert 4 / 3 - 1 < 1 / 3
    assert allocate((4, 1, 1), 2).tolist() == [2, 0, 0]


# ---------------------------------------------------------------- edge cases


def test_n_zero_gives_zeros():
    assert allocate((10, 20, 30), 0).tolist() == [0, 0, 0]
    assert allocate((10, 20, 30), 0, method="neyman", sd=(1, 2, 3)).tolist() == [0, 0, 0]


def test_the_whole_frame():
    for method in ("proportional", "neyman", "equal"):
        assert allocate((7, 0, 13), 20, method=method, sd=(1, 1, 1), minimum=3).tolist() == [7, 0, 13]


def test_a_stratum_of_size_zero_gets_zero_even_with_a_minimum():
    assert allocate((0, 50, 50), 10, minimum=2).tolist() == [0, 5, 5]
    assert allocate((0, 50, 50), 10, method="equal", minimum=2).tolist() == [0, 5, 5]


def test_no_strata_and_nothing_to_draw():
    assert allocate((), 0).tolist() == []


def test_neyman_with_all_sd_zero_is_proportional():
    sizes = (300, 700, 600, 150, 150, 100)
    assert (
        allocate(sizes, 500, method="neyman", sd=[0] * 6, minimum=30).tolist()
        == allocate(sizes, 500, minimum=30).tolist()
    )


def test_neyman_sd_zero_strata_take_only_their_minimum_while_others_have_room():
    assert allocate((100, 100), 15, method="neyman", sd=(1, 0), minimum=2).tolist() == [13, 2]


def test_neyman_sd_zero_strata_share_the_overflow_in_proportion_to_size():
    # The only stratum with S_h > 0 holds 10; the other 5 go to the S_h = 0
    # strata in proportion to N_h (10 and 10): 2.5 and 2.5 -> 3 and 2.
    assert allocate((10, 10, 10), 15, method="neyman", sd=(1, 0, 0)).tolist() == [10, 3, 2]
    assert allocate((10, 30, 10), 30, method="neyman", sd=(1, 0, 0)).tolist() == [10, 15, 5]


def test_sd_is_ignored_by_the_other_methods():
    assert allocate((100, 300), 40, sd=(1, 100)).tolist() == [10, 30]


def test_numpy_integers_are_accepted():
    assert allocate(np.array([100, 300]), np.int64(40), minimum=np.int32(1)).tolist() == [10, 30]


# ---------------------------------------------------------------- errors name the input


@pytest.mark.parametrize(
    "kwargs, named",
    [
        (dict(sizes=(10, 20), n=31), "n = 31"),
        (dict(sizes=(10, 20), n=-1), "n must be"),
        (dict(sizes=(10, 20), n=2.5), "n must be"),
        (dict(sizes=(10, -20), n=5), "sizes[1]"),
        (dict(sizes=(10, 2.5), n=5), "sizes[1]"),
        (dict(sizes=(10, 20), n=5, minimum=-1), "minimum"),
        (dict(sizes=(10, 20), n=5, method="optimal"), "method"),
        (dict(sizes=(10, 20), n=5, method="neyman"), "sd"),
        (dict(sizes=(10, 20), n=5, method="neyman", sd=(1,)), "sd has 1 values"),
        (dict(sizes=(10, 20), n=5, method="neyman", sd=(1, -2)), "sd[1]"),
        (dict(sizes=(10, 20), n=5, method="neyman", sd=(float("nan"), 1)), "sd[0]"),
        (dict(sizes=(10, 20), n=5, method="neyman", sd=(1, "high")), "sd[1]"),
        # minimum * H > n: 3 strata * 4 = 12 > 10.
        (dict(sizes=(10, 20, 30), n=10, minimum=4), "minimum = 4"),
        (dict(sizes=(), n=1), "n = 1"),
    ],
)
def test_invalid_input_raises_a_value_error_naming_it(kwargs, named):
    with pytest.raises(ValueError) as error:
        allocate(**kwargs)
    assert named in str(error.value)


def test_minimum_check_counts_only_what_small_strata_can_give():
    # 4 per stratum would be 12 > 10, but the first stratum holds only 2: 2 + 4 + 4 = 10.
    assert allocate((2, 20, 30), 10, minimum=4).tolist() == [2, 4, 4]


# ---------------------------------------------------------------- allocation_plan


def test_allocation_plan_maps_names_to_counts():
    sizes = {"large_enterprise": 300, "sme": 700, "citizen": 600, "supervisor": 150, "deputy": 150, "media": 100}
    plan = allocation_plan(sizes, 500, minimum=30)
    assert plan == {"large_enterprise": 74, "sme": 173, "citizen": 149, "supervisor": 37, "deputy": 37, "media": 30}
    assert all(type(count) is int for count in plan.values())


def test_allocation_plan_reads_sd_by_name_not_by_position():
    sizes = {"a": 400, "b": 300, "c": 300}
    sd = {"c": 5, "a": 10, "b": 20}
    assert allocation_plan(sizes, 100, method="neyman", sd=sd) == {"a": 35, "b": 52, "c": 13}
    with pytest.raises(ValueError, match="sd has no value for stratum 'c'"):
        allocation_plan(sizes, 100, method="neyman", sd={"a": 1, "b": 2})


# ---------------------------------------------------------------- properties


def reference_continuous_shares(sizes, n, weights, floors):
    """Float bisection on λ for sum(clip(λ·w, floor, N)) = n, with the S_h = 0 overflow rule."""
    caps = list(sizes)
    if sum(c if w > 0 else f for w, f, c in zip(weights, floors, caps)) < n:
        weights = [0 if w > 0 else c for w, c in zip(weights, caps)]
        floors = [c if w == 0 else f for w, f, c in zip(weights, floors, caps)]
    def total(lam):
        return sum(min(max(lam * w, f), c) for w, f, c in zip(weights, floors, caps))
    low, high = 0.0, 1.0
    while total(high) < n and high < 1e300:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if total(middle) < n else (low, middle)
    return [min(max(high * w, f), c) for w, f, c in zip(weights, floors, caps)]


@st.composite
def allocation_problems(draw):
    sizes = draw(st.lists(st.integers(0, 400), min_size=1, max_size=8))
    n = draw(st.integers(0, sum(sizes)))
    minimum = draw(st.integers(0, 60))
    method = draw(st.sampled_from(["proportional", "neyman", "equal"]))
    sd = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0.01, 100.0)), min_size=len(sizes), max_size=len(sizes)
        )
    )
    return sizes, n, method, sd, minimum


@settings(max_examples=400, deadline=None)
@given(allocation_problems())
def test_every_allocation_sums_to_n_within_bounds_and_close_to_the_continuous_share(problem):
    sizes, n, method, sd, minimum = problem
    floors = [min(minimum, size) for size in sizes]
    if sum(floors) > n:
        with pytest.raises(ValueError, match="minimum"):
            allocate(sizes, n, method, sd, minimum)
        return
    result = allocate(sizes, n, method, sd, minimum)
    assert int(result.sum()) == n
    assert all(0 <= r <= size for r, size in zip(result.tolist(), sizes))
    assert all(r >= floor for r, floor in zip(result.tolist(), floors))
    weights = {"proportional": list(sizes), "equal": [1] * len(sizes)}.get(
        method, [size * s for size, s in zip(sizes, sd)]
    )
    expected = reference_continuous_shares(sizes, n, weights, floors)
    # Hamilton rounding moves each stratum by less than one unit.
    assert all(abs(r - x) < 1 + 1e-6 for r, x in zip(result.tolist(), expected)), (result, expected)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=10).filter(lambda s: sum(s) > 0), st.data())
def test_proportional_without_binding_bounds_is_plain_hamilton(sizes, data):
    n = data.draw(st.integers(0, sum(sizes)))
    total = sum(sizes)
    quotas = [Fraction(n * size, total) for size in sizes]
    counts = [math.floor(q) for q in quotas]
    # Textbook Hamilton: the units left over go to the largest remainders, the first on ties.
    by_remainder = sorted(range(len(sizes)), key=lambda h: (-(quotas[h] - counts[h]), h))
    for h in by_remainder[: n - sum(counts)]:
        counts[h] += 1
    assert allocate(sizes, n).tolist() == counts


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_bounded_shares_is_a_clip_of_one_common_scale(data):
    count = data.draw(st.integers(1, 8))
    weights = [Fraction(w) for w in data.draw(st.lists(st.integers(1, 50), min_size=count, max_size=count))]
    upper = data.draw(st.lists(st.integers(0, 40), min_size=count, max_size=count))
    lower = [data.draw(st.integers(0, up)) for up in upper]
    total = data.draw(st.integers(sum(lower), sum(upper)))
    shares = _bounded_shares(total, weights, lower, upper)
    assert sum(shares) == total
    # One λ for all: strata strictly inside their bounds share it exactly,
    # strata at the minimum would get less at that λ, strata at the cap more.
    inside = {shares[h] / weights[h] for h in range(count) if lower[h] < shares[h] < upper[h]}
    assert len(inside) <= 1
    if inside:
        scale = inside.pop()
        for h in range(count):
            if shares[h] == lower[h] < upper[h]:
                assert scale * weights[h] <= lower[h]
            elif shares[h] == upper[h] > lower[h]:
                assert scale * weights[h] >= upper[h]
    else:
        # No stratum strictly inside: some λ must still separate floors from caps.
        at_lower = [lower[h] / weights[h] for h in range(count) if shares[h] == lower[h] < upper[h]]
        at_upper = [upper[h] / weights[h] for h in range(count) if shares[h] == upper[h] > lower[h]]
        assert not at_lower or not at_upper or max(at_upper) <= min(at_lower)
