"""Benchmark of the scoring core: one month scored end to end from plain arrays.

    .venv/bin/python bench/bench_scoring.py            # best of 5
    .venv/bin/python bench/bench_scoring.py --repeat 3 --respondents 20000

125,000 invited, 100,000 respondents in 6 strata (one per respondent category, in the
demo pool's proportions), 50 departments, each respondent rating 10 of them: 1,000,000
(respondent, department) scores; each score is the mean of 3 items (3,000,000 item answers,
about 5% "not familiar").

Timed steps (each best of --repeat):
  items       scoring.unit_domain_scores: 3,000,000 item answers -> 1,000,000 unit-domain scores
  weights     scoring.design_weights + scoring.nonresponse_adjusted over the 125,000 invited
  estimate    scoring.by_category: domain means + linearised SEs with fpc, per category (6 x 50 domains)
  policy      scoring.policy_weighted over the 6 categories
  ranking     scoring.assess: ranks, grades, minimum raters, changes, 1,000-draw rank intervals
The target (under 0.25 s) applies to "estimation" = weights + estimate + policy + ranking,
from the unit-domain scores on; the item step is reported separately.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scoring  # noqa: E402

SHARES = {"large_enterprise": 300, "sme": 700, "citizen": 600, "supervisor": 150, "deputy": 150, "media": 100}
POLICY = {"large_enterprise": 0.30, "sme": 0.30, "citizen": 0.20, "deputy": 0.10, "supervisor": 0.05, "media": 0.05}
POPULATION = {"large_enterprise": 3000, "sme": 70000, "citizen": 2000000, "supervisor": 1500, "deputy": 900, "media": 400}
TARGET_SECONDS = 0.25


def make_month(respondents: int, departments: int, per_respondent: int, items: int, seed: int = 1):
    """Synthetic invited sample, responses and item answers (not timed)."""
    rng = np.random.default_rng(seed)
    invited = int(respondents * 1.25)
    names = list(SHARES)
    share = np.array([SHARES[k] for k in names], dtype=float)
    counts = np.floor(invited * share / share.sum()).astype(int)
    counts[0] += invited - counts.sum()
    strata = np.repeat(np.array(names), counts)
    population = np.repeat([float(max(POPULATION[k], c)) for k, c in zip(names, counts)], counts)
    pi = counts.repeat(counts) / population
    responded = np.zeros(invited, dtype=bool)
    responded[rng.choice(invited, respondents, replace=False)] = True
    # Each respondent rates per_respondent distinct departments (random keys, argpartition per row).
    chosen = np.argpartition(rng.random((respondents, departments)), per_respondent, axis=1)[:, :per_respondent]
    unit = np.repeat(np.arange(respondents), per_respondent)
    dept = chosen.ravel()
    quality = rng.normal(75, 0.3, departments)
    item_unit = np.repeat(unit, items)
    item_dept = np.repeat(dept, items)
    item_weight = np.tile(np.array([0.5, 0.3, 0.2])[:items], unit.size)
    option = np.clip(np.round((100 - quality[item_dept]) / 20 + rng.normal(0, 1, item_dept.size)), 0, 4).astype(np.int64)
    option[rng.random(option.size) < 0.05] = -1  # not familiar
    return strata, pi, responded, population, item_unit, item_dept, item_weight, option


def best_of(repeat, fn):
    times, cpu, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(times), min(cpu), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--per-respondent", type=int, default=10)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, {platform.processor() or platform.platform()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, load average {os.getloadavg()}")
    strata, pi, responded, population, item_unit, item_dept, item_weight, option = make_month(
        args.respondents, args.departments, args.per_respondent, 3
    )
    item_score = scoring.option_scores(option)
    r_strata, r_population = strata[responded], population[responded]
    category = r_strata  # one stratum per category: strata nest in categories

    t_items, c_items, scores = best_of(args.repeat, lambda: scoring.unit_domain_scores(item_unit, item_dept, item_weight, item_score))
    previous = None

    def weights():
        return scoring.nonresponse_adjusted(scoring.design_weights(pi), strata, responded)

    t_w, c_w, w = best_of(args.repeat, weights)
    t_e, c_e, est = best_of(args.repeat, lambda: scoring.by_category(
        category, r_strata, w, scores.unit, scores.domain, scores.score, fpc=r_population))
    t_p, c_p, pol = best_of(args.repeat, lambda: scoring.policy_weighted(est, POLICY))
    previous = scoring.DomainMeans(pol.domains, pol.mean - 0.5, pol.se, pol.n)
    t_r, c_r, table = best_of(args.repeat, lambda: scoring.assess(
        pol.domains, pol.mean, pol.se, pol.n, seed=2026, min_raters=30, draws=args.draws, previous=previous))

    def everything():
        ww = weights()
        ee = scoring.by_category(category, r_strata, ww, scores.unit, scores.domain, scores.score, fpc=r_population)
        pp = scoring.policy_weighted(ee, POLICY)
        return scoring.assess(pp.domains, pp.mean, pp.se, pp.n, seed=2026, min_raters=30, draws=args.draws,
                              previous=previous)

    t_all, c_all, again = best_of(args.repeat, everything)
    if not (np.array_equal(again.rank, table.rank) and np.array_equal(again.rank_low, table.rank_low)):
        print("FAIL: the end-to-end run differs from the step-by-step run")
        return 1

    print(f"\n{args.respondents:,} respondents, {scores.unit.size:,} unit-domain scores from {item_unit.size:,} "
          f"item answers, {args.departments} departments, {len(SHARES)} strata, {args.draws} rank draws; "
          f"best of {args.repeat}, seconds\n")
    print("| step | wall | cpu |\n|---|---:|---:|")
    rows = [("items: unit_domain_scores (not in the target)", t_items, c_items),
            ("weights: design_weights + nonresponse_adjusted", t_w, c_w),
            ("estimate: by_category (domain means + SE, fpc)", t_e, c_e),
            ("policy: policy_weighted", t_p, c_p),
            (f"ranking: assess ({args.draws} draws)", t_r, c_r),
            ("**estimation, end to end** (weights..ranking)", t_all, c_all)]
    for name, t, c in rows:
        print(f"| {name} | {t:.4f} | {c:.4f} |")
    ranked = int(table.ranked.sum())
    width = np.median(table.rank_high[table.ranked] - table.rank_low[table.ranked])
    print(f"\n{ranked} departments ranked, median rank-interval width {width:.0f}, median SE {np.median(pol.se):.3f}")
    verdict = "met" if t_all < TARGET_SECONDS else "NOT met"
    print(f"target: estimation under {TARGET_SECONDS} s: {verdict} ({t_all:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
