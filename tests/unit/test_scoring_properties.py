"""Properties of the scoring core, and agreement with slow loop-based reference implementations."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import domain_means, nonresponse_adjusted, unit_domain_scores

SCORES = [100.0, 80.0, 60.0, 40.0, 20.0]


@st.composite
def surveys(draw, lonely=False):
    """Responding units (strata, weights, N_h) and a long table of ratings, possibly with repeats."""
    n_strata = draw(st.integers(1, 4))
    sizes = draw(st.lists(st.integers(1 if lonely else 2, 6), min_size=n_strata, max_size=n_strata))
    strata = np.repeat([f"h{h}" for h in range(n_strata)], sizes)
    n_units = strata.size
    weights = np.array(draw(st.lists(st.floats(0.5, 200.0), min_size=n_units, max_size=n_units)))
    extra = draw(st.lists(st.integers(0, 50), min_size=n_strata, max_size=n_strata))
    population = np.repeat(np.array(sizes) + np.array(extra), sizes).astype(float)
    n_ratings = draw(st.integers(1, 3 * n_units))
    unit = np.array(draw(st.lists(st.integers(0, n_units - 1), min_size=n_ratings, max_size=n_ratings)))
    domain = np.array(draw(st.lists(st.sampled_from(["d1", "d2", "d3"]), min_size=n_ratings, max_size=n_ratings)))
    value = np.array(draw(st.lists(st.sampled_from(SCORES), min_size=n_ratings, max_size=n_ratings)))
    return strata, weights, population, unit, domain, value


def reference_domain_means(strata, weights, unit, domain, value, fpc=None, lonely_psu="adjust"):
    """The textbook formulas, one unit at a time: {domain: (mean, se, n)}."""
    out = {}
    for d in sorted(set(domain.tolist())):
        # Average a unit's repeated ratings of d first.
        ratings = {}
        for u, dd, v in zip(unit.tolist(), domain.tolist(), value.tolist()):
            if dd == d:
                ratings.setdefault(u, []).append(v)
        y = {u: sum(vs) / len(vs) for u, vs in ratings.items()}
        total_w = sum(weights[u] for u in y)
        mean = sum(weights[u] * y[u] for u in y) / total_w
        variance = 0.0
        for h in sorted(set(strata.tolist())):
            members = [i for i in range(len(strata)) if strata[i] == h]
            wz = [weights[i] * (y[i] - mean) / total_w if i in y else 0.0 for i in members]
            n_h = len(members)
            f_h = n_h / fpc[members[0]] if fpc is not None else 0.0
            if n_h == 1:
                variance += (1 - f_h) * wz[0] ** 2 if lonely_psu == "adjust" else 0.0
                continue
            centre = sum(wz) / n_h
            variance += (1 - f_h) * n_h / (n_h - 1) * sum((x - centre) ** 2 for x in wz)
        out[d] = (mean, math.sqrt(variance), len(y))
    return out


def as_dict(result):
    return {d: (m, s, n) for d, m, s, n in zip(result.domains.tolist(), result.mean, result.se, result.n)}


def assert_same(result, reference):
    got = as_dict(result)
    assert sorted(got) == sorted(reference)
    for d, (m, s, n) in reference.items():
        assert got[d][2] == n
        assert math.isclose(got[d][0], m, rel_tol=1e-12, abs_tol=1e-9)
        assert math.isclose(got[d][1], s, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=150, deadline=None)
@given(surveys(lonely=True), st.booleans(), st.sampled_from(["adjust", "certainty"]))
def test_domain_means_agree_with_the_loop_reference(survey, with_fpc, lonely_psu):
    strata, weights, population, unit, domain, value = survey
    fpc = population if with_fpc else None
    result = domain_means(strata, weights, unit, domain, value, fpc=fpc, lonely_psu=lonely_psu)
    assert_same(result, reference_domain_means(strata, weights, unit, domain, value, fpc, lonely_psu))


@settings(max_examples=100, deadline=None)
@given(surveys(), st.floats(1e-3, 1e3))
def test_scaling_all_weights_leaves_means_and_ses_unchanged(survey, factor):
    strata, weights, population, unit, domain, value = survey
    base = domain_means(strata, weights, unit, domain, value, fpc=population)
    scaled = domain_means(strata, weights * factor, unit, domain, value, fpc=population)
    np.testing.assert_allclose(scaled.mean, base.mean, rtol=1e-12)
    np.testing.assert_allclose(scaled.se, base.se, rtol=1e-9, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(surveys(), st.randoms(use_true_random=False))
def test_permuting_units_and_ratings_leaves_results_unchanged(survey, random):
    strata, weights, population, unit, domain, value = survey
    base = domain_means(strata, weights, unit, domain, value, fpc=population)
    perm = list(range(strata.size))
    random.shuffle(perm)
    perm = np.array(perm)  # new position j holds old unit perm[j]
    new_index = np.empty_like(perm)
    new_index[perm] = np.arange(perm.size)
    order = list(range(unit.size))
    random.shuffle(order)
    moved = domain_means(
        strata[perm], weights[perm], new_index[unit][order], domain[order], value[order], fpc=population[perm]
    )
    assert list(moved.domains) == list(base.domains)
    np.testing.assert_allclose(moved.mean, base.mean, rtol=1e-12)
    np.testing.assert_allclose(moved.se, base.se, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(moved.n, base.n)


@settings(max_examples=100, deadline=None)
@given(surveys())
def test_n_counts_distinct_raters(survey):
    strata, weights, population, unit, domain, value = survey
    result = domain_means(strata, weights, unit, domain, value)
    for d, n in zip(result.domains.tolist(), result.n):
        assert n == len(set(unit[domain == d].tolist()))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from(["a", "b"]), st.floats(0.1, 5.0), st.sampled_from(SCORES + [math.nan])),
        min_size=0,
        max_size=40,
    )
)
def test_unit_domain_scores_agree_with_the_loop_reference(rows):
    unit = np.array([r[0] for r in rows], dtype=np.int64)
    domain = np.array([r[1] for r in rows], dtype="<U1")
    weight = np.array([r[2] for r in rows], dtype=float)
    score = np.array([r[3] for r in rows], dtype=float)
    result = unit_domain_scores(unit, domain, weight, score)
    expected = {}
    for u, d, w, s in rows:
        if not math.isnan(s):
            total, weighted = expected.get((u, d), (0.0, 0.0))
            expected[(u, d)] = (total + w, weighted + w * s)
    pairs = sorted(expected)
    assert list(zip(result.unit.tolist(), result.domain.tolist())) == pairs
    np.testing.assert_allclose(result.score, [expected[p][1] / expected[p][0] for p in pairs], rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("xyz"), st.floats(1.0, 100.0), st.booleans()), min_size=1, max_size=30).filter(
        lambda rows: all(any(r[2] for r in rows if r[0] == h) for h in {r[0] for r in rows})
    )
)
def test_nonresponse_adjustment_keeps_each_strata_total_and_agrees_with_the_loop(rows):
    d = np.array([r[1] for r in rows])
    strata = np.array([r[0] for r in rows])
    responded = np.array([r[2] for r in rows])
    adjusted = nonresponse_adjusted(d, strata, responded)
    expected = []
    for i, (h, w, r) in enumerate(rows):
        if r:
            invited = sum(x[1] for x in rows if x[0] == h)
            answered = sum(x[1] for x in rows if x[0] == h and x[2])
            expected.append(w * invited / answered)
    np.testing.assert_allclose(adjusted, expected, rtol=1e-12)
    for h in set(strata.tolist()):
        assert math.isclose(adjusted[strata[responded] == h].sum(), d[strata == h].sum(), rel_tol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(-(2**40), 2**40), max_size=50).map(lambda v: np.array(v, dtype=np.int64)),
        st.lists(st.integers(0, 20), max_size=50).map(lambda v: np.array(v, dtype=np.int16)),
        st.lists(st.sampled_from(["b", "a", "ab", "c", ""]), max_size=50).map(lambda v: np.array(v, dtype="<U2")),
        st.lists(st.text(max_size=3), max_size=80).map(lambda v: np.array(v, dtype="<U3")),
    )
)
def test_label_coding_equals_numpy_unique(values):
    """The counting and peeling shortcuts give exactly np.unique(values, return_inverse=True)."""
    from scoring.estimate import _encode

    labels, codes = _encode(values)
    expected_labels, expected_codes = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_array_equal(codes, expected_codes)
    assert labels.dtype == expected_labels.dtype
