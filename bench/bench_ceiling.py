"""The ceiling under issue 9's load target: gunicorn and the load driver with applications that do nothing.

    .venv/bin/python bench/bench_ceiling.py            # 50 clients, 20 s per application

`bench_load.py` measures the platform. This measures what is left of two cores when the platform does no
work at all, with the same gunicorn command (2 sync workers, access log), the same driver (one process,
asyncio, one connection per request, 50 clients) and the same machine:

- ``bare WSGI``: a WSGI callable that answers "ok" (gunicorn and the driver alone);
- ``empty Flask``: a Flask application with one route that returns "ok" (no extension, no session,
  no template, no database).

Each client sends requests back to back (a GET, then a POST with a small form body, alternately). The
report gives requests per second, the CPU each request cost gunicorn and the driver, and from it the most
respondent flows per second that two idle cores could serve if every request of a flow cost no more than
these empty ones, for the 3-request flow the issue names (open the link, load the form, submit) and for the
platform's 13-request flow (a four-page questionnaire). Needs neither PostgreSQL nor Redis.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import (TARGET_FLOWS_PER_SECOND, Client, Stats, StepError, cpu_seconds, machine,  # noqa: E402
                        percentile, run_phase, start_server)

APPLICATIONS = {"bare WSGI": "bench.ceiling_apps:wsgi_app", "empty Flask": "bench.ceiling_apps:flask_app"}
FLOW_SHAPES = {"3-request flow (open link, form, submit)": 3, "13-request flow (four-page questionnaire)": 13}


async def empty_requests(client: Client) -> None:
    """Ten requests in a row, as one client: a GET, then a POST of a small form, alternately."""
    for n in range(10):
        if n % 2:
            await client.request("POST", "POST", "/", 200, data={"csrf_token": "x" * 90, "q1": "5", "q2": "4"})
        else:
            await client.request("GET", "GET", "/", 200)


def measure(name: str, target: str, args) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-ceiling-"))
    server_args = argparse.Namespace(port=0, workers=args.workers, worker_class="sync", threads=1, app=target)
    server = start_server(server_args, folder, dict(os.environ))
    stats = Stats()
    marks: list[tuple[float, float]] = []
    try:
        asyncio.run(run_phase(server.base, args.clients, args.duration, args.warmup,
                              lambda client, rng: empty_requests(client), stats,
                              lambda: marks.append((cpu_seconds(server.process.pid), sum(os.times()[:2])))))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    if stats.errors:
        raise SystemExit(f"{name}: {stats.errors} requests failed: {dict(stats.error_samples)}")
    requests = sum(len(v) for v in stats.latencies.values())
    (server0, driver0), (server1, driver1) = marks[:2]
    latencies = [x for v in stats.latencies.values() for x in v]
    return {"requests/s": requests / args.duration,
            "gunicorn ms/request": (server1 - server0) / requests * 1000,
            "driver ms/request": (driver1 - driver0) / requests * 1000,
            "p50 ms": percentile(latencies, 50), "p99 ms": percentile(latencies, 99)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per application")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count()
    print(f"machine: {machine()}")
    print(f"gunicorn: {args.workers} sync workers, access log; driver: {args.clients} clients, one connection "
          f"per request; {args.duration:.0f} s measured per application\n")
    print(f"{'application':<12} {'requests/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'gunicorn CPU':>13} "
          f"{'driver CPU':>11} {'all CPU':>8}")
    results = {}
    for name, target in APPLICATIONS.items():
        r = results[name] = measure(name, target, args)
        total = r["gunicorn ms/request"] + r["driver ms/request"]
        print(f"{name:<12} {r['requests/s']:>10.0f} {r['p50 ms']:>7.1f} {r['p99 ms']:>7.1f} "
              f"{r['gunicorn ms/request']:>10.2f} ms {r['driver ms/request']:>8.2f} ms {total:>5.2f} ms")
    print(f"\nAt most, on {cores} idle cores, if every request of a flow cost no more than an empty one "
          f"(target: {TARGET_FLOWS_PER_SECOND} flows/s; PostgreSQL, templates, sessions and CSRF not yet counted):")
    for shape, per_flow in FLOW_SHAPES.items():
        ceilings = []
        for name, r in results.items():
            per_request = r["gunicorn ms/request"] + r["driver ms/request"]
            ceilings.append(f"{name} {cores * 1000 / (per_request * per_flow):.0f}")
        print(f"  {shape}: " + ", ".join(ceilings) + " flows/s")
    flask = results["empty Flask"]
    per_request = flask["gunicorn ms/request"] + flask["driver ms/request"]
    budget = cores * 1000 / TARGET_FLOWS_PER_SECOND
    print(f"\nAt {TARGET_FLOWS_PER_SECOND} flows/s the {cores} cores give each flow {budget:.1f} ms of CPU. Empty Flask "
          "requests take, of it:")
    for shape, per_flow in FLOW_SHAPES.items():
        print(f"  {shape}: {per_flow * per_request:.1f} ms, leaving {budget - per_flow * per_request:.1f} ms for "
              "everything the platform does in the flow (database, templates, session, CSRF, validation, limits)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
