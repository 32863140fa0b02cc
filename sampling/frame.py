"""The sampling frame and its commitment: a fingerprint published before the seed exists.

The commitment is the SHA-256 (hex) of the UTF-8 text made of one line
``f"{key},{stratum}\\n"`` per frame member, sorted by key (Python string order,
i.e. by Unicode code point, which is also the byte order of UTF-8). Once it is
published nobody can quietly add, drop or re-stratify a member after seeing the
seed: any change gives another commitment.
"""
from __future__ import annotations

import hashlib
from collections import Counter

# A comma or line break inside a key or stratum would make the frame text ambiguous.
FORBIDDEN_CHARACTERS = (",", "\n", "\r")


def commitment(keys, strata) -> str:
    """SHA-256 hex of the lines "key,stratum\\n" of the frame, sorted by key."""
    keys, strata = frame_lists(keys, strata)
    _check_text("keys", keys)
    _check_text("strata", strata)
    text = "".join(f"{key},{stratum}\n" for key, stratum in sorted(zip(keys, strata)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame_lists(keys, strata, check_unique=True) -> tuple[list, list]:
    """The frame as two lists of equal length, with unique keys unless told not to check (ValueError otherwise)."""
    # Lists are used as they are (never modified here): copying a million-member frame costs time and memory.
    keys = keys if isinstance(keys, list) else list(keys)
    strata = strata if isinstance(strata, list) else list(strata)
    if len(keys) != len(strata):
        raise ValueError(f"keys has {len(keys)} members but strata has {len(strata)}; they must match one to one")
    if check_unique and len(set(keys)) != len(keys):
        duplicate = next(key for key, count in Counter(keys).items() if count > 1)
        raise ValueError(f"keys must be unique; {duplicate!r} appears more than once")
    return keys, strata


def _check_text(name: str, values: list) -> None:
    if not all(type(value) is str for value in values):
        wrong = next(value for value in values if type(value) is not str)
        raise ValueError(f"{name} must be strings; got {wrong!r}")
    if "" in set(values):
        raise ValueError(f"{name} must not contain an empty string")
    # One join finds any forbidden character quickly; the loop below only names the culprit.
    joined = "\t".join(values)
    for character in FORBIDDEN_CHARACTERS:
        if character in joined:
            culprit = next(value for value in values if character in value)
            raise ValueError(f"{name} must not contain a comma or a line break; got {culprit!r}")
