"""Combining estimates: policy weights over respondent categories, then channel weights.

Policy weights (e.g. large enterprises 30%, SMEs 30%, citizens 20%, deputies
10%, supervisors 5%, media 5%) combine the per-category domain means of a
department: m_d = Σ_c a_c ȳ_{c,d}, with a_c the policy weights re-normalised
over the categories that rated d, and SE = sqrt(Σ_c a_c² se_{c,d}²).

Assumption behind that SE: the per-category estimates are independent, which
holds when every sampling stratum lies inside one category (the strata of
different categories are sampled independently). ``by_category`` checks it
and raises ValueError when a stratum spans categories. The re-normalised
weights a_c are treated as fixed (which categories rated a department is
conditioned on). A category of policy weight 0 is left out of the composite
entirely (as if it had no data); it still has its own per-category estimate.

Channels (the sampled survey now; real-time ratings and complaint deductions
later) are just more entries of a mapping. A *scored* channel is a 0-100 score
whose weight is re-normalised over the scored channels that have the
department; an *additive* channel (e.g. complaint deductions, weight −1) is
added as it is and counts as 0 for a department it does not list. Channels
are assumed independent (different data sources): SE = sqrt(Σ c_k² se_k²).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .estimate import _domain_means, _encode

CHANNEL_KINDS = ("scored", "additive")


class PolicyComposite(NamedTuple):
    """Per department: policy-weighted mean, its SE, raters counted, and the re-normalised weight of each category."""

    domains: np.ndarray
    mean: np.ndarray
    se: np.ndarray
    n: np.ndarray
    categories: tuple
    shares: np.ndarray  # (departments × categories); each row sums to 1


@dataclass(frozen=True)
class Channel:
    """One source of a department score: labels, scores, SEs, counts, its weight and kind ("scored"/"additive")."""

    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray
    n: np.ndarray
    weight: float
    kind: str = "scored"


class Composite(NamedTuple):
    """Per department: composite score, its SE, and each channel's count and effective weight (0 if absent)."""

    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray
    channels: tuple
    n: np.ndarray  # (departments × channels); 0 where a channel does not list the department
    shares: np.ndarray  # (departments × channels); the weight each channel got for the department


