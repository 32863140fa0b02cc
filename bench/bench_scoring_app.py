"""Benchmark of scoring through the application: a realistic round from the database to stored results.

    .venv/bin/python bench/bench_scoring_app.py              # best of 5
    .venv/bin/python bench/bench_scoring_app.py --repeat 3 --invited 500

A fresh SQLite database (all migrations), the demo pool (2,000 members) and 30 departments;
one round with 500 invited, ~60% responding, each respondent rating ~5 departments on the
default questionnaire's 6 scored items (~10,000 answer rows). Setup is not timed.

Timed (each best of --repeat), inside one transaction that is rolled back after each run:
  load      app.assessment.scoring.load_inputs: the invitation, response and answer queries -> arrays
  score     app.assessment.scoring.score: load + estimate (policy and 6 dimensions) + ranking + storing
            the assessment and its results (flush), with the audit entry
Target: "score" under 2 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--invited", type=int, default=500)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    folder = tempfile.mkdtemp(prefix="bench-scoring-")
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder}/bench.sqlite3")
    with app.app_context():
        upgrade()
        from app.assessment import scoring
        from app.assessment.models import Assessment
        from app.demo import seed_departments
        from app.demo.assessment import build_round, simulate_responses
        from app.demo.pool import seed_pool
        from app.departments.models import Department
        from app.responses.models import ResponseAnswer
        from app.rounds import service as rounds

        started = time.perf_counter()
        seed_departments()
        seed_pool()
        db.session.commit()
        departments = list(db.session.scalars(Department.ordered()))
        campaign = build_round(date(2026, 10, 1), "bench", departments, sample_size=args.invited,
                               minimum_per_stratum=30)
        responded = simulate_responses(campaign, np.random.default_rng(7), rate=0.6, picks=5.0)
        rounds.close(campaign, None)
        db.session.commit()
        answers = db.session.query(ResponseAnswer).count()
        setup = time.perf_counter() - started
        scheme = scoring.default_scheme()

        def timed(fn):
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - t)
                db.session.rollback()
            return best

        load = timed(lambda: scoring.load_inputs(campaign))
        score = timed(lambda: scoring.score(campaign, scheme, None))
        result = scoring.score(campaign, scheme, None)
        ranked = sum(1 for r in result.results if r.rank)
        db.session.rollback()
        assert db.session.query(Assessment).count() == 0

    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, SQLite")
    print(f"round: {args.invited} invited, {responded} responses, {len(departments)} departments, "
          f"{answers} answer rows (setup {setup:.1f} s, not timed)")
    print(f"load   {load * 1000:8.1f} ms   (3 queries -> arrays)")
    print(f"score  {score * 1000:8.1f} ms   (database -> stored results; {ranked} departments ranked)")
    verdict = "OK" if score < TARGET_SECONDS else "SLOW"
    print(f"target: score under {TARGET_SECONDS:.0f} s -> {verdict}")


if __name__ == "__main__":
    main()
