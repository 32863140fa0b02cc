"""Background jobs: RQ on Redis when REDIS_URL is set, inline otherwise (the embedded demo, the tests).

Job functions take plain ids and run inside an application context: the
`flask worker` command starts an RQ worker within one. ``exclusive`` keeps a
job alone for one key (one round's sending), however many copies of it were
queued.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

log = logging.getLogger(__name__)
QUEUE = "beikaobei"

# Namespaces of job locks: the first of PostgreSQL's two int4 advisory lock keys (the second is the object's id).
# The two-key form never collides with the one-bigint locks elsewhere (the audit chain, the pool import).
SEND_ROUND = 0x534D53  # "SMS": one job sends a given round at a time

# The lock's session notices a holder's host that vanished without closing its connection (power loss, a cut
# network) after about 60 + 6 × 10 seconds of silence, instead of the kernel's default of over two hours.
_KEEPALIVES = ("SELECT set_config('tcp_keepalives_idle', '60', false), "
               "set_config('tcp_keepalives_interval', '10', false), set_config('tcp_keepalives_count', '6', false)")

_local_locks: dict[tuple, threading.Lock] = {}
_local_locks_guard = threading.Lock()


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


class JobLock:
    """At most one holder at a time for a (namespace, key), across threads, processes and hosts; never waits.

    Why a PostgreSQL session-level advisory lock, rather than a Redis key with a TTL renewed by the job or RQ's
    StartedJobRegistry checked against live workers:

    - It lives exactly as long as the holder's database session. A job that ends releases it; a job whose
      process dies (SIGKILL, the OOM killer, RQ's job timeout) has its socket closed by the kernel and
      PostgreSQL drops the lock at once. There is nothing to renew and no TTL to trade off between "a dead
      job blocks the round for a while" (and a worker restarted right after a crash would wrongly see the
      round as being sent) and "a gateway call slower than the TTL lets a second job in".
    - A host that disappears without closing its connection is noticed by TCP keepalives, set short on the
      lock's session (about two minutes): a dead worker never blocks a key for long.
    - Taking it is one atomic statement (``pg_try_advisory_lock``). Asking RQ whether another job for the
      round has started on a live worker is a check-then-act race (two jobs starting together both see the
      other), and RQ takes minutes to notice a dead worker.
    - It also covers jobs run inline inside web requests (no Redis).

    The lock has a connection of its own, in autocommit so that no transaction stays open for the hour a job
    may take; it goes back to the pool only once unlocked, and is discarded otherwise.

    On SQLite (the embedded, single-process mode) a lock per process stands in: it keeps the development
    server's threads apart, not separate processes.
    """

    def __init__(self, namespace: int, key: int):
        self.namespace, self.key = namespace, key
        self._connection: Connection | None = None
        self._local: threading.Lock | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; False at once otherwise."""
        if db.engine.dialect.name != "postgresql":
            return self._acquire_local()
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        taken = False
        try:
            connection.execute(text(_KEEPALIVES))
            taken = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:namespace, :key)"),
                                           {"namespace": self.namespace, "key": self.key}))
        finally:
            if not taken:
                connection.close()
        if taken:
            self._connection = connection
        return taken

    def kept(self) -> bool:
        """Whether the lock is still held, taking it again if its connection was lost and nobody took it since."""
        if self._connection is None:
            return self._local is not None or self.acquire()
        try:
            self._connection.execute(text("SELECT 1"))  # the session, and so the lock, is alive
            return True
        except SQLAlchemyError:
            log.warning("job lock %s:%s: its database connection was lost", self.namespace, self.key)
            self._discard_connection()
            return self.acquire()

    def release(self) -> None:
        """Let the next job in (no error if the lock was already lost)."""
        if self._local is not None:
            self._local.release()
            self._local = None
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        unlocked = False
        try:
            unlocked = bool(connection.scalar(text("SELECT pg_advisory_unlock(:namespace, :key)"),
                                              {"namespace": self.namespace, "key": self.key}))
        except SQLAlchemyError:
            log.warning("job lock %s:%s: unlocking failed; closing its session releases it", self.namespace,
                        self.key)
        finally:
            if not unlocked:
                connection.invalidate()  # never back to the pool with the lock still held
            connection.close()

    def _acquire_local(self) -> bool:
        name = (str(db.engine.url), self.namespace, self.key)
        with _local_locks_guard:
            lock = _local_locks.setdefault(name, threading.Lock())
        if not lock.acquire(blocking=False):
            return False
        self._local = lock
        return True

    def _discard_connection(self) -> None:
        connection, self._connection = self._connection, None
        try:
            connection.invalidate()
            connection.close()
        except SQLAlchemyError:
            pass


@contextmanager
def exclusive(namespace: int, key: int) -> Iterator[JobLock | None]:
    """Hold the job lock for the block; yields None (and holds nothing) when another job has it."""
    lock = JobLock(namespace, key)
    if not lock.acquire():
        yield None
        return
    try:
        yield lock
    finally:
        lock.release()


def is_held(namespace: int, key: int) -> bool:
    """Whether a running job holds the lock now (a snapshot: it may be taken or released right after)."""
    lock = JobLock(namespace, key)
    if not lock.acquire():
        return True
    lock.release()
    return False