def by_category(
    unit_category, unit_strata, unit_weights, rating_unit, rating_domain, rating_value, fpc=None, lonely_psu="adjust"
) -> dict:
    """``domain_means`` for each respondent category separately ({category: DomainMeans}); strata must nest in categories."""
    category = np.asarray(unit_category)
    strata = np.asarray(unit_strata)
    if category.shape != strata.shape:
        raise ValueError(f"unit_category and unit_strata must have equal shapes; got {category.shape}, {strata.shape}")
    categories, cat_code = _encode(category)
    stratum_labels, stratum_code = _encode(strata)
    # A stratum spanning categories would correlate their estimates; the composite SE assumes independence.
    pairs, _ = _encode(stratum_code * categories.size + cat_code)
    spanning = np.flatnonzero(np.bincount(pairs // max(categories.size, 1), minlength=stratum_labels.size) > 1)
    if spanning.size:
        raise ValueError(
            f"stratum {stratum_labels[spanning[0]]!r} holds units of several categories; strata must nest in "
            f"categories for independent per-category estimates"
        )
    rating_unit = np.asarray(rating_unit)
    rating_domain = np.asarray(rating_domain)
    rating_value = np.asarray(rating_value)
    unit_weights = np.asarray(unit_weights)
    fpc = None if fpc is None else np.asarray(fpc)
    if rating_unit.size and (
        not np.issubdtype(rating_unit.dtype, np.integer) or rating_unit.min() < 0 or rating_unit.max() >= category.size
    ):
        raise ValueError(f"rating_unit must be integer positions in [0, {category.size})")
    rating_cat = cat_code[rating_unit] if rating_unit.size else np.zeros(0, dtype=np.int64)
    # Units and ratings ordered by category once, so each category is a slice (no boolean mask per category);
    # a stable sort of 16-bit codes is a radix sort in numpy.
    if categories.size < 2**15:
        cat_code, rating_cat = cat_code.astype(np.int16), rating_cat.astype(np.int16)
    unit_order = np.argsort(cat_code, kind="stable")
    new_position = np.empty_like(unit_order)
    new_position[unit_order] = np.arange(unit_order.size)
    unit_bounds = np.searchsorted(cat_code[unit_order], np.arange(categories.size + 1))
    rating_order = np.argsort(rating_cat, kind="stable")
    rating_bounds = np.searchsorted(rating_cat[rating_order], np.arange(categories.size + 1))
    result = {}
    for c, label in enumerate(categories):
        units = unit_order[unit_bounds[c] : unit_bounds[c + 1]]
        ratings = rating_order[rating_bounds[c] : rating_bounds[c + 1]]
        result[label.item() if hasattr(label, "item") else label] = _domain_means(
            stratum_code[units],
            stratum_labels,
            unit_weights[units],
            new_position[rating_unit[ratings]] - unit_bounds[c],
            rating_domain[ratings],
            rating_value[ratings],
            None if fpc is None else fpc[units],
            lonely_psu,
        )
    return result


def policy_weighted(estimates: Mapping, policy_weights: Mapping, min_raters: int = 1) -> PolicyComposite:
    """Policy-weighted mean over categories per department, re-normalised over the categories with ≥ min_raters raters.

    A category of weight 0 is left out: its estimates count nowhere in the result (mean, SE, raters, or which
    departments have a composite), exactly as if it had no data; it keeps its column in ``shares`` (always 0).
    A category without a weight is an error, so that a category nobody thought of is not silently dropped.
    """
    unknown = sorted(map(str, set(estimates) - set(policy_weights)))
    if unknown:
        raise ValueError(f"no policy weight for categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}")
    categories = tuple(policy_weights)
    weight = np.array([policy_weights[c] for c in categories], dtype=float)
    if not np.all(np.isfinite(weight) & (weight >= 0)):
        raise ValueError("policy weights must be finite and >= 0 (0 leaves a category out)")
    if not np.any(weight > 0):
        raise ValueError("at least one policy weight must be > 0")
    if int(min_raters) != min_raters or min_raters < 1:
        raise ValueError(f"min_raters must be an integer >= 1; got {min_raters!r}")
    used = [j for j, c in enumerate(categories) if weight[j] > 0 and c in estimates]
    labels = [np.asarray(estimates[categories[j]].domains) for j in used]
    domains = np.unique(np.concatenate(labels)) if labels else np.zeros(0)
    shape = (domains.size, len(categories))
    means, ses, counts = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=np.int64)
    for j in used:
        c = categories[j]
        e = _checked(estimates[c], f"estimates[{c!r}]")
        column = np.searchsorted(domains, e.domains)
        means[column, j], ses[column, j], counts[column, j] = e.mean, e.se, e.n
    counted = counts >= min_raters  # zero-weight categories have count 0 everywhere, so never count
    raw = np.where(counted, weight, 0.0)
    total = raw.sum(axis=1)
    keep = total > 0  # a department no category rated often enough has no composite
    shares = raw[keep] / total[keep, None]
    mean = np.sum(shares * means[keep], axis=1)
    se = np.sqrt(np.sum(shares**2 * ses[keep] ** 2, axis=1))
    n = np.where(counted, counts, 0)[keep].sum(axis=1)
    return PolicyComposite(domains[keep], mean, se, n, categories, shares)


def combine_channels(channels: Mapping) -> Composite:
    """Composite score per department from named channels: scored ones re-normalised, additive ones added."""
    if not channels:
        raise ValueError("at least one channel is needed")
    names = tuple(channels)
    for name in names:
        ch = channels[name]
        if ch.kind not in CHANNEL_KINDS:
            raise ValueError(f"channel {name!r}: kind must be one of {', '.join(CHANNEL_KINDS)}; got {ch.kind!r}")
        if not np.isfinite(ch.weight) or (ch.kind == "scored" and ch.weight <= 0):
            raise ValueError(f"channel {name!r}: weight must be finite, and > 0 for a scored channel")
        _checked(ch, f"channel {name!r}")
    if not any(channels[k].kind == "scored" for k in names):
        raise ValueError("at least one scored channel is needed")
    domains = np.unique(np.concatenate([np.asarray(channels[k].domains) for k in names]))
    shape = (domains.size, len(names))
    score, se, n, listed = np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=np.int64), np.zeros(shape, bool)
    for j, k in enumerate(names):
        ch = channels[k]
        column = np.searchsorted(domains, ch.domains)
        score[column, j], se[column, j], n[column, j], listed[column, j] = ch.score, ch.se, ch.n, True
    scored = np.array([channels[k].kind == "scored" for k in names])
    weight = np.array([channels[k].weight for k in names], dtype=float)
    raw = np.where(listed & scored, weight, 0.0)
    total = raw.sum(axis=1)
    keep = total > 0  # a department with no scored channel (e.g. only deductions) has no composite score
    shares = raw[keep] / total[keep, None] + np.where(listed[keep] & ~scored, weight, 0.0)
    return Composite(
        domains[keep],
        np.sum(shares * score[keep], axis=1),
        np.sqrt(np.sum(shares**2 * se[keep] ** 2, axis=1)),
        names,
        n[keep],
        shares,
    )


def _checked(estimate, what):
    """The estimate's arrays, validated: unique domain labels, finite mean (score) and se ≥ 0, equal lengths."""
    domains = np.asarray(estimate.domains)
    values = np.asarray(estimate.score if hasattr(estimate, "score") else estimate.mean, dtype=float)
    se = np.asarray(estimate.se, dtype=float)
    n = np.asarray(estimate.n)
    if not (domains.shape == values.shape == se.shape == n.shape) or domains.ndim != 1:
        raise ValueError(f"{what}: domains, values, se and n must be one-dimensional of equal length")
    if np.unique(domains).size != domains.size:
        raise ValueError(f"{what}: domain labels must be unique")
    if not (np.all(np.isfinite(values)) and np.all(np.isfinite(se) & (se >= 0))):
        raise ValueError(f"{what}: values must be finite and standard errors finite and >= 0")
    if np.any(n < 0):
        raise ValueError(f"{what}: counts must be >= 0")
    return estimate
