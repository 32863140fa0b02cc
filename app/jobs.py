"""Background jobs: RQ on Redis when REDIS_URL is set, inline otherwise (the embedded demo, the tests).

Job functions take plain ids and run inside an application context: the
`flask worker` command starts an RQ worker within one.
"""
from __future__ import annotations

from flask import current_app

QUEUE = "beikaobei"


def _queue():
    from redis import Redis
    from rq import Queue

    return Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(func, *args):
    """Run ``func(*args)`` in the background, or now when jobs are inline."""
    if current_app.config["JOBS_INLINE"]:
        return func(*args)
    return _queue().enqueue(func, *args, job_timeout=3600)


def waiting_calls(func) -> set[tuple]:
    """The arguments of the jobs for ``func`` waiting in the queue, not yet started (none when jobs are inline)."""
    if current_app.config["JOBS_INLINE"]:
        return set()
    name = f"{func.__module__}.{func.__qualname__}"
    return {tuple(job.args) for job in _queue().get_jobs() if job is not None and job.func_name == name}
