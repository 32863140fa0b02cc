"""`flask phones show-index-key`, `flask phones rekey`: rotating PHONE_ENCRYPTION_KEY (docs/DEPLOYMENT.md).

Neither ever prints a number or a TOTP secret; show-index-key prints the lookup-hash key, once, for the
environment (see app/platform/phones.py for why it is a setting of its own).
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.maintenance import phone_keys
from app.platform.phones import PhoneKeyError, current_vault

phones_cli = AppGroup("phones", help="Keys of the phone numbers and other sealed values: rotation.")


@phones_cli.command("show-index-key")
def show_index_key_command() -> None:
    """Print the key of the phone lookup hashes, to set as PHONE_INDEX_KEY before the first key rotation.

    Unset, PHONE_INDEX_KEY is derived from PHONE_ENCRYPTION_KEY; run this once with the key the database was
    encrypted with, and put the value in the environment (as secret as the encryption key: with it, anybody
    can test whether a given number is in the pool). It never changes afterwards, whatever the encryption key.
    """
    config = current_app.config
    if not (config.get("PHONE_ENCRYPTION_KEY") or config.get("PHONE_INDEX_KEY")):
        raise click.ClickException("PHONE_ENCRYPTION_KEY is not set: phone numbers are neither encrypted nor keyed, "
                                   "there is no index key to keep.")
    try:
        vault = current_vault()
    except PhoneKeyError as error:
        raise click.ClickException(str(error)) from None
    if not config.get("PHONE_INDEX_KEY"):
        click.echo("# derived from PHONE_ENCRYPTION_KEY: set PHONE_INDEX_KEY to this value", err=True)
    click.echo(vault.index_key_hex)


@phones_cli.command("rekey")
@click.option("--dry-run", is_flag=True, help="Only count what would be re-encrypted; change nothing.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000),
              help="Rows per transaction.")
def rekey_command(dry_run: bool, batch_size: int) -> None:
    """Re-encrypt every sealed value (pool members', complainants' and call-back numbers, TOTP secrets) under
    PHONE_ENCRYPTION_KEY, so that PHONE_ENCRYPTION_OLD_KEYS can be removed.

    Needs PHONE_INDEX_KEY set explicitly, and every value readable with the configured keys. Idempotent: a
    second run finds nothing to do. Records one audit entry (counts only).
    """
    try:
        if dry_run:
            _report_dry_run(phone_keys.count(batch_size))
            return
        result = phone_keys.rekey(batch_size)
    except (PhoneKeyError, phone_keys.RekeyError) as error:
        raise click.ClickException(str(error)) from None
    for c in result.columns:
        click.echo(f"{c.label}: {c.reencrypted} re-encrypted, {c.encrypted} clear-text values encrypted, "
                   f"{c.current} already under the current key"
                   + (f", {c.changed_meanwhile} changed by the application meanwhile (left as written)"
                      if c.changed_meanwhile else ""))
    if result.still_old:
        raise click.ClickException(f"{result.still_old} values are still under an old key: an instance still runs "
                                   "with the old PHONE_ENCRYPTION_KEY? Restart every instance, then run this again.")
    click.echo("Every value is under PHONE_ENCRYPTION_KEY: remove PHONE_ENCRYPTION_OLD_KEYS and restart (keep the "
               "old key in the safe as long as backups made before this are kept).")


def _report_dry_run(counts: list[phone_keys.ColumnCount]) -> None:
    for c in counts:
        click.echo(f"{c.label}: {c.old} to re-encrypt, {c.clear} clear-text values to encrypt, "
                   f"{c.current} already under the current key, {len(c.unreadable_ids)} unreadable")
    problem = phone_keys.unreadable_message(counts)
    if problem:
        raise click.ClickException(problem)
    if not current_app.config.get("PHONE_INDEX_KEY"):
        click.echo("warning: PHONE_INDEX_KEY is not set, so the real run will refuse (see `flask phones "
                   "show-index-key`).", err=True)
