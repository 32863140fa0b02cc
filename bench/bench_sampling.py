"""Benchmark of the sampling core: allocation + SHA-256 ticket selection on growing frames.

    .venv/bin/python bench/bench_sampling.py            # best of 5
    .venv/bin/python bench/bench_sampling.py --repeat 3 --sizes 2000 100000

Each frame has 6 strata in the proportions of the demo pool (300:700:600:150:150:100)
and 5% of it is drawn (proportional allocation, minimum 5 per stratum); the monthly
round itself (500 of 2,000) and 10% of a million are measured too. Timed: counting
the strata, ``allocation_plan`` and ``select``, from Python lists of keys and strata.
For comparison, on the same frames: the naive definition (sort every stratum by full
hex ticket), an unverifiable numpy draw (``rng.choice`` per stratum) and the frame
commitment. Target: the million-member frame in under 1.5 s.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sampling  # noqa: E402

SHARES = {"large_enterprise": 300, "sme": 700, "citizen": 600, "supervisor": 150, "deputy": 150, "media": 100}
TARGET_SECONDS = 1.5
SEED = "2026-11:5f0c3e2a9b7d4e61"


def make_frame(size: int) -> tuple[list[str], list[str]]:
    """Keys P0000000.. with strata in the demo proportions, shuffled."""
    total = sum(SHARES.values())
    counts = [size * share // total for share in SHARES.values()]
    counts[1] += size - sum(counts)
    strata = np.repeat(np.array(list(SHARES)), counts)
    np.random.default_rng(size).shuffle(strata)
    return [f"P{i:07d}" for i in range(size)], strata.tolist()


def draw(keys, strata, n):
    """What the platform does at draw time."""
    plan = sampling.allocation_plan(Counter(strata), n, minimum=5)
    return sampling.select(keys, strata, plan, SEED)


def naive_draw(keys, strata, n):
    """The definition: sort each stratum by full hex ticket, take the first n_h."""
    plan = sampling.allocation_plan(Counter(strata), n, minimum=5)
    members = defaultdict(list)
    for key, stratum in zip(keys, strata):
        members[stratum].append(key)
    drawn = {}
    for stratum, stratum_keys in members.items():
        for key in sorted(stratum_keys, key=lambda key: sampling.ticket(SEED, key))[: plan[stratum]]:
            drawn[key] = plan[stratum] / len(stratum_keys)
    return drawn


def numpy_draw(keys, strata, n):
    """An unverifiable draw: numpy's generator, rng.choice in each stratum."""
    plan = sampling.allocation_plan(Counter(strata), n, minimum=5)
    rng = np.random.default_rng(20261127)
    position = {stratum: h for h, stratum in enumerate(plan)}
    codes = np.fromiter(map(position.__getitem__, strata), dtype=np.int64, count=len(strata))
    drawn = {}
    for h, (stratum, n_h) in enumerate(plan.items()):
        members = np.flatnonzero(codes == h)
        probability = n_h / len(members)
        drawn.update((keys[i], probability) for i in rng.choice(members, n_h, replace=False).tolist())
    return drawn


def best_of(repeat: int, function, *args) -> tuple[float, float, object]:
    """Best wall-clock and best CPU time of ``repeat`` runs, and the last result."""
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def peak_megabytes(function, *args) -> float:
    """Peak memory allocated while ``function`` runs (Python objects and numpy arrays, via tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    function(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, if there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 100_000, 1_000_000])
    args = parser.parse_args()

    cases = [(2_000, 500)] if 2_000 in args.sizes else []
    for size in args.sizes:
        cases.append((size, size // 20))
    if 1_000_000 in args.sizes:
        cases.append((1_000_000, 100_000))

    print(f"Python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs: {cpu_model()}")
    print(f"best of {args.repeat}; times in seconds (cpu = process time); peak = tracemalloc peak of one draw")
    print(f"load average at start: {os.getloadavg()[0]:.2f}\n")
    header = (
        f"{'frame':>10} {'drawn':>8} {'draw s':>8} {'cpu s':>7} {'peak MB':>8}"
        f" {'naive s':>8} {'rng.choice s':>13} {'commit s':>9}"
    )
    print(header)
    print("-" * len(header))
    results = {}
    frames = {}
    for size, n in cases:
        keys, strata = frames.setdefault(size, make_frame(size))
        seconds, cpu, drawn = best_of(args.repeat, draw, keys, strata, n)
        naive_seconds, _, expected = best_of(args.repeat, naive_draw, keys, strata, n)
        if drawn != expected:
            raise SystemExit(f"select differs from the naive definition on {size} members")
        numpy_seconds, _, numpy_drawn = best_of(args.repeat, numpy_draw, keys, strata, n)
        assert len(numpy_drawn) == len(drawn)
        commit_seconds, _, _ = best_of(args.repeat, sampling.commitment, keys, strata)
        peak = peak_megabytes(draw, keys, strata, n)
        results[(size, n)] = (seconds, naive_seconds, numpy_seconds)
        print(
            f"{size:>10,} {n:>8,} {seconds:>8.3f} {cpu:>7.3f} {peak:>8.1f} {naive_seconds:>8.3f}"
            f" {numpy_seconds:>13.3f} {commit_seconds:>9.3f}",
            flush=True,
        )

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS (frames included): {rss:.0f} MB")
    if (1_000_000, 50_000) in results:
        seconds, naive_seconds, numpy_seconds = results[(1_000_000, 50_000)]
        verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
        print(
            f"1,000,000 members, 50,000 drawn: {seconds:.3f} s, which {verdict} the {TARGET_SECONDS} s target;"
            f" naive full sort {naive_seconds:.3f} s ({naive_seconds / seconds:.1f}x slower),"
            f" unverifiable rng.choice {numpy_seconds:.3f} s. Selection identical to the naive sort at every size."
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
