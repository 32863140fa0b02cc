"""The SMS gateway interface: messages, per-message results, the backend contract, template rendering.

Contract of a backend's ``send(messages)``:

- one ``SmsResult`` per input message, in the same order;
- provider and network errors never raise: they become ``failed`` results whose
  ``transient`` flag says whether retrying later can help (throttling, timeouts,
  5xx, connection errors) or not (invalid number, unapproved template, no balance…);
- ``ValueError`` is raised only for programming errors: an empty list, or more
  messages than ``max_batch`` (``send_all`` splits a long list for you).

Nothing here de-duplicates: neither gateway is idempotent, so the caller (the
outbox) must not send a ``reference`` again once it has been accepted.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import unquote_plus

from app.platform.phones import mask

Status = Literal["accepted", "failed"]

# Error codes that the backends invent themselves (the providers' own codes are passed through
# unchanged). The "local." prefix keeps them apart from Alibaba's "isv." and Tencent's "LimitExceeded.".
PARAM_TOO_LONG = "local.PARAM_TOO_LONG"
NOT_MAINLAND_NUMBER = "local.NOT_MAINLAND_NUMBER"
NETWORK_ERROR = "local.NETWORK_ERROR"
UNEXPECTED_ERROR = "local.UNEXPECTED_ERROR"
NO_STATUS = "local.NO_STATUS"
MISSING_PARAMETERS = "local.TEMPLATE_MISSING_PARAMETERS"


@dataclass(frozen=True)
class SmsMessage:
    """One SMS to one number: an approved template, its parameters, and our id for it."""

    phone_e164: str
    template_code: str
    params: dict[str, str]
    sign_name: str
    reference: str

    @property
    def masked_phone(self) -> str:
        """The number as logs and screens may show it (138****1234)."""
        return mask(self.phone_e164)

    def __repr__(self) -> str:
        # A dataclass repr would print the full number (and the personal link in params) into
        # tracebacks and logs; show only what is safe.
        return f"SmsMessage(phone={self.masked_phone!r}, template={self.template_code!r}, reference={self.reference!r})"


@dataclass(frozen=True)
class SmsResult:
    """What the gateway said about one message."""

    reference: str
    status: Status
    provider_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    transient: bool = False

    @property
    def accepted(self) -> bool:
        """True when the gateway took the message (delivery is reported later, if at all)."""
        return self.status == "accepted"

    @classmethod
    def ok(cls, reference: str, provider_id: str | None) -> SmsResult:
        """An accepted message with the gateway's id for it."""
        return cls(reference=reference, status="accepted", provider_id=provider_id)

    @classmethod
    def failure(cls, reference: str, error_code: str, error_message: str | None, *, transient: bool) -> SmsResult:
        """A refused message; ``transient`` says whether a later retry can succeed."""
        return cls(
            reference=reference,
            status="failed",
            error_code=error_code,
            error_message=error_message,
            transient=transient,
        )


class SmsBackend(ABC):
    """A way of sending SMS. Subclasses implement ``_send_batch``; ``send`` checks the batch size."""

    name: ClassVar[str]
    max_batch: ClassVar[int]

    def send(self, messages: Sequence[SmsMessage]) -> list[SmsResult]:
        """Send up to ``max_batch`` messages; one result per message, in order; never raises for gateway errors."""
        messages = list(messages)
        if not messages:
            raise ValueError("send() needs at least one message")
        if len(messages) > self.max_batch:
            raise ValueError(f"{self.name} sends at most {self.max_batch} messages per call, got {len(messages)}")
        results = self._send_batch(messages)
        if len(results) != len(messages) or any(r.reference != m.reference for r, m in zip(results, messages)):
            # A broken mapping would mark the wrong invitations as sent: fail loudly, it is our bug.
            raise AssertionError(f"{self.name} backend returned results that do not match the messages")
        return results

    @classmethod
    def from_config(cls, config: Mapping, **options) -> SmsBackend:
        """Build the backend from the SMS_* settings of ``config``; ValueError names a missing one."""
        raise NotImplementedError

    @abstractmethod
    def _send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        """Send a non-empty batch of at most ``max_batch`` messages."""


def send_all(backend: SmsBackend, messages: Iterable[SmsMessage]) -> list[SmsResult]:
    """Send any number of messages in chunks of ``backend.max_batch``; one result per message, in order."""
    messages = list(messages)
    results: list[SmsResult] = []
    for start in range(0, len(messages), backend.max_batch):
        results.extend(backend.send(messages[start:start + backend.max_batch]))
    return results


# Template variables are written ${name}, as on Alibaba Cloud's console: ASCII letters, digits and
# underscores, so a Tencent template's {1} is previewed as ${1}. A bare "$" or "{" is ordinary text.
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def template_variables(template_text: str) -> list[str]:
    """The ${name} variables of a template text, in order of first appearance."""
    return list(dict.fromkeys(_VARIABLE.findall(template_text)))


def render(template_text: str, params: Mapping[str, str]) -> str:
    """Fill the ${name} variables of a template text; ValueError names any variable without a value."""
    missing = [name for name in template_variables(template_text) if name not in params]
    if missing:
        raise ValueError(f"template variables without a value: {', '.join(missing)}")
    return _VARIABLE.sub(lambda match: str(params[match.group(1)]), template_text)


def required_setting(config: Mapping, key: str, backend: str) -> str:
    """A setting the backend cannot work without; ValueError naming it when it is missing or blank."""
    value = config.get(key)
    if value is None or not str(value).strip():
        raise ValueError(f"{key} must be set to use the {backend!r} SMS backend")
    return str(value).strip()


def float_setting(config: Mapping, key: str, default: float) -> float:
    """An optional positive number of seconds (or calls per second); ValueError naming it when malformed."""
    value = config.get(key)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"{key} must be positive, got {value!r}")
    return number


def mainland_national_number(phone_e164: str) -> str | None:
    """The 11 digits after +86, or None for anything that is not a mainland mobile number in E.164."""
    national = phone_e164[3:] if phone_e164.startswith("+86") else ""
    return national if len(national) == 11 and national.isdigit() and national[0] == "1" else None


# A mainland mobile number inside free text (+8613812345678, 8613812345678, 13812345678), but not a
# run of digits inside a longer one (Tencent's serial numbers, Alibaba's BizIds).
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?86)?(1[3-9]\d{9})(?!\d)")


class PhoneMaskingFilter(logging.Filter):
    """Masks mobile numbers in log records: the SDKs log whole requests at DEBUG level, numbers included."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        # A gateway's error may echo the signed request, where a number hides behind %22 or %2B86.
        decoded = unquote_plus(text) if "%" in text else text
        masked = _PHONE_IN_TEXT.sub(lambda match: mask("+86" + match.group(1)), decoded)
        if masked != decoded:
            record.msg, record.args = masked, None
        return True


def mask_phones_in_logs(*logger_names: str) -> None:
    """Attach one PhoneMaskingFilter to each named logger (idempotent)."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(existing, PhoneMaskingFilter) for existing in target.filters):
            target.addFilter(PhoneMaskingFilter())
