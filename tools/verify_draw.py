#!/usr/bin/env python3
"""Verify an exported draw of the Beikaobei platform, with nothing but Python.

    python tools/verify_draw.py exported_round/

The folder holds these files:

    frame.csv        key,stratum                      every member who could be drawn
    commitment.txt   SHA-256 (hex) of the frame       published before the seed existed
    plan.json        {"allocation": {stratum: n_h}}   other fields are ignored
    seed.txt         the seed                         made public after the commitment
    selected.csv     key,stratum,inclusion_probability
    voided.json      earlier draws of the round set aside (read it; not checked here)

The rules checked here are the whole method:

    commitment  = sha256 of the text made of one line "key,stratum\\n" per member
                  of frame.csv, sorted by key, encoded in UTF-8
    ticket(key) = sha256 of "seed:key" (UTF-8), written in hex
    selection   = in each stratum h, the n_h members with the smallest tickets
    probability = n_h / N_h, N_h being the number of members of h in the frame

Exit status: 0 everything matches, 1 something does not, 2 the input cannot be read.
This script uses the Python standard library only.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

TOLERANCE = 1e-9  # on inclusion probabilities, which are written as decimals
SHOWN = 5  # differing keys listed in the report


class Unreadable(Exception):
    """An input file is missing or malformed."""


def ticket(seed: str, key: str) -> str:
    """The lottery ticket of one member."""
    return hashlib.sha256(f"{seed}:{key}".encode("utf-8")).hexdigest()


def commitment(frame: list[tuple[str, str]]) -> str:
    """The fingerprint of the frame: sha256 of its sorted "key,stratum" lines."""
    text = "".join(f"{key},{stratum}\n" for key, stratum in sorted(frame))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected_selection(frame: list[tuple[str, str]], allocation: dict, seed: str) -> dict:
    """{key: (stratum, n_h / N_h)} for the n_h smallest tickets of each stratum."""
    members = defaultdict(list)
    for key, stratum in frame:
        members[stratum].append(key)
    drawn = {}
    for stratum, keys in members.items():
        n_h = allocation.get(stratum, 0)
        for key in sorted(keys, key=lambda key: ticket(seed, key))[:n_h]:
            drawn[key] = (stratum, n_h / len(keys))
    return drawn


def read_csv(path: Path, columns: list[str]) -> list[dict]:
    """The rows of a CSV file whose header includes ``columns``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.DictReader(file)
            if not reader.fieldnames or not set(columns) <= set(reader.fieldnames):
                raise Unreadable(f"{path.name}: the header must be {','.join(columns)}")
            rows = list(reader)
    except OSError as error:
        raise Unreadable(f"{path.name}: cannot be read ({error.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise Unreadable(f"{path.name}: not a UTF-8 CSV file ({error})") from None
    for line, row in enumerate(rows, start=2):
        if any(row[column] is None for column in columns):
            raise Unreadable(f"{path.name}, line {line}: a field is missing")
    return rows


def read_text(path: Path) -> str:
    """A one-value text file, without surrounding whitespace."""
    try:
        return path.read_text(encoding="utf-8-sig").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(f"{path.name}: cannot be read ({error})") from None


def read_allocation(path: Path) -> dict:
    """The allocation {stratum: n_h} of plan.json."""
    try:
        plan = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise Unreadable(f"{path.name}: not valid JSON ({error})") from None
    allocation = plan.get("allocation") if isinstance(plan, dict) else None
    if not isinstance(allocation, dict):
        raise Unreadable(f'{path.name}: no "allocation" object')
    for stratum, n_h in allocation.items():
        if type(n_h) is not int or n_h < 0:
            raise Unreadable(f"{path.name}: allocation of {stratum!r} is {n_h!r}, not a whole number >= 0")
    return allocation


def listed(keys) -> str:
    """The first few keys, for the report."""
    keys = sorted(keys)
    more = f" ... and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
    return ", ".join(keys[:SHOWN]) + more


def check_frame(frame, published: str) -> list[str]:
    """The problems of the frame: malformed members, or a commitment other than the published one."""
    problems = []
    duplicates = [key for key, count in Counter(key for key, _ in frame).items() if count > 1]
    if duplicates:
        problems.append(f"frame.csv lists a key more than once: {listed(duplicates)}")
    unsafe = [key for key, stratum in frame if any(c in key + stratum for c in ",\r\n") or not key or not stratum]
    if unsafe:
        problems.append(f"frame.csv has empty fields or commas/line breaks inside fields: {listed(unsafe)}")
    computed = commitment(frame)
    if computed != published.lower():
        problems.append(f"frame.csv gives {computed}, but commitment.txt says {published}: "
                        "this is not the frame committed to before the draw")
    return problems


def check_selection(frame, allocation, seed, rows) -> list[str]:
    """The differences between selected.csv and the selection recomputed from the frame, plan and seed."""
    problems = []
    sizes = Counter(stratum for _, stratum in frame)
    for stratum, n_h in allocation.items():
        if n_h > sizes[stratum]:
            problems.append(f"plan.json asks for {n_h} from {stratum!r}, which has {sizes[stratum]} in the frame")
    expected = expected_selection(frame, allocation, seed)
    got = {}
    for row in rows:
        try:
            probability = float(row["inclusion_probability"])
        except ValueError:
            raise Unreadable(f"selected.csv: {row['inclusion_probability']!r} is not a number") from None
        if row["key"] in got:
            problems.append(f"selected.csv lists {row['key']} more than once")
        got[row["key"]] = (row["stratum"], probability)

    not_drawn = set(got) - set(expected)
    left_out = set(expected) - set(got)
    both = set(got) & set(expected)
    wrong_stratum = {key for key in both if got[key][0] != expected[key][0]}
    # Written as 'not <=' so that a probability of nan counts as wrong.
    wrong_probability = {key for key in both if not abs(got[key][1] - expected[key][1]) <= TOLERANCE}
    if not_drawn:
        problems.append(f"{len(not_drawn)} in selected.csv were not drawn by the seed: {listed(not_drawn)}")
    if left_out:
        problems.append(f"{len(left_out)} drawn by the seed are missing from selected.csv: {listed(left_out)}")
    if wrong_stratum:
        problems.append(f"{len(wrong_stratum)} have another stratum than in frame.csv: {listed(wrong_stratum)}")
    if wrong_probability:
        problems.append(f"{len(wrong_probability)} have an inclusion probability other than n_h/N_h: "
                        f"{listed(wrong_probability)}")
    return problems


def verify(folder: Path, say=print) -> int:
    """Check the draw exported in ``folder``; report through ``say``; return the exit status."""
    try:
        frame = [(row["key"], row["stratum"]) for row in read_csv(folder / "frame.csv", ["key", "stratum"])]
        published = read_text(folder / "commitment.txt")
        allocation = read_allocation(folder / "plan.json")
        seed = read_text(folder / "seed.txt")
        rows = read_csv(folder / "selected.csv", ["key", "stratum", "inclusion_probability"])
        checks = [
            ("commitment", f"MATCH     {published}", check_frame(frame, published)),
            ("selection", f"MATCH     {len(rows)} members: the smallest tickets of each stratum, "
                          "same strata, probabilities n_h/N_h", check_selection(frame, allocation, seed, rows)),
        ]
    except Unreadable as error:
        say(f"CANNOT VERIFY: {error}")
        return 2

    say(f"Draw exported in {folder}")
    say(f"  frame       {len(frame)} members in {len(set(s for _, s in frame))} strata")
    say(f"  plan        {sum(allocation.values())} to draw: "
        + ", ".join(f"{stratum} {n_h}" for stratum, n_h in allocation.items()))
    say(f"  seed        {seed!r}")
    for label, success, problems in checks:
        say(f"  {label:<11} {'MISMATCH' if problems else success}")
        for problem in problems:
            say(f"      - {problem}")
    count = sum(len(problems) for _, _, problems in checks)
    if count:
        say(f"RESULT: NOT VERIFIED ({count} problem{'s' if count > 1 else ''})")
        return 1
    say("RESULT: VERIFIED - the frame is the committed one and the selection follows from the seed")
    return 0


def main(argv: list[str]) -> int:
    """Command line: one argument, the exported folder."""
    # A console that cannot show a stratum name must not stop the check.
    sys.stdout.reconfigure(errors="backslashreplace")
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return verify(Path(argv[0]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
