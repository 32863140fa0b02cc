"""`flask sms reply PHONE TEXT`: record a reply received by the SMS provider (回复TD退订 opts out)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db
from app.platform.phones import PhoneError, mask, normalise
from app.rounds import sending

sms_cli = AppGroup("sms", help="SMS replies and the outbox.")


@sms_cli.command("reply")
@click.argument("phone")
@click.argument("text")
def reply_command(phone: str, text: str) -> None:
    """A reply from PHONE (as the provider's console or receipt export shows it); TD and 退订 opt out."""
    try:
        e164 = normalise(phone)
    except PhoneError:
        raise click.ClickException("not a mainland China mobile number") from None
    if sending.handle_reply(e164, text):
        db.session.commit()
        click.echo(f"{mask(e164)} opted out of the pool")
    else:
        click.echo(f"{mask(e164)}: nothing to do (not an opt-out, or not an active member)")
