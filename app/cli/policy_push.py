"""`flask policy match ITEM_CODE` and `flask policy push ITEM_CODE`: matching and precise push from the shell.

The commands join the `policy` group whoever defines it (`flask policy import` lives in app/cli/policy.py):
``add_push_commands(app.cli)`` adds them to the group already registered, or registers a group of its own.
"""
from __future__ import annotations

import sys

import click
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.platform.exports import csv_bytes
from app.policy import matching, push
from app.policy.explain import deciding_rule, result_label
from app.policy.models import PolicyItem, PolicyItemVersion
from eligibility.evaluation import Result


def _version(code: str) -> PolicyItemVersion:
    item = db.session.scalar(select(PolicyItem).where(PolicyItem.code == code.strip()))
    if item is None or item.current is None:
        raise click.ClickException(f"no item with the code {code!r} (or it has no version yet)")
    return item.current


@click.command("match")
@click.argument("item_code")
@click.option("--format", "fmt", type=click.Choice(["csv", "summary"]), default="summary", show_default=True,
              help="csv: one row per enterprise on standard output; summary: the counts.")
def match_command(item_code: str, fmt: str) -> None:
    """Match an item's current version against every enterprise profile (the run is stored and audited)."""
    version = _version(item_code)
    run = matching.run(version)
    db.session.commit()
    if fmt == "summary":
        click.echo(f"{run.profiles} profiles: " + ", ".join(f"{key} {run.counts.get(key, 0)}"
                                                           for key in matching.RESULT_ORDER))
        return
    rows: list[list] = [[_("Unified social credit code"), _("Enterprise name"), _("Result"), _("Deciding condition")]]
    for found in db.session.scalars(matching.results_query(run)):
        rows.append([found.profile.uscc, found.profile.name, result_label(found.result),
                     deciding_rule(version, found.trace)])
    sys.stdout.buffer.write(csv_bytes(rows))
    sys.stdout.flush()


@click.command("push")
@click.argument("item_code")
@click.option("--dry-run", is_flag=True, help="Print the counts, send and write nothing.")
@click.option("--results", default=",".join(push.DEFAULT_RESULTS), show_default=True,
              help="The results to send to, comma-separated: eligible, likely.")
@click.option("--ask-missing", is_flag=True, help="Also ask enterprises with missing data to update them.")
@click.option("--district", "districts", multiple=True, help="Only this district (repeatable).")
def push_command(item_code: str, dry_run: bool, results: str, ask_missing: bool, districts: tuple[str, ...]) -> None:
    """Send an item's current version to the enterprises its newest match found (matching first if needed)."""
    version = _version(item_code)
    chosen = tuple(r.strip() for r in results.split(",") if r.strip())
    unknown = [r for r in chosen if r not in {x.value for x in Result}]
    if unknown:
        raise click.ClickException(f"unknown result(s): {', '.join(unknown)}")
    criteria = push.Criteria(chosen, districts, ask_missing)
    run = matching.latest_run(version)
    if run is None:
        click.echo("no match yet: matching now", err=True)
        run = matching.run(version)
    try:
        sent = push.send(run, criteria, dry_run=dry_run)
    except push.PushError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    if dry_run:
        db.session.rollback()  # a match made for the dry run is not kept either
    counts = sent.counts
    label = "would send" if dry_run else "sent"
    click.echo(f"{label} {counts.get('sent', 0)}; selected {counts['selected']}, already {counts['already']}, "
               f"opted out {counts['opted_out']}, no phone {counts['no_phone']}, capped {counts['capped']}, "
               f"failed {counts.get('failed', 0)}")
