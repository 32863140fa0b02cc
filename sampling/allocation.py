"""How many members to draw from each stratum: proportional, Neyman or equal shares of n.

Every allocation sums to exactly n, never exceeds a stratum's size N_h, and
gives each stratum at least min(minimum, N_h). Shares are computed in exact
rational arithmetic (``fractions.Fraction``) so that the bounds and the
largest-remainder rounding never depend on floating-point noise.

The continuous allocation is x_h = clip(λ·w_h, min(minimum, N_h), N_h), with
the weight w_h = N_h (proportional), N_h·S_h (Neyman) or 1 (equal) and λ the
one value that makes the x_h sum to n. It is found as the manuals describe:
strata whose share falls below their minimum or above N_h are fixed there and
the rest is re-shared among the others, repeatedly (Cochran, *Sampling
Techniques*, 3rd ed., on optimum allocation and on allocations requiring more
than 100 per cent sampling). When strata fall out on both sides at once, only
the side with the larger violation is fixed in that round: fixing both can
overshoot, this way the procedure ends at the exact λ. Integers then come from
the largest-remainder (Hamilton) method, ties going to the stratum that comes
first; rounding never crosses a stratum's minimum or N_h.

Edge cases, decided:

- n = 0 gives all zeros; an empty list of strata is allowed when n = 0.
- A stratum of size 0 gets 0 (its minimum is min(minimum, 0) = 0).
- If the minimums alone need more than n (e.g. minimum·H > n), ValueError
  naming ``minimum``: the sum is never silently broken.
- Neyman with S_h = 0: that stratum has no variance to reduce, so it gets its
  minimum only, unless the strata with S_h > 0 are all full; then the overflow
  is shared among the S_h = 0 strata in proportion to N_h. All S_h = 0 is
  therefore the proportional allocation.
- ``sd`` is read by the Neyman method only; the other methods ignore it.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from fractions import Fraction

import numpy as np

METHODS = ("proportional", "neyman", "equal")


def allocate(sizes, n, method="proportional", sd=None, minimum=0) -> np.ndarray:
    """Per-stratum sample sizes (int64 array, in the order of ``sizes``) that sum to exactly n."""
    sizes = [_count(size, f"sizes[{h}]") for h, size in enumerate(sizes)]
    n = _count(n, "n")
    minimum = _count(minimum, "minimum")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    total = sum(sizes)
    if n > total:
        raise ValueError(f"n = {n} exceeds the frame: the strata (sizes) hold {total} members in all")
    floors = [min(minimum, size) for size in sizes]
    if sum(floors) > n:
        raise ValueError(
            f"minimum = {minimum} per stratum needs {sum(floors)} members in all, more than n = {n}"
        )
    weights = _weights(method, sizes, sd)
    shares = _shares_with_overflow(n, weights, floors, sizes)
    return np.array(_largest_remainder(shares, n), dtype=np.int64)


def allocation_plan(sizes_by_stratum: Mapping, n, method="proportional", sd=None, minimum=0) -> dict:
    """``allocate`` over named strata: {stratum: N_h} in, {stratum: n_h} out (``sd`` a {stratum: S_h} mapping)."""
    names = list(sizes_by_stratum)
    sd_list = None
    if sd is not None:
        missing = [name for name in names if name not in sd]
        if missing:
            raise ValueError(f"sd has no value for stratum {missing[0]!r}")
        sd_list = [sd[name] for name in names]
    counts = allocate([sizes_by_stratum[name] for name in names], n, method, sd_list, minimum)
    return {name: int(count) for name, count in zip(names, counts)}


def _count(value, name: str) -> int:
    # operator.index accepts Python and numpy integers but refuses 2.5 and "3".
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value}")
    return value


def _weights(method: str, sizes: Sequence[int], sd) -> list[Fraction]:
    if method == "proportional":
        return [Fraction(size) for size in sizes]
    if method == "equal":
        return [Fraction(1)] * len(sizes)
    if sd is None:
        raise ValueError("sd (the standard deviation of each stratum) is required for method='neyman'")
    sd = list(sd)
    if len(sd) != len(sizes):
        raise ValueError(f"sd has {len(sd)} values but sizes has {len(sizes)} strata")
    weights = []
    for h, (size, s) in enumerate(zip(sizes, sd)):
        try:
            s = float(s)
        except (TypeError, ValueError):
            raise ValueError(f"sd[{h}] must be a number; got {s!r}") from None
        if not math.isfinite(s) or s < 0:
            raise ValueError(f"sd[{h}] must be a finite number >= 0; got {s}")
        weights.append(size * Fraction(s))
    return weights


def _shares_with_overflow(n: int, weights, lower, upper) -> list[Fraction]:
    # A zero weight (Neyman S_h = 0) keeps a stratum at its minimum. If the
    # weighted strata cannot absorb n even when full, they are filled and the
    # overflow goes to the zero-weight strata in proportion to their sizes.
    weighted = [w > 0 for w in weights]
    capacity = sum(up if has_weight else low for has_weight, low, up in zip(weighted, lower, upper))
    if n <= capacity:
        return _bounded_shares(n, weights, lower, upper)
    weights = [Fraction(0) if has_weight else Fraction(up) for has_weight, up in zip(weighted, upper)]
    lower = [up if has_weight else low for has_weight, low, up in zip(weighted, lower, upper)]
    return _bounded_shares(n, weights, lower, upper)


def _bounded_shares(total, weights, lower, upper) -> list[Fraction]:
    """Exact shares clip(λ·w_h, lower_h, upper_h) that sum to ``total`` (needs Σlower ≤ total ≤ reachable maximum)."""
    count = len(weights)
    fixed = {h: Fraction(lower[h]) for h in range(count) if weights[h] == 0}
    while True:
        free = [h for h in range(count) if h not in fixed]
        if not free:
            return [fixed[h] for h in range(count)]
        rest = total - sum(fixed.values())
        scale = Fraction(rest) / sum(weights[h] for h in free)
        below = [h for h in free if scale * weights[h] < lower[h]]
        above = [h for h in free if scale * weights[h] > upper[h]]
        if not below and not above:
            return [fixed[h] if h in fixed else scale * weights[h] for h in range(count)]
        # Fixing both sides at once can overshoot. The side with the larger
        # violation tells where the final λ lies (below this one if the
        # shortfall wins), and the strata violating on that side still violate
        # at the final λ, so fixing them is never undone.
        shortfall = sum(lower[h] - scale * weights[h] for h in below)
        excess = sum(scale * weights[h] - upper[h] for h in above)
        if shortfall >= excess:
            fixed.update({h: Fraction(lower[h]) for h in below})
        else:
            fixed.update({h: Fraction(upper[h]) for h in above})


def _largest_remainder(shares: Sequence[Fraction], total: int) -> list[int]:
    # Hamilton rounding. Each share lies in [lower_h, upper_h] with integer
    # bounds, so its floor is >= lower_h; the k missing units go to k strata
    # with a positive remainder (the remainders sum to k and each is < 1, so
    # at least k+1 are positive), whose ceiling is <= upper_h. Rounding can
    # thus never cross a bound.
    counts = [math.floor(share) for share in shares]
    missing = total - sum(counts)
    order = sorted(range(len(shares)), key=lambda h: (counts[h] - shares[h], h))
    for h in order[:missing]:
        counts[h] += 1
    return counts
