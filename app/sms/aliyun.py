"""Alibaba Cloud SMS (dysmsapi 2017-05-25) through the official SDK, with ``SendBatchSms``.

``SendBatchSms`` takes up to 100 numbers with one template code and a sign name and a parameter
set per number, so personal links cost one API call per 100 recipients. Alibaba accepts or
refuses a call as a whole: one ``Code`` and one ``BizId`` for the batch, which every accepted
message carries as its ``provider_id`` (a delivery receipt names the BizId and the phone number).

Checked here before sending, because the gateway would refuse the whole batch for one bad
message: a variable longer than 35 characters, and a number that is not a mainland mobile
(the sign and templates are domestic ones). Such a message fails permanently on its own and
the rest of the batch is sent.

The SDK is imported when a backend is built, so that the console backend works without it.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from app.sms.base import (
    NETWORK_ERROR,
    NOT_MAINLAND_NUMBER,
    PARAM_TOO_LONG,
    UNEXPECTED_ERROR,
    SmsBackend,
    SmsMessage,
    SmsResult,
    float_setting,
    mainland_national_number,
    mask_phones_in_logs,
    required_setting,
)

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
MAX_PARAM_LENGTH = 35  # Alibaba's limit on one template variable, in characters

# Codes worth retrying later: flow control, throttling and the provider's own failures.
# Everything else (invalid number, missing parameter, unapproved template or sign, no balance,
# bad credentials…) is permanent: retrying would only be refused again.
TRANSIENT_CODES = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.BUSINESS_LIMIT_HOUR",
    "isv.BUSINESS_LIMIT_DAY",
    "BUSINESS_LIMIT_CONTROL_MINUTE",
    "BUSINESS_LIMIT_CONTROL_PHONE",
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "isp.UNKNOWN",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",  # a nonce collision: the same request with a fresh nonce goes through
})


def is_transient_code(code: str) -> bool:
    """Whether an Alibaba Cloud error code is worth retrying later."""
    return code in TRANSIENT_CODES or code.startswith("Throttling")


class AliyunBackend(SmsBackend):
    """Alibaba Cloud SMS via ``SendBatchSms`` (100 numbers per call, per-number parameters)."""

    name = "aliyun"
    max_batch = 100

    def __init__(self, *, access_key_id: str, access_key_secret: str, endpoint: str = DEFAULT_ENDPOINT,
                 protocol: str = "https", connect_timeout: float = 5.0, read_timeout: float = 10.0,
                 default_sign_name: str = ""):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config
        from darabonba.runtime import RuntimeOptions  # the options type this SDK generation expects

        # With DEBUG=sdk in the environment the SDK logs whole requests, phone numbers included.
        # This module's own warnings quote the gateway's answers, which may echo the request.
        mask_phones_in_logs("darabonba-core", "alibabacloud-tea", __name__)
        self.access_key_id = access_key_id
        self.default_sign_name = default_sign_name
        self._client = Client(Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            protocol=protocol,
        ))
        # No SDK retries: a retry of a call that did reach Alibaba sends the SMS twice (the API is
        # not idempotent), so the outbox decides when to try again.
        self._runtime = RuntimeOptions(
            autoretry=False,
            max_attempts=1,
            connect_timeout=int(connect_timeout * 1000),
            read_timeout=int(read_timeout * 1000),
        )

    @classmethod
    def from_config(cls, config: Mapping, **_ignored) -> AliyunBackend:
        """Build from the SMS_ALIYUN_* settings; ValueError names a missing one."""
        return cls(
            access_key_id=required_setting(config, "SMS_ALIYUN_ACCESS_KEY_ID", cls.name),
            access_key_secret=required_setting(config, "SMS_ALIYUN_ACCESS_KEY_SECRET", cls.name),
            endpoint=config.get("SMS_ALIYUN_ENDPOINT") or DEFAULT_ENDPOINT,
            protocol=config.get("SMS_ALIYUN_PROTOCOL") or "https",
            connect_timeout=float_setting(config, "SMS_CONNECT_TIMEOUT", 5.0),
            read_timeout=float_setting(config, "SMS_READ_TIMEOUT", 10.0),
            default_sign_name=required_setting(config, "SMS_SIGN_NAME", cls.name),
        )

    def _send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results: list[SmsResult | None] = [None] * len(messages)
        by_template: dict[str, list[int]] = {}  # SendBatchSms takes one template code per call
        for index, message in enumerate(messages):
            problem = self._check(message)
            if problem is not None:
                results[index] = problem
            else:
                by_template.setdefault(message.template_code, []).append(index)
        for template_code, indexes in by_template.items():
            batch = [messages[index] for index in indexes]
            for index, result in zip(indexes, self._send_one_call(template_code, batch)):
                results[index] = result
        return results  # type: ignore[return-value]  # every slot is filled above

    def _check(self, message: SmsMessage) -> SmsResult | None:
        """A permanent failure for a message the gateway would refuse (and take its batch down with it)."""
        if mainland_national_number(message.phone_e164) is None:
            return SmsResult.failure(message.reference, NOT_MAINLAND_NUMBER,
                                     "only mainland Chinese mobile numbers (+86) are sent", transient=False)
        for key, value in message.params.items():
            if len(str(value)) > MAX_PARAM_LENGTH:
                return SmsResult.failure(
                    message.reference, PARAM_TOO_LONG,
                    f"template variable {key!r} has {len(str(value))} characters; "
                    f"Alibaba Cloud allows at most {MAX_PARAM_LENGTH}",
                    transient=False,
                )
        return None

    def _send_one_call(self, template_code: str, batch: list[SmsMessage]) -> list[SmsResult]:
        from alibabacloud_dysmsapi20170525.models import SendBatchSmsRequest

        request = SendBatchSmsRequest(
            template_code=template_code,
            phone_number_json=json.dumps([mainland_national_number(m.phone_e164) for m in batch]),
            sign_name_json=json.dumps([m.sign_name or self.default_sign_name for m in batch], ensure_ascii=False),
        )
        if any(m.params for m in batch):
            request.template_param_json = json.dumps(
                [{key: str(value) for key, value in m.params.items()} for m in batch], ensure_ascii=False
            )
        try:
            response = self._client.send_batch_sms_with_options(request, self._runtime)
        except Exception as error:  # noqa: BLE001 — the contract: gateway trouble is a result, not an exception
            code, text, transient = classify_exception(error)
            logger.warning("Alibaba SendBatchSms of %d messages failed: %s %s", len(batch), code, text)
            return [SmsResult.failure(m.reference, code, text, transient=transient) for m in batch]
        body = response.body
        if body is None or not body.code:
            return [SmsResult.failure(m.reference, UNEXPECTED_ERROR, "response without a Code", transient=True)
                    for m in batch]
        if body.code == "OK":
            return [SmsResult.ok(m.reference, body.biz_id) for m in batch]
        transient = is_transient_code(body.code)
        logger.warning("Alibaba refused a batch of %d messages: %s %s (request %s)",
                       len(batch), body.code, body.message, body.request_id)
        return [SmsResult.failure(m.reference, body.code, body.message, transient=transient) for m in batch]


def classify_exception(error: Exception) -> tuple[str, str, bool]:
    """(error code, message, transient) for an exception raised by the Alibaba SDK."""
    from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
    from Tea.exceptions import UnretryableException

    if isinstance(error, AlibabaCloudException):
        # An HTTP error answer with a readable body: the code is Alibaba's (Throttling.User,
        # InvalidAccessKeyId.NotFound, SignatureDoesNotMatch…), the status says whose fault it is.
        status = error.status_code or 0
        code = error.code if error.code and error.code != "None" else f"HTTP_{status}"
        transient = isinstance(error, ThrottlingException) or status >= 500 or is_transient_code(code)
        return code, str(error.message or error), transient
    if isinstance(error, UnretryableException):
        # Connection refused, timeout, TLS failure, or an answer that is not JSON (a proxy's 502 page).
        inner = getattr(error, "inner_exception", None) or error
        return NETWORK_ERROR, f"{type(inner).__name__}: {inner}", True
    return UNEXPECTED_ERROR, f"{type(error).__name__}: {error}", True
