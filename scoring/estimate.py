"""Domain means with Taylor-linearised standard errors for a stratified design.

Each responding unit is its own PSU; strata are the sampling strata. For a
domain d (a department) and δ_i = 1 if unit i rated d:

    ȳ_d = Σ w_i δ_i y_i / Σ w_i δ_i                           (ratio estimator)
    z_i = δ_i (y_i − ȳ_d) / Σ w_j δ_j                          (linearised variable)
    V   = Σ_h (1 − f_h) n_h/(n_h − 1) Σ_{i∈h} (w_i z_i − mean_h(w z))²

with n_h the number of responding units in stratum h (raters of d or not) and
f_h = n_h/N_h when the stratum population sizes are given (``fpc``), 0
otherwise. Units that did not rate d stay in their stratum with z_i = 0: this
is proper domain estimation, the numbers of R's ``survey`` package
``svymean(~y, subset(design, rated))`` (or ``svyby``). Dropping the non-raters
from the design would treat the number of raters per stratum as fixed and
gives a different, wrong standard error.

Edge cases, decided:

- A stratum with a single responding unit (``lonely_psu``): ``"adjust"`` (the
  default) centres that unit's w·z at the overall mean (which is 0 for a ratio
  mean) and weighs it by (1 − f_h), as R's ``options(survey.lonely.psu =
  "adjust")``: conservative, the unit is not treated as a certainty.
  ``"certainty"`` gives the stratum no variance (R's ``"certainty"``), for a
  stratum that really is a take-all unit. ``"fail"`` raises ValueError naming
  the stratum, as R's default. A lonely unit whose stratum has N_h = 1 under
  ``fpc`` contributes nothing in any mode (f_h = 1). A stratum with several
  units of which only one rated d is not lonely (the others are zeros).
- A unit that rated the same domain several times: its ratings are averaged
  first (unweighted) and it counts as one rater.
- Domains that nobody rated do not appear in the result (the caller knows its
  list of departments and treats a missing one as n = 0). The output never
  holds a NaN: every listed domain has n ≥ 1 and a finite mean and SE.
- Non-finite values (ratings, weights, fpc) are a ValueError, as are weights
  ≤ 0, fpc below the stratum's number of responding units or differing within
  a stratum, and unit indices out of range. Missing answers must be removed
  before (``scoring.items.unit_domain_scores`` does).
- No rating at all gives empty arrays.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

LONELY_PSU = ("adjust", "certainty", "fail")

# Dense (unit × domain) counting is faster than sorting while the table stays small.
_DENSE_PAIRS_LIMIT = 1 << 26
# Up to this many distinct string labels are found by repeated comparison instead of a sort.
_FEW_LABELS = 32


class DomainMeans(NamedTuple):
    """Sorted domain labels, their weighted means, standard errors and numbers of raters."""

    domains: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray


def domain_means(
    unit_strata, unit_weights, rating_unit, rating_domain, rating_value, fpc=None, lonely_psu="adjust"
) -> DomainMeans:
    """Weighted mean and linearised SE of every rated domain under a stratified design of the responding units."""
    return _domain_means(unit_strata, None, unit_weights, rating_unit, rating_domain, rating_value, fpc, lonely_psu)


def _domain_means(unit_strata, stratum_names, unit_weights, rating_unit, rating_domain, rating_value, fpc, lonely_psu):
    """``domain_means``; with ``stratum_names``, unit_strata are already codes into them (saves re-sorting labels)."""
    strata = np.asarray(unit_strata)
    weights = np.asarray(unit_weights, dtype=float)
    unit = np.asarray(rating_unit)
    domain = np.asarray(rating_domain)
    value = np.asarray(rating_value, dtype=float)
    if lonely_psu not in LONELY_PSU:
        raise ValueError(f"lonely_psu must be one of {', '.join(LONELY_PSU)}; got {lonely_psu!r}")
    if strata.ndim != 1 or weights.shape != strata.shape:
        raise ValueError(
            f"unit_strata and unit_weights must be one-dimensional of equal length; got {strata.shape}, {weights.shape}"
        )
    if not (unit.ndim == domain.ndim == value.ndim == 1) or not (unit.size == domain.size == value.size):
        raise ValueError(
            f"rating_unit, rating_domain and rating_value must be one-dimensional of equal length; got "
            f"{unit.shape}, {domain.shape}, {value.shape}"
        )
    if not np.all(np.isfinite(weights) & (weights > 0)):
        raise ValueError("unit_weights must be finite and > 0")
    if not np.all(np.isfinite(value)):
        raise ValueError("rating_value must be finite; remove missing ratings (NaN) before estimating")
    if unit.size and not np.issubdtype(unit.dtype, np.integer):
        raise ValueError(f"rating_unit must be integer positions into the unit arrays; got dtype {unit.dtype}")
    n_units = strata.size
    if unit.size and (unit.min() < 0 or unit.max() >= n_units):
        raise ValueError(f"rating_unit must lie in [0, {n_units}); got values from {unit.min()} to {unit.max()}")
    if n_units == 0 or unit.size == 0:
        empty = np.zeros(0)
        return DomainMeans(np.unique(domain), empty, empty.copy(), np.zeros(0, dtype=np.int64))

    stratum_labels, stratum = _encode(strata)
    if stratum_names is not None:
        stratum_labels = np.asarray(stratum_names)[stratum_labels]  # only used to name strata in messages
    n_strata = stratum_labels.size
    n_h = np.bincount(stratum, minlength=n_strata).astype(float)
    one_minus_f = _one_minus_f(fpc, stratum, stratum_labels, n_h)
    lonely = n_h == 1
    if lonely.any() and lonely_psu == "fail":
        raise ValueError(
            f"stratum {_names(stratum_labels[lonely])} has a single responding unit; its variance cannot be "
            f"estimated (choose lonely_psu='adjust' or 'certainty', or merge strata)"
        )

    domain_labels, dom = _encode(domain)
    n_domains = domain_labels.size
    unit = unit.astype(np.int64, copy=False)
    unit, dom, value = _one_rating_per_unit_and_domain(unit, dom, value, n_units, n_domains)

    w = weights[unit]
    wsum = np.bincount(dom, weights=w, minlength=n_domains)
    mean = np.bincount(dom, weights=w * value, minlength=n_domains) / wsum
    raters = np.bincount(dom, minlength=n_domains)

    # w_i z_i for the raters; non-raters have w z = 0 but still count in n_h.
    wz = w * (value - mean[dom]) / wsum[dom]
    cell = stratum[unit] * n_domains + dom
    n_cells = n_strata * n_domains
    cell_sum = np.bincount(cell, weights=wz, minlength=n_cells)
    cell_raters = np.bincount(cell, minlength=n_cells)
    # Two passes (deviations from the stratum mean) rather than Σx² − (Σx)²/n: no cancellation.
    stratum_mean = cell_sum / np.repeat(n_h, n_domains)
    deviation = wz - stratum_mean[cell]
    squares = np.bincount(cell, weights=deviation * deviation, minlength=n_cells)
    squares += (np.repeat(n_h, n_domains) - cell_raters) * stratum_mean**2
    squares = squares.reshape(n_strata, n_domains)

    scale = np.zeros(n_strata)
    several = ~lonely
    scale[several] = one_minus_f[several] * n_h[several] / (n_h[several] - 1)
    if lonely_psu == "adjust":
        # R's "adjust": the lone unit's w·z is centred at the grand mean of w·z over all units, which is 0 for a
        # ratio mean (Σ w z = 0), and scaled by (1 − f_h) only.
        scale[lonely] = one_minus_f[lonely]
        squares[lonely] = (cell_sum.reshape(n_strata, n_domains)[lonely]) ** 2
    variance = scale @ squares
    # Rounding can leave −1e−30 where the exact variance is 0.
    se = np.sqrt(np.maximum(variance, 0.0))
    return DomainMeans(domain_labels, mean, se, raters)


def _one_minus_f(fpc, stratum, stratum_labels, n_h) -> np.ndarray:
    """1 − n_h/N_h per stratum from the units' stratum population sizes; ones without fpc."""
    if fpc is None:
        return np.ones(stratum_labels.size)
    population = np.asarray(fpc, dtype=float)
    if population.shape != stratum.shape:
        raise ValueError(f"fpc must give one population size per unit; got shape {population.shape}")
    if not np.all(np.isfinite(population)):
        raise ValueError("fpc must be finite stratum population sizes")
    per_stratum = np.zeros(stratum_labels.size)
    per_stratum[stratum] = population
    if np.any(population != per_stratum[stratum]):
        differing = np.unique(stratum[population != per_stratum[stratum]])
        raise ValueError(f"fpc differs within stratum {_names(stratum_labels[differing])}")
    too_small = per_stratum < n_h
    if too_small.any():
        raise ValueError(
            f"fpc of stratum {_names(stratum_labels[too_small])} is smaller than its number of responding units"
        )
    return 1.0 - n_h / per_stratum


