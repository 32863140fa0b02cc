"""Benchmark of policy matching: the whole catalogue against every enterprise profile, in the pure core.

    .venv/bin/python bench/bench_policy_match.py              # 10,000 profiles x 30 items, best of 5
    .venv/bin/python bench/bench_policy_match.py --profiles 2000 --repeat 3
    .venv/bin/python bench/bench_policy_match.py --app        # also through the application (SQLite)

Synthetic, seeded data (not timed): profiles with every stored field (industry code, size, district, date
registered, revenue, employees, tax paid, R&D ratio, qualifications with valid-to dates), about 8% of each field
empty and a fifth of the yearly figures stale; a catalogue of 30 items with 2 to 5 rules each over every field
of ``eligibility.fields.FIELDS`` (comparisons, ``contains``, ``and``/``or``/``not``) and review conditions on
some. Every rule passes ``rule_errors``.

Timed steps (each best of --repeat):
  compile   a RuleSet per item (parse + compile the 30 items' rules)
  facts     eligibility.fields.build_facts for every profile (once per profile, as a match run does)
  match     RuleSet.match for every (profile, item) pair, with the trace of every rule
  total     compile + facts + match end to end: the figure the target (under 5 s) applies to

With --app, the same profiles and catalogue are stored in a fresh SQLite database (every migration;
EnterpriseProfile and PolicyItemVersion rows, not timed) and matched as the application reads them:
  app       select every profile, app.profiles.facts.facts_of each (record, updated days, build_facts), then
            per item version explain.rule_set and, per profile, RuleSet.match + explain.trace_json (the trace as
            a match run stores it). Storing the results is the matching service's and is not timed here.

The benchmark exits non-zero if a rule is refused by rule_errors, if a result of the four never occurs, or if
the end-to-end run's results differ from the step-by-step run's.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eligibility.evaluation import Result, Review, Rule, RuleSet, rule_errors  # noqa: E402
from eligibility.fields import FIELDS, SIZES, build_facts  # noqa: E402

TODAY = date(2026, 12, 7)
STALE_DAYS = 548
TARGET_SECONDS = 5.0
DISTRICTS = ("高新区", "经开区", "东城区", "西城区", "南湖区", "北山县", "临江县", "青溪县")
SECTIONS = "ACCCCCEFGIIILMM"  # manufacturing (C) and services weighted as in a real register
QUALIFICATIONS = ("高新技术企业", "专精特新", "科技型中小企业", "省级企业技术中心", "瞪羚企业", "小巨人")
STORED = ("industry", "size", "district", "registered_on", "revenue", "employees", "tax_paid", "rd_ratio",
          "qualifications")
YEARLY = ("size", "revenue", "employees", "tax_paid", "rd_ratio")


def make_profiles(count: int, seed: int) -> list[tuple[dict, dict]]:
    """(record, updated) pairs as app.profiles.models.EnterpriseProfile.record()/updated_days() give them."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        section = rng.choice(SECTIONS)
        revenue = round(rng.lognormvariate(7, 1.4), 2)  # 万元: median about 1,100
        record = {
            "industry": f"{section}{rng.randint(10, 99)}{rng.randint(10, 99)}",
            "size": rng.choices(SIZES, (5, 15, 40, 40))[0],
            "district": rng.choice(DISTRICTS),
            "registered_on": TODAY - timedelta(days=rng.randint(60, 30 * 365)),
            "revenue": revenue,
            "employees": max(1, int(rng.lognormvariate(3.5, 1.2))),
            "tax_paid": round(revenue * rng.uniform(0.01, 0.08), 2),
            "rd_ratio": round(rng.uniform(0, 12), 2),
            "qualifications": [(q, TODAY + timedelta(days=rng.randint(-400, 1000)))
                               for q in rng.sample(QUALIFICATIONS, rng.choice((0, 0, 1, 1, 2, 3)))],
        }
        updated = {}
        for key in STORED:
            if rng.random() < 0.08:  # empty, never recorded
                record[key] = [] if key == "qualifications" else None
                continue
            stale = key in YEARLY and rng.random() < 0.2
            updated[key] = TODAY - timedelta(days=rng.randint(STALE_DAYS + 1, 1200) if stale else rng.randint(0, 400))
        out.append((record, updated))
    return out


