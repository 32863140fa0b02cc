"""Tencent Cloud SMS (sms 2021-01-11) through the official SDK, with ``SendSms``.

``SendSms`` takes up to 200 numbers but only one template, one sign name and ONE parameter list
for all of them. The backend therefore groups the messages of a batch by (template, sign name,
parameter values): recipients with identical parameters share a call (a fixed-link reminder),
recipients with personal parameters (a personal link token, an access code) get one call each.
Calls are spaced to at most ``max_calls_per_second`` so that a round of 500 personal messages
does not trip the API's frequency limit.

Tencent templates number their variables {1}, {2}…: the parameter values are sent in the order
of the params dict, or in numeric order when its keys are "1", "2"… Build the dict in the
template's order. Tencent forbids links, short links included, inside variables: the link's
domain and path belong in the approved template text (see docs/SMS.md).

Each number gets its own status (``SendStatusSet``), so one call can accept some numbers and
refuse others. The SDK is imported when a backend is built.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping

from app.sms.base import (
    NO_STATUS,
    NOT_MAINLAND_NUMBER,
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

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
DEFAULT_MAX_CALLS_PER_SECOND = 20.0

# Permanent despite their retry-sounding prefix: a banned region, too many numbers (our bug),
# and signature errors of our own making.
_PERMANENT_DESPITE_PREFIX = frozenset({
    "LimitExceeded.AppCountryOrRegionInBlacklist",
    "LimitExceeded.PhoneNumberCountLimit",
    "InternalError.SigFieldMissing",
    "InternalError.SigVerificationFail",
})
_TRANSIENT_PREFIXES = ("LimitExceeded.", "RequestLimitExceeded", "InternalError", "ResourceUnavailable")
# The SDK's own codes for trouble on the way: no connection, timeout, a non-200 answer.
_TRANSIENT_SDK_CODES = frozenset({"ClientNetworkError", "ServerNetworkError"})


def is_transient_code(code: str) -> bool:
    """Whether a Tencent Cloud error code (call-level or per-number) is worth retrying later."""
    if code in _PERMANENT_DESPITE_PREFIX:
        return False
    return code in _TRANSIENT_SDK_CODES or code.startswith(_TRANSIENT_PREFIXES)


def ordered_param_values(params: Mapping[str, str]) -> list[str]:
    """The TemplateParamSet for {1}, {2}…: numeric key order when all keys are digits, else dict order."""
    keys = list(params)
    if keys and all(key.isdigit() for key in keys):
        keys.sort(key=int)
    return [str(params[key]) for key in keys]


class TencentBackend(SmsBackend):
    """Tencent Cloud SMS via ``SendSms``: one call per distinct parameter set, up to 200 numbers each."""

    name = "tencent"
    max_batch = 200

    def __init__(self, *, secret_id: str, secret_key: str, app_id: str, region: str = DEFAULT_REGION,
                 endpoint: str = DEFAULT_ENDPOINT, protocol: str = "https", connect_timeout: float = 5.0,
                 read_timeout: float = 10.0, max_calls_per_second: float = DEFAULT_MAX_CALLS_PER_SECOND,
                 default_sign_name: str = ""):
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        # The SDK logs each request and answer at DEBUG, phone numbers included.
        # This module's own warnings quote the gateway's answers, which may echo the request.
        mask_phones_in_logs("tencentcloud_sdk_common", __name__)
        self.secret_id = secret_id
        self.app_id = app_id
        self.default_sign_name = default_sign_name
        # requests accepts (connect, read); the SDK hands reqTimeout to it unchanged.
        http_profile = HttpProfile(protocol=protocol, endpoint=endpoint,
                                   reqTimeout=(connect_timeout, read_timeout))
        # No retryer in the profile: the SDK then sends once, and the outbox decides about retries
        # (SendSms is not idempotent: a retried call that had arrived sends the SMS twice).
        self._client = SmsClient(Credential(secret_id, secret_key), region, ClientProfile(httpProfile=http_profile))
        self._min_interval = 1.0 / max_calls_per_second
        self._last_call = float("-inf")
        self._pace_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping, **_ignored) -> TencentBackend:
        """Build from the SMS_TENCENT_* settings; ValueError names a missing one."""
        return cls(
            secret_id=required_setting(config, "SMS_TENCENT_SECRET_ID", cls.name),
            secret_key=required_setting(config, "SMS_TENCENT_SECRET_KEY", cls.name),
            app_id=required_setting(config, "SMS_TENCENT_APP_ID", cls.name),
            region=config.get("SMS_TENCENT_REGION") or DEFAULT_REGION,
            endpoint=config.get("SMS_TENCENT_ENDPOINT") or DEFAULT_ENDPOINT,
            protocol=config.get("SMS_TENCENT_PROTOCOL") or "https",
            connect_timeout=float_setting(config, "SMS_CONNECT_TIMEOUT", 5.0),
            read_timeout=float_setting(config, "SMS_READ_TIMEOUT", 10.0),
            max_calls_per_second=float_setting(config, "SMS_TENCENT_MAX_CALLS_PER_SECOND",
                                               DEFAULT_MAX_CALLS_PER_SECOND),
            default_sign_name=required_setting(config, "SMS_SIGN_NAME", cls.name),
        )

    def _send_batch(self, messages: list[SmsMessage]) -> list[SmsResult]:
        results: list[SmsResult | None] = [None] * len(messages)
        groups: dict[tuple, list[int]] = {}  # insertion-ordered: calls go out in the order of the batch
        for index, message in enumerate(messages):
            if mainland_national_number(message.phone_e164) is None:
                # One foreign number would make Tencent refuse a whole mixed call; domestic templates only.
                results[index] = SmsResult.failure(message.reference, NOT_MAINLAND_NUMBER,
                                                   "only mainland Chinese mobile numbers (+86) are sent",
                                                   transient=False)
                continue
            key = (message.template_code, message.sign_name or self.default_sign_name,
                   tuple(ordered_param_values(message.params)))
            groups.setdefault(key, []).append(index)
        for (template_code, sign_name, values), indexes in groups.items():
            group = [messages[index] for index in indexes]
            for index, result in zip(indexes, self._send_one_call(template_code, sign_name, list(values), group)):
                results[index] = result
        return results  # type: ignore[return-value]  # every slot is filled above

    def _pace(self) -> None:
        """Wait so that calls are at least ``1 / max_calls_per_second`` apart."""
        with self._pace_lock:
            wait = self._last_call + self._min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_call = time.monotonic()

    def _send_one_call(self, template_code: str, sign_name: str, values: list[str],
                       group: list[SmsMessage]) -> list[SmsResult]:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        request = SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.SignName = sign_name
        request.TemplateId = template_code
        request.TemplateParamSet = values
        request.PhoneNumberSet = [m.phone_e164 for m in group]
        if len(group) == 1:
            # Echoed back in the answer and kept in Tencent's send records: our id next to theirs.
            request.SessionContext = group[0].reference
        self._pace()
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.get_code() or UNEXPECTED_ERROR
            text = str(error.get_message())
            transient = is_transient_code(code)
            logger.warning("Tencent SendSms of %d messages failed: %s %s (request %s)",
                           len(group), code, text, error.get_request_id())
            return [SmsResult.failure(m.reference, code, text, transient=transient) for m in group]
        except Exception as error:  # noqa: BLE001 — the contract: gateway trouble is a result, not an exception
            text = f"{type(error).__name__}: {error}"
            return [SmsResult.failure(m.reference, UNEXPECTED_ERROR, text, transient=True) for m in group]

        # Match statuses by number rather than position: the API documents one status per number,
        # not their order. A deque per number keeps duplicates (same number twice) apart.
        statuses: dict[str, deque] = defaultdict(deque)
        for status in response.SendStatusSet or []:
            statuses[_e164(status.PhoneNumber)].append(status)
        results = []
        for message in group:
            queue = statuses.get(message.phone_e164)
            if not queue:
                # Unknown whether it went out; retrying could send it twice, so leave it to a person.
                results.append(SmsResult.failure(message.reference, NO_STATUS,
                                                 f"no status for this number (request {response.RequestId})",
                                                 transient=False))
                continue
            status = queue.popleft()
            if status.Code == "Ok":
                results.append(SmsResult.ok(message.reference, status.SerialNo))
            else:
                results.append(SmsResult.failure(message.reference, status.Code, status.Message,
                                                 transient=is_transient_code(status.Code or "")))
        return results


def _e164(phone: str | None) -> str:
    """Tencent echoes numbers as +86…; accept 86… and bare 11 digits too."""
    phone = (phone or "").strip()
    if phone.startswith("+"):
        return phone
    if len(phone) == 11:
        return "+86" + phone
    return "+" + phone