def _one_rating_per_unit_and_domain(unit, dom, value, n_units, n_domains):
    """The ratings with each unit's repeated ratings of a domain averaged into one."""
    pairs = n_units * n_domains
    key = unit * n_domains + dom
    if pairs <= _DENSE_PAIRS_LIMIT:
        counts = np.bincount(key, minlength=pairs)
        if counts.max() <= 1:
            return unit, dom, value
        distinct = np.flatnonzero(counts)
        total = np.bincount(key, weights=value, minlength=pairs)[distinct]
        return distinct // n_domains, distinct % n_domains, total / counts[distinct]
    distinct, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    if distinct.size == key.size:
        return unit, dom, value
    total = np.bincount(inverse, weights=value, minlength=distinct.size)
    return distinct // n_domains, distinct % n_domains, total / counts


def _encode(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels and each value's code, as ``np.unique(values, return_inverse=True)``."""
    # Integer labels of a small range (department ids, stratum numbers) are coded by counting, not sorting.
    if values.size and np.issubdtype(values.dtype, np.integer) and values.dtype.itemsize <= 8:
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * values.size + 1024:
            offset = values.astype(np.int64, copy=False) - low
            present = np.bincount(offset, minlength=high - low + 1) > 0
            code_of = np.cumsum(present) - 1
            labels = (np.flatnonzero(present) + low).astype(values.dtype)
            return labels, code_of[offset]
    elif values.size and values.dtype.kind in "US":
        # A few distinct strings (strata, categories): peel them off one by one, then code by binary search;
        # sorting 100,000 strings costs far more.
        found, rest = [], values
        while rest.size and len(found) < _FEW_LABELS:
            found.append(rest[0])
            rest = rest[rest != rest[0]]
        if not rest.size:
            labels = np.sort(np.array(found, dtype=values.dtype))
            return labels, np.searchsorted(labels, values)
    return np.unique(values, return_inverse=True)


def _names(labels) -> str:
    return ", ".join(repr(label.item() if hasattr(label, "item") else label) for label in labels)