def _rule_pool(rng: random.Random) -> list[str]:
    """One of each kind of condition a real catalogue holds, with random thresholds, over every field."""
    q1, q2 = rng.sample(QUALIFICATIONS, 2)
    d1, d2 = rng.sample(DISTRICTS, 2)
    return [
        f"{{revenue}} >= {rng.choice((500, 1000, 2000, 5000))}",
        f"{{revenue}} < {rng.choice((20000, 40000))} and {{employees}} <= {rng.choice((300, 1000))}",
        f"{{tax_paid}} >= {rng.choice((10, 50, 100))}",
        f"{{rd_ratio}} >= {rng.choice((3, 4, 5, 6))}",
        f"{{employees}} >= {rng.choice((10, 20, 50))}",
        f"{{age_years}} >= {rng.choice((1, 2, 3))}",
        f"{{age_years}} < {rng.choice((5, 8, 10))}",
        f"{{size}} = '小型' or {{size}} = '微型'",
        "not ({size} = '大型')",
        f"{{district}} = '{d1}' or {{district}} = '{d2}'",
        f"{{industry_door}} = '{rng.choice('CIM')}'",
        f"{{industry_major}} = '{rng.randint(13, 43)}' or {{industry_door}} = 'I'",
        "{industry} contains '39'",
        f"{{qualifications}} contains '{q1}'",
        f"{{qualifications}} contains '{q1}' or {{qualifications}} contains '{q2}'",
        f"{{rd_ratio}} >= 3 and ({{qualifications}} contains '{q1}' or {{revenue}} >= 1000)",
    ]


def make_catalogue(items: int, seed: int) -> list[tuple[list[Rule], list[Review]]]:
    rng = random.Random(seed)
    catalogue = []
    for n in range(items):
        texts = rng.sample(_rule_pool(rng), rng.randint(2, 5))
        rules = [Rule(t, f"条件{n}-{i}", f"第{i + 2}条") for i, t in enumerate(texts)]
        reviews = [Review("近三年无重大安全事故", "第八条")] if rng.random() < 0.4 else []
        catalogue.append((rules, reviews))
    return catalogue


def best_of(repeat, fn):
    times, cpu, result = [], [], None
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(times), min(cpu), result


