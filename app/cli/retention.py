"""`flask retention purge`: erase personal data kept past its retention period (run it daily or monthly)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.maintenance import retention

retention_cli = AppGroup("retention", help="Erase personal data the platform no longer needs.")


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased; change nothing.")
def purge_command(dry_run: bool) -> None:
    """Erase the name, organisation and phone of members who left the pool (paused or opted out) more than
    RETENTION_LEFT_MEMBER_DAYS ago (default 365), and the complainant's identity and contact of complaints closed
    or declined more than COMPLAINT_CONTACT_RETENTION_DAYS ago (default 730).

    Members keep their key, category and district, so past draws still verify. Opted-out members keep the keyed
    hash of their number, so that an import never enrols them again. One audit entry records the counts.
    Backups made earlier still hold the erased data: expire them on the same schedule.
    """
    counts = retention.purge(dry_run=dry_run)
    if not dry_run:
        db.session.commit()
    verb = "would erase" if dry_run else "erased"
    member_days, complaint_days = (current_app.config["RETENTION_LEFT_MEMBER_DAYS"],
                                   current_app.config["COMPLAINT_CONTACT_RETENTION_DAYS"])
    click.echo(f"{verb}: {counts.members} departed members (left more than {member_days} days ago; "
               f"{counts.opted_out_hashes_kept} opted out, whose phone hash is kept to honour the opt-out), "
               f"{counts.complaints} complainants' contacts (closed more than {complaint_days} days ago), "
               f"{counts.sms_daily_counters} old daily SMS counters, {counts.sms_codes} expired SMS codes, "
               f"{counts.callback_phones} call-back numbers (follow-up done more than "
               f"{current_app.config['CALLBACK_RETENTION_DAYS']} days ago), {counts.rating_hashes} real-time raters' "
               f"hashes, {counts.complainant_attachments} complainants' attachments, {counts.round_secrets} link and "
               f"code hashes of rounds closed more than {current_app.config['ROUND_APPEAL_DAYS']} days ago, "
               f"{counts.seen_devices} real-time device marks of past days")
