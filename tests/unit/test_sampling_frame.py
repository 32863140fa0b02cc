"""sampling.commitment: the SHA-256 fingerprint of the frame, published before the seed."""
from __future__ import annotations

import hashlib
import random

import pytest

from sampling import commitment

KEYS = ["P000003", "P000001", "P000002", "P000010"]
STRATA = ["sme", "large_enterprise", "citizen|district_a", "sme"]


def test_equals_the_sha256_of_the_sorted_lines_built_by_hand():
    text = "P000001,large_enterprise\nP000002,citizen|district_a\nP000003,sme\nP000010,sme\n"
    assert commitment(KEYS, STRATA) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_non_ascii_text_is_hashed_as_utf8():
    text = "P1,四上企业\n"
    assert commitment(["P1"], ["四上企业"]) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_empty_frame_is_the_hash_of_the_empty_text():
    assert commitment([], []) == hashlib.sha256(b"").hexdigest()


def test_independent_of_the_order_of_the_frame():
    members = [(f"P{i:06d}", random.Random(i).choice(["a", "b", "c"])) for i in range(200)]
    expected = commitment([k for k, _ in members], [s for _, s in members])
    for seed in range(5):
        shuffled = members[:]
        random.Random(seed).shuffle(shuffled)
        assert commitment([k for k, _ in shuffled], [s for _, s in shuffled]) == expected


@pytest.mark.parametrize(
    "keys, strata",
    [
        (KEYS + ["P000011"], STRATA + ["sme"]),  # a member added
        (KEYS[:-1], STRATA[:-1]),  # a member removed
        (KEYS, STRATA[:-1] + ["large_enterprise"]),  # a member moved to another stratum
        (KEYS[:-1] + ["P000011"], STRATA),  # a member replaced by another
    ],
)
def test_any_change_to_the_frame_changes_the_commitment(keys, strata):
    assert commitment(keys, strata) != commitment(KEYS, STRATA)


def test_a_key_is_not_confused_with_the_stratum_next_to_it():
    # With an unambiguous separator "a,bc" and "ab,c" differ.
    assert commitment(["a"], ["bc"]) != commitment(["ab"], ["c"])


@pytest.mark.parametrize("bad", ["P1,x", "P1\nx", "P1\rx"])
def test_a_comma_or_line_break_in_a_key_is_refused(bad):
    with pytest.raises(ValueError, match="keys must not contain a comma or a line break"):
        commitment(["P0", bad], ["a", "a"])


@pytest.mark.parametrize("bad", ["a,b", "a\nb", "a\r\nb"])
def test_a_comma_or_line_break_in_a_stratum_is_refused(bad):
    with pytest.raises(ValueError, match="strata must not contain a comma or a line break"):
        commitment(["P0", "P1"], ["a", bad])


def test_malformed_frames_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="keys has 2 members but strata has 1"):
        commitment(["P0", "P1"], ["a"])
    with pytest.raises(ValueError, match="'P1' appears more than once"):
        commitment(["P0", "P1", "P1"], ["a", "a", "b"])
    with pytest.raises(ValueError, match="keys must be strings; got 7"):
        commitment(["P0", 7], ["a", "a"])
    with pytest.raises(ValueError, match="strata must not contain an empty string"):
        commitment(["P0", "P1"], ["a", ""])
