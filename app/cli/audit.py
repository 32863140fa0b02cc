"""`flask audit verify` walks the hash chain of the audit log; `flask audit head` prints the anchor to publish."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.audit.service import check_anchor, head, parse_anchor, verify_chain

audit_cli = AppGroup("audit", help="Inspect the audit log.")


def _anchor(_ctx, _param, values):
    try:
        return [parse_anchor(value) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@audit_cli.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=_anchor, metavar="COUNT:HASH",
              help="A head published earlier by `flask audit head`; fail if the log no longer contains entry COUNT "
                   "with that hash (which shows that newest entries were deleted or the log rewritten). Repeatable.")
def verify(anchors) -> None:
    """Check every entry's hash and link (and any anchors); exit 1 at the first problem."""
    report = verify_chain()
    if not report.ok:
        click.echo(f"audit log BROKEN at entry {report.broken_id}: {report.reason} "
                   f"({report.checked} entries before it verified)", err=True)
        raise SystemExit(1)
    failed = False
    for anchor in anchors:
        problem = check_anchor(anchor)
        if problem:
            click.echo(f"anchor {anchor.anchor} FAILED: {problem}", err=True)
            failed = True
        else:
            click.echo(f"anchor {anchor.count}:{anchor.entry_hash[:12]}… holds")
    if failed:
        raise SystemExit(1)
    click.echo(f"audit log intact: {report.checked} entries verified")


@audit_cli.command("head")
def head_command() -> None:
    """Print the entry count and the newest entry's hash, to publish outside the database (e.g. monthly).

    Deleting the newest entries leaves a valid but shorter chain; only a head kept elsewhere shows it.
    Check later with `flask audit verify --anchor COUNT:HASH`.
    """
    current = head()
    click.echo(f"entries: {current.count}")
    click.echo(f"newest hash: {current.entry_hash}")
    click.echo(f"anchor: {current.anchor}")
