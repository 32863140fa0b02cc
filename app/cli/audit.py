"""`flask audit verify`: walk the hash chain of the audit log."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.services.audit import verify_chain

audit_cli = AppGroup("audit", help="Inspect the audit log.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every entry's hash and link; exit 1 at the first broken entry."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit log intact: {report.checked} entries verified")
        return
    click.echo(f"audit log BROKEN at entry {report.broken_id}: {report.reason} "
               f"({report.checked} entries before it verified)", err=True)
    raise SystemExit(1)
