"""sampling.ticket and sampling.select: the n_h smallest SHA-256 tickets of each stratum."""
from __future__ import annotations

import hashlib
import random
from collections import defaultdict

import numpy as np
import pytest

import sampling
from sampling import select, ticket
from sampling import selection as selection_module


def naive_select(keys, strata, allocation, seed, full_ticket=ticket):
    """The definition, slowly: sort each stratum by full hex ticket, take the first n_h."""
    members = defaultdict(list)
    for key, stratum in zip(keys, strata):
        members[stratum].append(key)
    drawn = {}
    for stratum, stratum_keys in members.items():
        n_h = allocation.get(stratum, 0)
        for key in sorted(stratum_keys, key=lambda key: full_ticket(seed, key))[:n_h]:
            drawn[key] = n_h / len(stratum_keys)
    return drawn


def random_frame(rng: random.Random, size: int, strata_count: int):
    keys = [f"P{i:06d}" for i in rng.sample(range(10 * size + 10), size)]
    names = [f"stratum_{j}" for j in range(strata_count)]
    strata = [rng.choice(names) for _ in keys]
    present = sorted(set(strata))
    allocation = {name: rng.randint(0, strata.count(name)) for name in present if rng.random() < 0.9}
    return keys, strata, allocation


# ---------------------------------------------------------------- tickets


