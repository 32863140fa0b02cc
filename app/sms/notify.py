"""One message to one person outside a round: a rating code, a case's progress, a forum invitation, a call-back.

A round sends in batches with its own queue (``app.rounds.sending``); everything else sends one message at a
time through here: the configured gateway, the console outbox in the demo, the same template rules.
"""
from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.platform.calendar import local_today
from app.platform.phones import mask
from app.sms import SmsMessage, make_backend, send_all
from app.sms.models import SmsDailyCount, SmsOutbox


def within_daily_cap(phone_hash: str) -> bool:
    """Count one message to this number (its keyed hash) today, if SMS_DAILY_CAP_PER_NUMBER allows it."""
    day = local_today()
    row = db.session.get(SmsDailyCount, (phone_hash, day))
    if row is None:
        row = SmsDailyCount(phone_hash=phone_hash, day=day, count=0)
        db.session.add(row)
    if row.count >= current_app.config["SMS_DAILY_CAP_PER_NUMBER"]:
        return False
    row.count += 1
    return True


def send_one(phone_e164: str, *, kind: str, template_code: str, template_text: str, params: dict[str, str],
             reference: str) -> bool:
    """Send one templated message; True when the gateway accepted it. The console backend writes the outbox.

    ``kind`` labels the outbox row (16 characters at most); ``reference`` is our id for the message.
    """
    config = current_app.config

    def to_outbox(message: SmsMessage, rendered: str) -> None:
        db.session.add(SmsOutbox(campaign_id=None, invitation_id=None, phone_masked=mask(message.phone_e164),
                                 kind=kind[:16], text=rendered[:1000]))

    backend = make_backend({**config, "SMS_TEMPLATES": {template_code: template_text}}, sink=to_outbox)
    results = send_all(backend, [SmsMessage(phone_e164, template_code, params, config.get("SMS_SIGN_NAME", ""),
                                            reference)])
    return bool(results) and results[0].accepted
