"""Stratified selection by SHA-256 lottery tickets.

Every frame member holds the ticket sha256(f"{seed}:{key}") (hex). In each
stratum h the n_h members with the smallest tickets are drawn. Since the
tickets of distinct keys behave as independent uniform 256-bit numbers, every
subset of n_h members is equally likely (simple random sampling without
replacement), and anyone holding the frame, the allocation and the seed can
recompute the draw in a few lines of any language: hash, sort, take the first
n_h. Hex text order is numeric order, so sorting the hex strings is enough.

For speed, members are ranked on the first 8 bytes of their digest as a
64-bit integer; only members that share those 8 bytes with the n_h-th
smallest are ordered by their full ticket, so the result is exactly the
n_h smallest full tickets.

Inputs are checked (ValueError): keys unique, one stratum per key, each n_h a
whole number from 0 to N_h. Strata missing from the allocation get nobody; a
stratum absent from the frame may be listed only with 0 (a category with no
eligible member this round): a misspelt stratum with members to draw is refused.
"""
from __future__ import annotations

import hashlib
import operator
from collections.abc import Mapping, Sequence

import numpy as np

from .frame import frame_lists

CHUNK = 1 << 14  # keys hashed per batch


def ticket(seed, key) -> str:
    """The lottery ticket of ``key`` in the draw with ``seed``: SHA-256 hex of "seed:key" in UTF-8."""
    return hashlib.sha256(f"{seed}:{key}".encode("utf-8")).hexdigest()


def select(keys, strata, allocation: Mapping, seed) -> dict:
    """In each stratum h, the allocation[h] members with the smallest tickets, mapped to n_h/N_h (frame order)."""
    keys, strata = frame_lists(keys, strata, check_unique=False)
    codes, names = _stratum_codes(strata)
    sizes = np.bincount(codes, minlength=len(names))
    wanted = _wanted_per_stratum(allocation, names, sizes)
    if not wanted.any():
        frame_lists(keys, strata)
        return {}

    prefixes = _prefixes(seed, keys)
    # Equal keys give equal tickets, so sorting the 64-bit prefixes finds any
    # duplicate faster than a set of a million strings; a shared prefix alone
    # sends us to the exact check.
    ordered = np.sort(prefixes)
    if (ordered[1:] == ordered[:-1]).any():
        frame_lists(keys, strata)

    def full_tickets(members: np.ndarray) -> list[bytes]:
        return _digests(seed, [keys[i] for i in members.tolist()])

    # numpy's stable sort is a radix sort on 16-bit integers: 3x faster here.
    narrow = codes.astype(np.int16) if len(names) <= np.iinfo(np.int16).max else codes
    members_by_stratum = np.argsort(narrow, kind="stable")
    starts = np.concatenate(([0], np.cumsum(sizes)))
    chosen = [
        _smallest(prefixes, members_by_stratum[starts[h] : starts[h + 1]], int(wanted[h]), full_tickets)
        for h in range(len(names))
        if wanted[h]
    ]
    selected = np.sort(np.concatenate(chosen))
    probability = (wanted / np.maximum(sizes, 1)).tolist()
    return {keys[i]: probability[h] for i, h in zip(selected.tolist(), codes[selected].tolist())}


def _prefixes(seed, keys: list) -> np.ndarray:
    """The first 8 bytes of every ticket as a big-endian 64-bit integer (hex order = integer order)."""
    prefixes = np.empty(len(keys), dtype=np.uint64)
    # In chunks: a million digests at once would hold ~110 MB of bytes
    # objects, and the small working set is also faster.
    for start in range(0, len(keys), CHUNK):
        digests = b"".join(_digests(seed, keys[start : start + CHUNK]))
        prefixes[start : start + CHUNK] = np.frombuffer(digests, dtype=">u8")[::4]
    return prefixes


def _digests(seed, keys: Sequence) -> list[bytes]:
    # The only place tickets are computed in bulk (as raw digests, whose byte
    # order is the hex order); tests replace it to force shared prefixes.
    sha256 = hashlib.sha256
    return [sha256(f"{seed}:{key}".encode("utf-8")).digest() for key in keys]


def _stratum_codes(strata: list) -> tuple[np.ndarray, list]:
    # Codes in order of first appearance: much faster than np.unique on a
    # million Python strings.
    index = {stratum: code for code, stratum in enumerate(dict.fromkeys(strata))}
    codes = np.fromiter(map(index.__getitem__, strata), dtype=np.int64, count=len(strata))
    return codes, list(index)


def _wanted_per_stratum(allocation: Mapping, names: list, sizes: np.ndarray) -> np.ndarray:
    if not isinstance(allocation, Mapping):
        raise ValueError(f"allocation must be a mapping stratum -> n_h; got {type(allocation).__name__}")
    position = {name: h for h, name in enumerate(names)}
    wanted = np.zeros(len(names), dtype=np.int64)
    for stratum, count in allocation.items():
        try:
            if isinstance(count, bool):
                raise TypeError
            count = operator.index(count)
        except TypeError:
            raise ValueError(f"allocation[{stratum!r}] must be a non-negative integer; got {count!r}") from None
        if count < 0:
            raise ValueError(f"allocation[{stratum!r}] must be a non-negative integer; got {count}")
        if stratum not in position:
            # A stratum with no eligible member this round may be listed with 0.
            if count:
                raise ValueError(f"allocation names stratum {stratum!r}, which has no member in the frame")
            continue
        h = position[stratum]
        if count > sizes[h]:
            raise ValueError(
                f"allocation[{stratum!r}] = {count} exceeds the {int(sizes[h])} members of that stratum in the frame"
            )
        wanted[h] = count
    return wanted


def _smallest(prefixes: np.ndarray, members: np.ndarray, k: int, full_tickets) -> np.ndarray:
    """The k members (frame indices) with the smallest full tickets, ranked on 64-bit prefixes first."""
    if k >= len(members):
        return members
    if k == 0:
        return members[:0]
    values = prefixes[members]
    threshold = values[np.argpartition(values, k - 1)[k - 1]]
    inside = members[values < threshold]
    boundary = members[values == threshold]
    needed = k - len(inside)
    if len(boundary) > needed:
        # Members whose tickets share their first 64 bits with the k-th
        # smallest: their full tickets decide. Distinct keys never share a
        # full SHA-256 digest in practice; the index keeps the order total.
        tickets = full_tickets(boundary)
        order = sorted(range(len(boundary)), key=lambda j: (tickets[j], int(boundary[j])))
        boundary = boundary[order]
    return np.concatenate((inside, boundary[:needed]))
