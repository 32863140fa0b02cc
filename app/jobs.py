"""Background jobs: RQ on Redis when REDIS_URL is set, inline otherwise (the embedded demo, the tests).

Job functions take plain ids and run inside an application context: the
`flask worker` command starts an RQ worker within one.
"""
from __future__ import annotations

from flask import current_app

QUEUE = "beikaobei"


def enqueue(func, *args):
    """Run ``func(*args)`` in the background, or now when jobs are inline."""
    if current_app.config["JOBS_INLINE"]:
        return func(*args)
    from redis import Redis
    from rq import Queue

    queue = Queue(QUEUE, connection=Redis.from_url(current_app.config["REDIS_URL"]))
    return queue.enqueue(func, *args, job_timeout=3600)