def test_ticket_is_the_sha256_hex_of_seed_colon_key():
    assert ticket("2024-05-a1b2", "P000123") == hashlib.sha256(b"2024-05-a1b2:P000123").hexdigest()
    assert ticket("种子", "P1") == hashlib.sha256("种子:P1".encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- selection by hand


def test_a_six_member_frame_against_tickets_computed_by_hand():
    seed = "round-2024-05"
    keys = ["A1", "A2", "A3", "A4", "B1", "B2"]
    strata = ["a", "a", "a", "a", "b", "b"]
    tickets = {key: hashlib.sha256(f"{seed}:{key}".encode()).hexdigest() for key in keys}
    a_sorted = sorted(keys[:4], key=tickets.get)
    b_sorted = sorted(keys[4:], key=tickets.get)

    drawn = select(keys, strata, {"a": 2, "b": 1}, seed)

    assert set(drawn) == set(a_sorted[:2]) | {b_sorted[0]}
    assert {key: drawn[key] for key in a_sorted[:2]} == {key: 0.5 for key in a_sorted[:2]}
    assert drawn[b_sorted[0]] == 0.5
    assert all(type(p) is float for p in drawn.values())


def test_the_result_follows_frame_order_and_full_strata_have_probability_one():
    keys = [f"K{i}" for i in range(10)]
    strata = ["x"] * 4 + ["y"] * 6
    drawn = select(keys, strata, {"x": 4, "y": 3}, "s")
    assert list(drawn) == [key for key in keys if key in drawn]
    assert [drawn[key] for key in keys[:4]] == [1.0] * 4
    assert sum(1 for key in keys[4:] if key in drawn) == 3
    assert {drawn[key] for key in keys[4:] if key in drawn} == {0.5}


def test_strata_missing_from_the_allocation_get_nobody():
    keys = [f"K{i}" for i in range(6)]
    strata = ["x", "y", "x", "y", "z", "z"]
    drawn = select(keys, strata, {"x": 1}, "s")
    assert len(drawn) == 1 and strata[keys.index(next(iter(drawn)))] == "x"
    assert select(keys, strata, {}, "s") == {}


def test_a_stratum_absent_from_the_frame_may_be_listed_with_zero():
    keys, strata = ["K1", "K2"], ["x", "x"]
    assert len(select(keys, strata, {"x": 1, "media": 0}, "s")) == 1


# ---------------------------------------------------------------- against the definition


def test_matches_the_naive_definition_on_random_frames():
    for case in range(40):
        rng = random.Random(case)
        keys, strata, allocation = random_frame(rng, rng.randint(0, 400), rng.randint(1, 7))
        seed = f"seed-{case}"
        assert select(keys, strata, allocation, seed) == naive_select(keys, strata, allocation, seed)


def test_the_order_of_the_frame_does_not_matter():
    rng = random.Random(7)
    keys, strata, allocation = random_frame(rng, 300, 4)
    members = list(zip(keys, strata))
    rng.shuffle(members)
    shuffled = select([k for k, _ in members], [s for _, s in members], allocation, "s")
    assert shuffled == select(keys, strata, allocation, "s")


def test_the_seed_decides_the_draw():
    keys = [f"P{i:04d}" for i in range(200)]
    strata = ["a"] * 200
    assert select(keys, strata, {"a": 20}, "s1") == select(keys, strata, {"a": 20}, "s1")
    assert set(select(keys, strata, {"a": 20}, "s1")) != set(select(keys, strata, {"a": 20}, "s2"))


def fake_digest(seed, key):
    """A digest whose first 8 bytes take only three values: most tickets share their 64-bit prefix."""
    real = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return bytes([real[0] % 3]) * 8 + real[8:]


def test_tickets_sharing_their_first_64_bits_are_ordered_by_the_full_ticket(monkeypatch):
    monkeypatch.setattr(selection_module, "_digests", lambda seed, keys: [fake_digest(seed, key) for key in keys])
    for case in range(20):
        rng = random.Random(100 + case)
        keys, strata, allocation = random_frame(rng, rng.randint(1, 200), rng.randint(1, 4))
        seed = f"collide-{case}"
        expected = naive_select(keys, strata, allocation, seed, full_ticket=lambda s, k: fake_digest(s, k).hex())
        assert select(keys, strata, allocation, seed) == expected


def test_smallest_resolves_the_boundary_with_full_tickets():
    prefixes = np.array([5, 3, 3, 3, 9, 3], dtype=np.uint64)
    members = np.arange(6)
    full = {1: b"\x03z", 2: b"\x03a", 3: b"\x03m", 5: b"\x03b"}
    asked = []

    def full_tickets(boundary):
        asked.append(sorted(boundary.tolist()))
        return [full[i] for i in boundary.tolist()]

    assert sorted(selection_module._smallest(prefixes, members, 2, full_tickets).tolist()) == [2, 5]
    assert asked == [[1, 2, 3, 5]]  # only the members tied at the boundary are looked up
    assert sorted(selection_module._smallest(prefixes, members, 5, full_tickets).tolist()) == [0, 1, 2, 3, 5]
    # Every tied member is taken when the boundary needs them all: no lookup.
    asked.clear()
    assert sorted(selection_module._smallest(prefixes, members, 4, full_tickets).tolist()) == [1, 2, 3, 5]
    assert asked == []


def test_smallest_with_distinct_prefixes_never_needs_full_tickets():
    prefixes = np.array([40, 10, 30, 20, 50], dtype=np.uint64)
    members = np.array([0, 2, 3, 4])  # a stratum need not be contiguous in the frame

    def refuse(boundary):
        raise AssertionError("full tickets were not needed")

    assert sorted(selection_module._smallest(prefixes, members, 2, refuse).tolist()) == [2, 3]
    assert selection_module._smallest(prefixes, members, 0, refuse).tolist() == []
    assert sorted(selection_module._smallest(prefixes, members, 4, refuse).tolist()) == [0, 2, 3, 4]


def test_the_prefix_is_read_big_endian_as_the_hex_order_requires(monkeypatch):
    # Read little-endian, b"\x01\x00..." would rank below b"\x00\xff...".
    digests = {"low": b"\x00\xff" + b"\x00" * 30, "high": b"\x01\x00" + b"\x00" * 30}
    monkeypatch.setattr(selection_module, "_digests", lambda seed, keys: [digests[key] for key in keys])
    assert select(["high", "low"], ["a", "a"], {"a": 1}, "s") == {"low": 0.5}


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    "keys, strata, allocation, message",
    [
        (["K1", "K2", "K1"], ["a", "a", "a"], {"a": 1}, "'K1' appears more than once"),
        (["K1", "K2"], ["a"], {"a": 1}, "keys has 2 members but strata has 1"),
        (["K1", "K2"], ["a", "b"], {"a": 2}, "allocation['a'] = 2 exceeds the 1 members"),
        (["K1", "K2"], ["a", "b"], {"c": 1}, "stratum 'c', which has no member"),
        (["K1", "K2"], ["a", "b"], {"a": -1}, "allocation['a'] must be a non-negative integer"),
        (["K1", "K2"], ["a", "b"], {"a": 0.5}, "allocation['a'] must be a non-negative integer"),
        (["K1", "K2"], ["a", "b"], [1, 1], "allocation must be a mapping"),
    ],
)
def test_invalid_input_raises_a_value_error_naming_it(keys, strata, allocation, message):
    with pytest.raises(ValueError) as error:
        select(keys, strata, allocation, "s")
    assert message in str(error.value)


def test_duplicate_keys_are_refused_even_when_nothing_is_drawn():
    with pytest.raises(ValueError, match="'K1' appears more than once"):
        select(["K1", "K1"], ["a", "b"], {}, "s")


def test_numpy_counts_from_allocate_are_accepted():
    keys = [f"K{i}" for i in range(30)]
    strata = ["a"] * 10 + ["b"] * 20
    counts = sampling.allocate([10, 20], 6)
    drawn = select(keys, strata, {"a": counts[0], "b": counts[1]}, "s")
    assert sorted(drawn.values()) == [0.2] * 6