def app_path(profiles, catalogue, repeat: int) -> tuple[list[tuple[str, float, float]], Counter]:
    """Store the profiles and the catalogue in a fresh SQLite database, then time matching them as the app does."""
    import tempfile
    from decimal import Decimal

    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    folder = tempfile.mkdtemp(prefix="bench-policy-")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.sqlite3")
    with app.app_context():
        upgrade()
        from app.departments.models import Department, DepartmentKind
        from app.policy import explain
        from app.policy.models import DeliveryMode, ItemKind, ItemStatus, Policy, PolicyItem, PolicyItemVersion, \
            PolicyLevel
        from app.profiles.facts import facts_of
        from app.profiles.models import EnterpriseProfile
        from eligibility.uscc import ALPHABET, check_character

        def money(value):
            return None if value is None else Decimal(str(value))

        for n, (record, updated) in enumerate(profiles):
            first17 = f"91330100{n:09d}"
            assert all(ch in ALPHABET for ch in first17)
            db.session.add(EnterpriseProfile(
                uscc=first17 + check_character(first17), name=f"企业{n}", industry=record["industry"] or "",
                size=record["size"] or "", district=record["district"] or "", registered_on=record["registered_on"],
                revenue=money(record["revenue"]), employees=record["employees"], tax_paid=money(record["tax_paid"]),
                rd_ratio=money(record["rd_ratio"]),
                qualifications=[{"name": q, "valid_to": to.isoformat() if to else None}
                                for q, to in record["qualifications"]],
                field_updated={k: d.isoformat() for k, d in updated.items()}))
        department = Department(code="BENCH", name="基准部门", kind=DepartmentKind.service)
        policy = Policy(title="基准政策", issuer="市人民政府", level=PolicyLevel.city)
        db.session.add_all([department, policy])
        for n, (rules, reviews) in enumerate(catalogue):
            item = PolicyItem(policy=policy, code=f"BENCH-{n:02d}", status=ItemStatus.published)
            db.session.add(PolicyItemVersion(
                item=item, name=f"事项{n}", kind=ItemKind.grant, department=department, mode=DeliveryMode.review,
                rules=[{"expression": r.expression, "label": r.label, "legal_ref": r.legal_ref} for r in rules],
                reviews=[{"label": r.label, "legal_ref": r.legal_ref} for r in reviews]))
        db.session.commit()
        versions = list(db.session.scalars(select(PolicyItemVersion).order_by(PolicyItemVersion.id)))

        def load():
            db.session.expire_all()
            return [facts_of(p, TODAY) for p in db.session.scalars(select(EnterpriseProfile))]

        def match(facts):
            counts: Counter = Counter()
            for version in versions:
                rules = explain.rule_set(version)
                for f in facts:
                    m = rules.match(f)
                    explain.trace_json(m)
                    counts[m.result] += 1
            return counts

        app.config["POLICY_PROFILE_STALE_DAYS"] = STALE_DAYS
        t_load, c_load, facts = best_of(repeat, load)
        t_match, c_match, _ = best_of(repeat, lambda: match(facts))
        t, c, counts = best_of(repeat, lambda: match(load()))
        db.session.remove()
        db.engine.dispose()
    return [("app: select the profiles, facts_of each", t_load, c_load),
            ("app: match + explain.trace_json, every pair", t_match, c_match),
            ("**app, end to end**", t, c)], counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--app", action="store_true", help="also time matching through the application")
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, nproc {os.cpu_count()}, {platform.processor() or platform.platform()}")
    print(f"python {platform.python_version()}, load average {tuple(round(x, 2) for x in os.getloadavg())}")
    profiles = make_profiles(args.profiles, args.seed)
    catalogue = make_catalogue(args.items, args.seed + 1)
    refused = [(r.expression, rule_errors(r.expression)) for rules, _ in catalogue for r in rules
               if rule_errors(r.expression)]
    if refused:
        print(f"FAIL: rules refused by rule_errors: {refused[:3]}")
        return 1
    read = {key for rules, _ in catalogue for key in RuleSet(rules).fields}
    unread = [f.key for f in FIELDS if f.key not in read]

    def compile_all():
        return [RuleSet(rules, reviews) for rules, reviews in catalogue]

    def facts_all():
        return [build_facts(record, updated, TODAY, STALE_DAYS) for record, updated in profiles]

    t_c, c_c, rule_sets = best_of(args.repeat, compile_all)
    t_f, c_f, facts = best_of(args.repeat, facts_all)

    def match_all():
        return [rs.match(f).result for f in facts for rs in rule_sets]

    t_m, c_m, results = best_of(args.repeat, match_all)

    def everything():
        sets = compile_all()
        return [rs.match(f).result for f in facts_all() for rs in sets]

    t_all, c_all, again = best_of(args.repeat, everything)
    if again != results:
        print("FAIL: the end-to-end run differs from the step-by-step run")
        return 1
    counts = Counter(results)
    rules_total = sum(len(rules) for rules, _ in catalogue)
    pairs = len(profiles) * len(rule_sets)
    print(f"\n{len(profiles):,} profiles x {len(rule_sets)} items ({rules_total} rules, "
          f"{sum(1 for _, rv in catalogue if rv)} items with a review condition) = {pairs:,} matches; "
          f"fields never read: {unread or 'none'}; best of {args.repeat}, seconds\n")
    print("| step | wall | cpu |\n|---|---:|---:|")
    for name, t, c in [("compile: a RuleSet per item", t_c, c_c),
                       ("facts: build_facts per profile", t_f, c_f),
                       (f"match: RuleSet.match for {pairs:,} pairs, with traces", t_m, c_m),
                       ("**total, end to end**", t_all, c_all)]:
        print(f"| {name} | {t:.3f} | {c:.3f} |")
    print("\n" + ", ".join(f"{r.value} {counts[r]:,} ({counts[r] / pairs:.0%})" for r in Result))
    print(f"per match: {t_m / pairs * 1e6:.1f} µs")
    if any(counts[r] == 0 for r in Result):
        print("FAIL: a result never occurs: the synthetic data do not exercise every path")
        return 1
    if args.app:
        steps, app_counts = app_path(profiles, catalogue, args.repeat)
        for name, t, c in steps:
            print(f"| {name} | {t:.3f} | {c:.3f} |")
        if app_counts != counts:
            print(f"FAIL: the application's results differ from the core's: {app_counts} != {counts}")
            return 1
    verdict = "met" if t_all < TARGET_SECONDS else "NOT met"
    print(f"target: the whole catalogue against {len(profiles):,} profiles under {TARGET_SECONDS} s: {verdict} "
          f"({t_all:.2f} s)")
    return 0 if t_all < TARGET_SECONDS else 2


if __name__ == "__main__":
    sys.exit(main())
