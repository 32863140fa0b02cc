"""Benchmark: import 100,000 pool members from CSV and from XLSX into a fresh SQLite database.

    .venv/bin/python bench/bench_pool_import.py [--rows 100000] [--database-url URL]

For each format it reports the seconds spent checking the file (read, validate,
plan) and committing it (one transaction), the CPU seconds of the process (a
fairer figure on a shared machine), rows per second, and the peak resident
memory of a fresh process doing the import. Target (issue 3): 100,000
rows validated and committed in under 30 s on SQLite on a 2-core machine.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATEGORIES = ["四上企业", "中小微市场主体", "办事群众", "营商环境监督员", "两代表一委员", "新闻媒体"]
DISTRICTS = ["城关区", "东湖区", "西山区", "高新区", "经开区", "临江县", "北山县", "南溪县"]


def make_rows(count: int) -> list[list[str]]:
    """Distinct valid mobile numbers (139 + 8 digits) and plausible other fields."""
    rng = random.Random(1)
    numbers = rng.sample(range(10**8), count)
    return [[f"成员{i}", CATEGORIES[i % 6], DISTRICTS[i % 8], f"单位{i % 5000}", f"139{n:08d}", "2026-01-15"]
            for i, n in enumerate(numbers)]


HEADER = ["姓名", "类别", "区县", "单位", "手机", "入库日期"]


def write_files(directory: Path, rows: list[list[str]]) -> dict[str, Path]:
    from openpyxl import Workbook

    csv_path = directory / "pool.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    # Normal (not write-only) mode, so that the sheet records its <dimension> as Excel and WPS do;
    # without one, openpyxl's read-only mode reads the whole sheet twice.
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    xlsx_path = directory / "pool.xlsx"
    workbook.save(xlsx_path)
    return {"csv": csv_path, "xlsx": xlsx_path}


def run_one(path: Path, database_url: str) -> dict:
    """In this process: migrate an empty database, then check and commit the file."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.pool import importing as pool_import

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        upgrade()
        data = path.read_bytes()
        started, cpu_started = time.perf_counter(), time.process_time()
        plan = pool_import.check(path.name, data)
        checked = time.perf_counter()
        assert not plan.errors, plan.errors[:3]
        result = pool_import.commit(plan, filename=path.name)
        db.session.commit()
        done, cpu_done = time.perf_counter(), time.process_time()
    return {
        "added": result.added,
        "check_s": checked - started,
        "commit_s": done - checked,
        "cpu_s": cpu_done - cpu_started,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run a single import in this process
    parser.add_argument("--database-url", help="default: a new SQLite file per format")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(Path(args.one), args.database_url)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = write_files(directory, make_rows(args.rows))
        print(f"{args.rows:,} rows; CSV {files['csv'].stat().st_size / 1e6:.1f} MB, "
              f"XLSX {files['xlsx'].stat().st_size / 1e6:.1f} MB")
        print(f"{'format':<6} {'check s':>8} {'commit s':>9} {'total s':>8} {'cpu s':>6} {'rows/s':>9} "
              f"{'peak RSS MB':>12}")
        for fmt, path in files.items():
            url = args.database_url or f"sqlite:///{directory / f'{fmt}.sqlite3'}"
            # A fresh process per format, so that the peak memory belongs to that import alone.
            output = subprocess.run([sys.executable, __file__, "--one", str(path), "--database-url", url],
                                    capture_output=True, text=True, check=True, cwd=ROOT).stdout
            r = json.loads(output.strip().splitlines()[-1])
            total = r["check_s"] + r["commit_s"]
            print(f"{fmt:<6} {r['check_s']:>8.2f} {r['commit_s']:>9.2f} {total:>8.2f} {r['cpu_s']:>6.2f} "
                  f"{r['added'] / total:>9,.0f} {r['peak_rss_mb']:>12.0f}")


if __name__ == "__main__":
    main()
