"""From answers to scores: option scores, then each respondent's score for each department.

An answer option has a score (default five levels 100/80/60/40/20); "not
familiar / 不了解" is missing (NaN), never zero. A respondent's score for a
department is the weighted mean of the scored items they answered, the item
weights re-normalised over the answered items.

Edge cases, decided:

- A missing answer is NaN (or a negative option code in ``option_scores``); it
  drops out of the mean together with its weight.
- A (unit, domain) pair with no answered item is dropped: that respondent did
  not rate that department (so it is not a zero and not a NaN in the output).
- Item weights must be finite and > 0 (ValueError otherwise): an item with
  weight 0 is not a scored item and should not be passed. Scores must be
  finite or NaN; ±inf is a ValueError.
- An item answered twice by the same respondent for the same department counts
  twice (the long table is taken as it is); de-duplicating answers is the
  caller's job.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

DEFAULT_SCALE = (100.0, 80.0, 60.0, 40.0, 20.0)


class UnitDomainScores(NamedTuple):
    """One row per (unit, domain) pair with at least one answered item, sorted by unit then domain."""

    unit: np.ndarray
    domain: np.ndarray
    score: np.ndarray


def option_scores(option, scale=DEFAULT_SCALE) -> np.ndarray:
    """Scores (float array) of 0-based option positions in ``scale``; a negative position ("not familiar") is NaN."""
    option = np.asarray(option)
    if option.size and not np.issubdtype(option.dtype, np.integer):
        raise ValueError(f"option must be integer positions into the scale; got dtype {option.dtype}")
    scale = np.asarray(scale, dtype=float)
    if scale.ndim != 1 or not np.all(np.isfinite(scale)):
        raise ValueError("scale must be a one-dimensional sequence of finite scores")
    option = option.astype(np.int64, copy=False)
    if option.size and option.max() >= scale.size:
        raise ValueError(f"option {int(option.max())} is beyond the scale of {scale.size} levels")
    # Index with the position clipped to 0, then blank the missing ones: no Python loop.
    out = scale[np.maximum(option, 0)] if scale.size else np.full(option.shape, np.nan)
    return np.where(option < 0, np.nan, out)


def unit_domain_scores(rating_unit, rating_domain, item_weight, item_score) -> UnitDomainScores:
    """Per (unit, domain): the weighted mean of the answered items' scores, weights re-normalised over them."""
    unit = np.asarray(rating_unit)
    domain = np.asarray(rating_domain)
    weight = np.asarray(item_weight, dtype=float)
    score = np.asarray(item_score, dtype=float)
    if not (unit.ndim == domain.ndim == weight.ndim == score.ndim == 1):
        raise ValueError("rating_unit, rating_domain, item_weight and item_score must be one-dimensional")
    if not (unit.size == domain.size == weight.size == score.size):
        raise ValueError(
            f"rating_unit, rating_domain, item_weight, item_score must have equal lengths; got "
            f"{unit.size}, {domain.size}, {weight.size}, {score.size}"
        )
    if unit.size and not np.issubdtype(unit.dtype, np.integer):
        raise ValueError(f"rating_unit must be integer unit indices; got dtype {unit.dtype}")
    if not np.all(np.isfinite(weight) & (weight > 0)):
        raise ValueError("item_weight must be finite and > 0 (leave unscored items out)")
    if np.any(np.isinf(score)):
        raise ValueError("item_score must be finite, or NaN for a missing answer; got inf")
    answered = ~np.isnan(score)
    unit, domain, weight, score = unit[answered], domain[answered], weight[answered], score[answered]
    if unit.size == 0:
        return UnitDomainScores(unit.astype(np.int64), domain, score)
    domain_labels, domain_code = np.unique(domain, return_inverse=True)
    unit = unit.astype(np.int64, copy=False)
    if unit.min() < 0:
        raise ValueError("rating_unit must be >= 0")
    key = unit * domain_labels.size + domain_code
    pairs, pair = np.unique(key, return_inverse=True)
    total_weight = np.bincount(pair, weights=weight, minlength=pairs.size)
    weighted = np.bincount(pair, weights=weight * score, minlength=pairs.size)
    return UnitDomainScores(pairs // domain_labels.size, domain_labels[pairs % domain_labels.size], weighted / total_weight)
