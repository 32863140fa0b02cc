"""Confidence intervals for a proportion.

The Wilson score interval (Wilson 1927; recommended by Newcombe 1998 and by Brown, Cai & DasGupta 2001 over
the textbook p ± z·se): it stays inside [0, 1], is not degenerate at 0 or n successes, and keeps close to its
nominal coverage for the small n of a call-back check (a handful of answers per department).

    low, high = wilson(8, 10)          # 95%: (0.4902, 0.9433)
"""
from __future__ import annotations

import math
import operator

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson(successes, n, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval (low, high) for ``successes`` out of ``n``; ValueError for n = 0 or bad counts."""
    successes, n = _count(successes, "successes"), _count(n, "n")
    if n == 0:
        raise ValueError("n must be at least 1: a proportion of nothing has no interval")
    if successes > n:
        raise ValueError(f"successes = {successes} exceeds n = {n}")
    if not (isinstance(z, (int, float)) and math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number; got {z!r}")
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0 or n successes one bound is exactly 0 or 1; rounding must not push it past.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _count(value, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return value
