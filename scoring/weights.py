"""Survey weights: design weights 1/π and the non-response adjustment within strata.

d_i = 1/π_i for every invited unit; within each stratum h the respondents'
weights are multiplied by a_h = Σ_invited d / Σ_responded d, so that they add
up to what the whole invited sample (hence, in expectation, the stratum's
population) adds up to. Respondents are treated as a random sub-sample of the
invited within their stratum (missing at random given the stratum).

Edge cases, decided:

- A stratum with invited units but no respondent: ValueError naming the
  stratum (``on_empty="raise"``, the default). Its population cannot be
  represented by anybody in it; moving its weight to other strata would be a
  silent re-definition of the population that the assessment office must
  decide on and see. The office can either merge (collapse) that stratum with
  a similar one by passing merged stratum labels, or pass ``on_empty="drop"``:
  the stratum's weight is then lost, i.e. the estimates describe the
  population of the strata that answered (no other stratum is inflated).
- Design weights must be finite and > 0, ``responded`` must be boolean; a
  ValueError says which input is wrong. No respondent at all is a ValueError
  under ``"raise"`` (every stratum is empty) and an empty array under ``"drop"``.
"""
from __future__ import annotations

import numpy as np

from .estimate import _encode

ON_EMPTY = ("raise", "drop")


def design_weights(inclusion_probability) -> np.ndarray:
    """Design weights 1/π (float array); π must lie in (0, 1]."""
    pi = np.asarray(inclusion_probability, dtype=float)
    if not np.all(np.isfinite(pi) & (pi > 0) & (pi <= 1)):
        raise ValueError("inclusion probabilities must lie in (0, 1]")
    return 1.0 / pi


def nonresponse_adjusted(design_weights, strata, responded, on_empty="raise") -> np.ndarray:
    """Respondents' weights d_i·Σ_h(invited d)/Σ_h(responding d), aligned with the respondents in input order."""
    d = np.asarray(design_weights, dtype=float)
    strata = np.asarray(strata)
    responded = np.asarray(responded)
    if not (d.ndim == strata.ndim == responded.ndim == 1) or not (d.size == strata.size == responded.size):
        raise ValueError(
            f"design_weights, strata and responded must be one-dimensional of equal length; got "
            f"{d.shape}, {strata.shape}, {responded.shape}"
        )
    if responded.dtype != bool:
        raise ValueError(f"responded must be a boolean array; got dtype {responded.dtype}")
    if not np.all(np.isfinite(d) & (d > 0)):
        raise ValueError("design_weights must be finite and > 0")
    if on_empty not in ON_EMPTY:
        raise ValueError(f"on_empty must be one of {', '.join(ON_EMPTY)}; got {on_empty!r}")
    if d.size == 0:
        return d.copy()
    labels, code = _encode(strata)
    invited = np.bincount(code, weights=d, minlength=labels.size)
    answered = np.bincount(code[responded], weights=d[responded], minlength=labels.size)
    empty = answered == 0
    if empty.any() and on_empty == "raise":
        names = ", ".join(repr(label.item() if hasattr(label, "item") else label) for label in labels[empty])
        raise ValueError(
            f"stratum {names} has invited units but no respondent; merge it with a similar stratum "
            f"or pass on_empty='drop' to leave its weight out of the estimates"
        )
    # Empty strata have no respondent, so their factor is never looked up; 1.0 only avoids 0/0.
    factor = np.divide(invited, answered, out=np.ones_like(invited), where=~empty)
    return d[responded] * factor[code[responded]]
