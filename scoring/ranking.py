"""Ranks, grade bands, rank intervals and round-to-round changes of department scores.

Decisions:

- Ranks are competition ranks ("1, 2, 2, 4"): tied departments share the best
  rank of the tie and the next rank is skipped. Higher score = better rank.
  Scores are compared after rounding to ``decimals`` (2, as published), so a
  tie that readers see is a tie, and floating-point noise (85.3333333 vs
  85.3333334) never orders two departments. ``decimals=None`` compares raw
  floats.
- Grade bands are (label, lower bound) pairs, best first; a score gets the
  first band whose lower bound it reaches (≥, after the same rounding), so a
  score exactly at a threshold gets the higher band. Default: 优秀 ≥ 90,
  良好 ≥ 80, 一般 ≥ 60, 较差 below.
- A department with fewer than ``min_raters`` raters is "样本不足": not
  ranked (rank 0, which no ranked department has), no grade band, no rank
  interval (0, 0), and left out of the other departments' ranking.
- Rank intervals: draw every ranked department's score independently from
  Normal(mean, se) ``draws`` times with ``numpy.random.default_rng(seed)``,
  rank each draw (competition ranks), and take the empirical (inverted-CDF)
  2.5% and 97.5% quantiles of each department's ranks. The quantile interval
  can miss the point rank (e.g. 50 departments with equal scores: rank 1 has
  probability 2%); it is then widened to include it, since the interval is
  published next to the point rank (``include_point_rank=False`` gives the
  raw quantiles). Deterministic for a given seed, numpy version and input
  order.
- Change against the previous round: z = (m1 − m0)/sqrt(se1² + se0²), flagged
  when |z| > 1.96. Rounds are treated as independent samples (the overlap of
  consecutive samples is kept small by the draw). A department absent from
  the previous round has ``has_previous`` False, delta and z 0 and no flag.
  With se1 = se0 = 0 a non-zero change has z = ±inf (flagged) and no change z = 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

DEFAULT_BANDS = (("优秀", 90.0), ("良好", 80.0), ("一般", 60.0), ("较差", -np.inf))
INSUFFICIENT = "样本不足"
Z_95 = 1.96


class RankIntervals(NamedTuple):
    """Lower and upper ends of each department's rank interval (0 for a department not ranked)."""

    low: np.ndarray
    high: np.ndarray


class Change(NamedTuple):
    """Per department: change against the previous round, its z statistic, flag, and whether there was a previous."""

    delta: np.ndarray
    z: np.ndarray
    significant: np.ndarray
    has_previous: np.ndarray


@dataclass(frozen=True)
class Assessment:
    """The published table: one entry per department, in the order of ``domains``."""

    domains: np.ndarray
    score: np.ndarray
    se: np.ndarray
    n: np.ndarray
    ranked: np.ndarray
    rank: np.ndarray
    rank_low: np.ndarray
    rank_high: np.ndarray
    grade: np.ndarray
    change: Change


def competition_ranks(scores, eligible=None, decimals=2) -> np.ndarray:
    """Competition ranks (int64, 1 = highest score, ties share the best rank) of the eligible scores; 0 if not eligible."""
    scores = _scores(scores, decimals)
    eligible = _mask(eligible, scores.size)
    ranks = np.zeros(scores.size, dtype=np.int64)
    if eligible.any():
        ranks[eligible] = _row_ranks(scores[eligible][None, :])[0]
    return ranks


def grades(scores, bands=DEFAULT_BANDS, decimals=2) -> np.ndarray:
    """The grade label of each score: the first band (best first) whose lower bound the rounded score reaches."""
    scores = _scores(scores, decimals)
    labels, bounds = _bands(bands)
    first = _first_reached(scores, bounds)
    if np.any(first >= bounds.size):
        raise ValueError(f"score {scores[first >= bounds.size][0]} is below the lowest grade band")
    return np.asarray(labels, dtype=object)[first].astype(str)


def rank_intervals(mean, se, seed, draws=1000, level=0.95, eligible=None, decimals=2, include_point_rank=True) -> RankIntervals:
    """Simulated rank intervals of the eligible departments (quantiles of ranks of Normal(mean, se) draws); 0 if not eligible."""
    mean = _scores(mean, None)
    se = np.asarray(se, dtype=float)
    if se.shape != mean.shape or not np.all(np.isfinite(se) & (se >= 0)):
        raise ValueError("se must be finite, >= 0 and aligned with mean")
    if int(draws) != draws or draws < 1:
        raise ValueError(f"draws must be a positive integer; got {draws!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1); got {level!r}")
    eligible = _mask(eligible, mean.size)
    low = np.zeros(mean.size, dtype=np.int64)
    high = np.zeros(mean.size, dtype=np.int64)
    if not eligible.any():
        return RankIntervals(low, high)
    rng = np.random.default_rng(seed)
    m, s = mean[eligible], se[eligible]
    simulated = m + s * rng.standard_normal((int(draws), m.size))
    ranks = _row_ranks(simulated)
    alpha = (1 - level) / 2
    q = np.quantile(ranks, [alpha, 1 - alpha], axis=0, method="inverted_cdf").astype(np.int64)
    lo, hi = q[0], q[1]
    if include_point_rank:
        point = competition_ranks(mean, eligible, decimals)[eligible]
        lo, hi = np.minimum(lo, point), np.maximum(hi, point)
    low[eligible], high[eligible] = lo, hi
    return RankIntervals(low, high)


