"""The Wilson score interval against published values (Newcombe 1998, Statistics in Medicine 17:857, Table I,
method 3 — the score interval without continuity correction, 95%)."""
import pytest

from scoring import wilson


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
])
def test_wilson_matches_newcombes_table(successes, n, low, high):
    got = wilson(successes, n)
    assert got == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_the_interval_is_symmetric_under_swapping_successes_and_failures():
    low, high = wilson(3, 11)
    other_low, other_high = wilson(8, 11)
    assert (low, high) == (pytest.approx(1 - other_high), pytest.approx(1 - other_low))


def test_the_bounds_at_zero_and_all_are_exact():
    assert wilson(0, 5)[0] == 0.0
    assert wilson(5, 5)[1] == 1.0


def test_a_wider_confidence_gives_a_wider_interval():
    low95, high95 = wilson(6, 10)
    low99, high99 = wilson(6, 10, z=2.5758293035489)
    assert low99 < low95 and high99 > high95


@pytest.mark.parametrize(("successes", "n"), [(1, 0), (0, 0), (5, 4), (-1, 3), (1.5, 3), (True, 3), ("2", 3)])
def test_impossible_counts_are_refused(successes, n):
    with pytest.raises(ValueError):
        wilson(successes, n)
