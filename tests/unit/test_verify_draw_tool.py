"""tools/verify_draw.py: the auditor's standard-library check of an exported draw."""
from __future__ import annotations

import ast
import csv
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import sampling

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_draw.py"
SEED = "2024-05:7c1e9a55d0b2"


def load_tool():
    spec = importlib.util.spec_from_file_location("verify_draw", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_csv(path: Path, header: list[str], rows) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def run(folder: Path) -> subprocess.CompletedProcess:
    # -S: no site-packages, so the tool runs as it would for an auditor without numpy.
    return subprocess.run(
        [sys.executable, "-S", str(TOOL), str(folder)], capture_output=True, text=True, encoding="utf-8"
    )


@pytest.fixture
def exported(tmp_path) -> Path:
    """A draw exported with the sampling package's own functions."""
    rng = random.Random(2024)
    names = ["large_enterprise", "sme", "citizen|district_a", "supervisor", "deputy", "media"]
    keys = [f"P{i:06d}" for i in rng.sample(range(100_000), 400)]
    strata = [rng.choice(names) for _ in keys]
    sizes = {name: strata.count(name) for name in names}
    plan = sampling.allocation_plan(sizes, 100, minimum=5)
    drawn = sampling.select(keys, strata, plan, SEED)
    stratum_of = dict(zip(keys, strata))

    folder = tmp_path / "exported_round"
    folder.mkdir()
    write_csv(folder / "frame.csv", ["key", "stratum"], zip(keys, strata))
    (folder / "commitment.txt").write_text(sampling.commitment(keys, strata) + "\n")
    extra = {"method": "proportional", "n": 100, "minimum": 5, "seed": SEED}  # fields the tool ignores
    (folder / "plan.json").write_text(json.dumps({**extra, "allocation": plan}))
    (folder / "seed.txt").write_text(f"  {SEED}\n")
    write_csv(
        folder / "selected.csv",
        ["key", "stratum", "inclusion_probability"],
        [(key, stratum_of[key], repr(p)) for key, p in drawn.items()],
    )
    return folder


def test_an_untouched_export_is_verified(exported):
    result = run(exported)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "commitment  MATCH" in result.stdout
    assert "selection   MATCH     100 members" in result.stdout
    assert "RESULT: VERIFIED" in result.stdout


def test_swapping_a_selected_member_for_an_unselected_one_is_caught(exported):
    frame = read_rows(exported / "frame.csv")[1:]
    rows = read_rows(exported / "selected.csv")
    selected = {row[0] for row in rows[1:]}
    victim = rows[1]
    substitute = next(key for key, stratum in frame if stratum == victim[1] and key not in selected)
    rows[1] = [substitute, victim[1], victim[2]]
    write_csv(exported / "selected.csv", rows[0], rows[1:])

    result = run(exported)
    assert result.returncode == 1
    assert f"1 in selected.csv were not drawn by the seed: {substitute}" in result.stdout
    assert f"1 drawn by the seed are missing from selected.csv: {victim[0]}" in result.stdout
    assert "commitment  MATCH" in result.stdout
    assert "RESULT: NOT VERIFIED (2 problems)" in result.stdout


@pytest.mark.parametrize("change", ["add", "remove"])
def test_a_frame_changed_after_the_commitment_is_caught(exported, change):
    rows = read_rows(exported / "frame.csv")
    if change == "add":
        rows.append(["P999999", "sme"])
    else:
        selected = {row[0] for row in read_rows(exported / "selected.csv")[1:]}
        rows.remove(next(row for row in rows[1:] if row[0] not in selected))
    write_csv(exported / "frame.csv", rows[0], rows[1:])

    result = run(exported)
    assert result.returncode == 1
    assert "commitment  MISMATCH" in result.stdout
    assert "this is not the frame committed to before the draw" in result.stdout


def test_a_frame_with_a_repeated_key_or_a_comma_inside_a_field_is_caught(exported):
    rows = read_rows(exported / "frame.csv")
    rows.append(rows[1])
    rows.append(["P1,P2", "sme"])  # csv quotes it; the frame text would be ambiguous
    write_csv(exported / "frame.csv", rows[0], rows[1:])
    result = run(exported)
    assert result.returncode == 1
    assert f"frame.csv lists a key more than once: {rows[1][0]}" in result.stdout
    assert "commas/line breaks inside fields: P1,P2" in result.stdout


def test_a_wrong_stratum_or_probability_is_caught(exported):
    rows = read_rows(exported / "selected.csv")
    rows[1][1] = "media" if rows[1][1] != "media" else "sme"
    rows[2][2] = str(float(rows[2][2]) + 1e-6)
    rows[3][2] = "nan"
    write_csv(exported / "selected.csv", rows[0], rows[1:])

    result = run(exported)
    assert result.returncode == 1
    assert f"1 have another stratum than in frame.csv: {rows[1][0]}" in result.stdout
    wrong = ", ".join(sorted([rows[2][0], rows[3][0]]))
    assert f"2 have an inclusion probability other than n_h/N_h: {wrong}" in result.stdout


def test_another_seed_gives_another_selection(exported):
    (exported / "seed.txt").write_text("a seed chosen after the fact\n")
    result = run(exported)
    assert result.returncode == 1
    assert "selection   MISMATCH" in result.stdout
    assert "were not drawn by the seed" in result.stdout


def test_a_plan_asking_for_more_than_a_stratum_holds_is_caught(exported):
    plan = json.loads((exported / "plan.json").read_text())
    plan["allocation"]["media"] = 10_000
    (exported / "plan.json").write_text(json.dumps(plan))
    result = run(exported)
    assert result.returncode == 1
    assert "plan.json asks for 10000 from 'media'" in result.stdout


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "seed.txt").unlink(), "seed.txt: cannot be read"),
        (lambda d: (d / "plan.json").write_text("{not json"), "plan.json: not valid JSON"),
        (lambda d: (d / "plan.json").write_text('{"n": 100}'), 'plan.json: no "allocation" object'),
        (lambda d: (d / "plan.json").write_text('{"allocation": {"sme": 2.5}}'), "not a whole number"),
        (lambda d: (d / "frame.csv").write_text("id,category\nP1,sme\n"), "frame.csv: the header must be key,stratum"),
        (lambda d: (d / "frame.csv").write_text("key,stratum\nP1\n"), "frame.csv, line 2: a field is missing"),
        (lambda d: (d / "frame.csv").write_bytes(b"key,stratum\nP1,\xff\n"), "frame.csv: not a UTF-8 CSV file"),
    ],
)
def test_unreadable_input_exits_2_with_the_reason(exported, damage, message):
    damage(exported)
    result = run(exported)
    assert result.returncode == 2
    assert "CANNOT VERIFY" in result.stdout and message in result.stdout


def test_without_a_folder_it_prints_the_usage_and_exits_2():
    result = subprocess.run([sys.executable, "-S", str(TOOL)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "python tools/verify_draw.py exported_round/" in result.stderr


def test_the_tool_selects_exactly_what_sampling_select_selects():
    tool = load_tool()
    for case in range(30):
        rng = random.Random(case)
        keys = [f"K{i:05d}" for i in rng.sample(range(50_000), rng.randint(1, 300))]
        strata = [rng.choice(["a", "b", "c", "四上企业"]) for _ in keys]
        allocation = {s: rng.randint(0, strata.count(s)) for s in set(strata)}
        seed = f"case-{case}"
        expected = tool.expected_selection(list(zip(keys, strata)), allocation, seed)
        drawn = sampling.select(keys, strata, allocation, seed)
        assert {key: p for key, (_, p) in expected.items()} == drawn
        assert all(stratum == strata[keys.index(key)] for key, (stratum, _) in expected.items())
        assert tool.commitment(list(zip(keys, strata))) == sampling.commitment(keys, strata)


def test_the_tool_imports_the_standard_library_only():
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names == set()
