"""One model of how the demo city's departments serve, month by month, so that every demo round tells one story.

A department has its own level (its effect, on the questionnaire's 1–5 scale), drifts a little from month to month
(most improve slowly, some slip) and wobbles slightly around that line; the respondents' answers then scatter
around the month's level (``simulate_responses``: the sampling noise). The past rounds and the open round are all
drawn from this model, so the trend, the significance stars and the grades look like a real city's.

Each department's draws depend only on its code and the month, never on which other departments exist or the
order they are seeded in.
"""
from __future__ import annotations

import zlib

import numpy as np

SEED = 20261127
LEVELS = (2.9, 4.4)  # departments' own levels are spread uniformly over this range
DRIFT = (0.03, 0.04)  # mean and spread of the monthly drift
WOBBLE = 0.03  # month-to-month scatter around the drift line
BOUNDS = (1.5, 4.9)


def _rng(code: str, *more: int) -> np.random.Generator:
    return np.random.default_rng([SEED, zlib.crc32(code.encode("utf-8")), *more])


def level(code: str, month: int) -> float:
    """The mean answer of department ``code`` in month ``month`` (0 = the first demo round)."""
    own = _rng(code)
    effect, drift = own.uniform(*LEVELS), own.normal(*DRIFT)
    wobble = _rng(code, month).normal(0, WOBBLE)
    return float(np.clip(effect + month * drift + wobble, *BOUNDS))


def levels(departments, month: int) -> dict[int, float]:
    """``level`` of each department, by id: the ``quality`` that ``simulate_responses`` takes."""
    return {d.id: level(d.code, month) for d in departments}