def compare_rounds(domains, mean, se, previous_domains, previous_mean, previous_se, z_critical=Z_95) -> Change:
    """Change of each department against the previous round (matched by label), z and the |z| > z_critical flag."""
    domains = np.asarray(domains)
    mean, se = np.asarray(mean, dtype=float), np.asarray(se, dtype=float)
    previous_domains = np.asarray(previous_domains)
    previous_mean, previous_se = np.asarray(previous_mean, dtype=float), np.asarray(previous_se, dtype=float)
    for name, values in (("mean", mean), ("se", se), ("previous_mean", previous_mean), ("previous_se", previous_se)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} must be finite")
    if np.any(se < 0) or np.any(previous_se < 0):
        raise ValueError("standard errors must be >= 0")
    if np.unique(previous_domains).size != previous_domains.size:
        raise ValueError("previous_domains must be unique")
    order = np.argsort(previous_domains, kind="stable")
    sorted_previous = previous_domains[order]
    position = np.minimum(np.searchsorted(sorted_previous, domains), max(sorted_previous.size - 1, 0))
    has_previous = (sorted_previous[position] == domains) if sorted_previous.size else np.zeros(domains.size, bool)
    match = order[position] if sorted_previous.size else np.zeros(domains.size, dtype=np.int64)
    delta = np.where(has_previous, mean - (previous_mean[match] if sorted_previous.size else 0.0), 0.0)
    spread = np.sqrt(se**2 + np.where(has_previous, previous_se[match] if sorted_previous.size else 0.0, 0.0) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(spread > 0, delta / spread, np.where(delta == 0, 0.0, np.copysign(np.inf, delta)))
    z = np.where(has_previous, z, 0.0)
    return Change(delta, z, np.abs(z) > z_critical, has_previous)


def assess(
    domains, score, se, n, seed, min_raters=30, bands=DEFAULT_BANDS, draws=1000, level=0.95, decimals=2, previous=None
) -> Assessment:
    """Ranks, rank intervals, grades and changes of the departments with at least ``min_raters`` raters."""
    domains = np.asarray(domains)
    score = _scores(score, None)
    se = np.asarray(se, dtype=float)
    n = np.asarray(n)
    if not (domains.shape == score.shape == se.shape == n.shape):
        raise ValueError("domains, score, se and n must be aligned")
    if int(min_raters) != min_raters or min_raters < 1:
        raise ValueError(f"min_raters must be an integer >= 1; got {min_raters!r}")
    ranked = n >= min_raters
    rank = competition_ranks(score, ranked, decimals)
    low, high = rank_intervals(score, se, seed, draws, level, ranked, decimals)
    grade = np.full(score.size, INSUFFICIENT, dtype=object)
    grade[ranked] = grades(score[ranked], bands, decimals)
    if previous is None:
        change = compare_rounds(domains, score, se, domains[:0], score[:0], se[:0])
    else:
        previous_values = previous.score if hasattr(previous, "score") else previous.mean
        change = compare_rounds(domains, score, se, previous.domains, previous_values, previous.se)
    return Assessment(domains, score, se, n, ranked, rank, low, high, grade.astype(str), change)


def _row_ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks (descending) within each row of a 2-D array, all rows at once."""
    rows, k = values.shape
    order = np.argsort(-values, axis=1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=1)
    # Position of the first member of each run of equal values = its competition rank − 1.
    starts = np.zeros((rows, k), dtype=np.int64)
    starts[:, 1:] = np.where(ordered[:, 1:] != ordered[:, :-1], np.arange(1, k), 0)
    np.maximum.accumulate(starts, axis=1, out=starts)
    ranks = np.empty_like(starts)
    np.put_along_axis(ranks, order, starts + 1, axis=1)
    return ranks


def _first_reached(scores, bounds) -> np.ndarray:
    """Index of the first bound (descending) that each score reaches; len(bounds) if none."""
    # −bounds is ascending; the number of bounds strictly above a score is the first index it reaches.
    return np.searchsorted(-bounds, -scores, side="left")


def _bands(bands):
    labels = [label for label, _ in bands]
    bounds = np.array([bound for _, bound in bands], dtype=float)
    if not labels or np.any(np.isnan(bounds)) or np.any(np.diff(bounds) >= 0):
        raise ValueError("grade bands must be (label, lower bound) pairs with strictly decreasing bounds, best first")
    return labels, bounds


def _scores(scores, decimals) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or not np.all(np.isfinite(scores)):
        raise ValueError("scores must be a one-dimensional array of finite numbers")
    return scores if decimals is None else np.round(scores, decimals)


def _mask(eligible, size) -> np.ndarray:
    if eligible is None:
        return np.ones(size, dtype=bool)
    eligible = np.asarray(eligible)
    if eligible.dtype != bool or eligible.shape != (size,):
        raise ValueError("eligible must be a boolean array aligned with the scores")
    return eligible
