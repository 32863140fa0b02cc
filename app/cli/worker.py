"""`flask worker`: the RQ worker that sends SMS in the background (needs REDIS_URL)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.platform.jobs import QUEUE


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Process background jobs from Redis until stopped."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inline, there is nothing to work on")
    from redis import Redis
    from rq import Queue, Worker

    from app.extensions import db
    from app.rounds.sending import requeue_interrupted

    connection = Redis.from_url(current_app.config["REDIS_URL"])
    # A worker killed mid-job leaves its job where RQ never runs it again: queue those rounds' rest anew
    # (except rounds that a job on another worker, alive, is still sending: it sends the rest itself).
    for campaign_id, queued in requeue_interrupted().items():
        click.echo(f"round {campaign_id}: sending resumed for {queued} queued invitations")
    db.engine.dispose()  # each job runs in a forked process: it must not inherit this process's connections
    Worker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst)
