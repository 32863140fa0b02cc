"""The development and demo backend: accepts everything, sends nothing."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from app.sms.base import MISSING_PARAMETERS, SmsBackend, SmsMessage, SmsResult, render

logger = logging.getLogger(__name__)

Sink = Callable[[SmsMessage, str], None]


class ConsoleBackend(SmsBackend):
    """Accepts every renderable message without touching the network; hands the rendered text to a sink or the log.

    ``templates`` maps a template code to its text (``${name}`` variables, see ``render``) so that
    the preview reads like the real SMS; an unknown code is shown as the code and its parameters.
    A known template with a variable missing from the params fails permanently, as a gateway would.
    ``sink(message, text)`` replaces logging (the app passes one that writes to its outbox); an
    exception from the sink propagates, because losing the outbox row silently would be worse.
    The log line carries the rendered text, personal link included — that is the point of this
    backend in the demo — but never the full phone number.
    """

    name = "console"
    max_batch = 1000

    def __init__(self, *, templates: Mapping[str, str] | None = None, sink: Sink | None = None,
                 default_sign_name: str = ""):
        self.templates = dict(templates or {})
        self.sink = sink
        self.default_sign_name = default_sign_name

    @classmethod
    def from_config(cls, config: Mapping, *, sink: Sink | None = None) -> ConsoleBackend:
        """Build from the SMS_* settings (all optional for this backend)."""
        return cls(
            templates=config.get("SMS_TEMPLATES") or {},
            sink=sink,
            default_sign_name=config.get("SMS_SIGN_NAME") or "",
        )

    def preview(self, message: SmsMessage) -> str:
        """The text the recipient would read, sign name included."""
        sign = message.sign_name or self.default_sign_name
        text = self.templates.get(message.template_code)
        if text is None:
            body = " ".join(f"{key}={value}" for key, value in message.params.items())
            return f"【{sign}】[{message.template_code}] {body}".rstrip()
        rendered = render(text, {"sign": sign, **message.params})
        # Gateways put the sign in front of the approved text; templates written without ${sign} get it the same way.
        # Without a sign name configured (the demo), the text is shown as written, not behind an empty 【】.
        return rendered if "${sign}" in text or not sign else f"【{sign}】{rendered}"

    def _send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results = []
        for message in messages:
            try:
                text = self.preview(message)
            except ValueError as error:
                # What a real gateway answers for a missing variable, so the demo shows the same failure.
                results.append(SmsResult.failure(message.reference, MISSING_PARAMETERS, str(error), transient=False))
                continue
            if self.sink is not None:
                self.sink(message, text)
            else:
                logger.info("SMS to %s (ref %s): %s", message.masked_phone, message.reference, text)
            results.append(SmsResult.ok(message.reference, f"console:{message.reference}"))
        return results
