"""SMS gateways: one interface, three backends, chosen by configuration.

    backend = make_backend(app.config, sink=write_to_outbox)   # sink: console backend only
    results = send_all(backend, messages)                       # splits by backend.max_batch

Settings (plain keys of the mapping passed to ``make_backend``; see docs/SMS.md):

==================================  ========================  =========================================
key                                 default                   used by
==================================  ========================  =========================================
SMS_BACKEND                         ``console``               ``console``, ``aliyun`` or ``tencent``
SMS_SIGN_NAME                       (required but console)    default 【sign】 when a message has none
SMS_TEMPLATES                       ``{}``                    console: template code -> text to preview
SMS_CONNECT_TIMEOUT                 ``5`` (seconds)           aliyun, tencent
SMS_READ_TIMEOUT                    ``10`` (seconds)          aliyun, tencent
SMS_ALIYUN_ACCESS_KEY_ID            (required)                aliyun
SMS_ALIYUN_ACCESS_KEY_SECRET        (required)                aliyun
SMS_ALIYUN_ENDPOINT                 ``dysmsapi.aliyuncs.com`` aliyun
SMS_ALIYUN_PROTOCOL                 ``https``                 aliyun
SMS_TENCENT_SECRET_ID               (required)                tencent
SMS_TENCENT_SECRET_KEY              (required)                tencent
SMS_TENCENT_APP_ID                  (required)                tencent: the SmsSdkAppId
SMS_TENCENT_REGION                  ``ap-guangzhou``          tencent
SMS_TENCENT_ENDPOINT                ``sms.tencentcloudapi.com`` tencent
SMS_TENCENT_PROTOCOL                ``https``                 tencent
SMS_TENCENT_MAX_CALLS_PER_SECOND    ``20``                    tencent: spacing of SendSms calls
==================================  ========================  =========================================

This package knows nothing of the database or of requests: the caller owns de-duplication
(neither gateway is idempotent) and retries (``SmsResult.transient``).
"""
from __future__ import annotations

from collections.abc import Mapping

from app.sms.aliyun import AliyunBackend
from app.sms.base import SmsBackend, SmsMessage, SmsResult, render, send_all, template_variables
from app.sms.console import ConsoleBackend, Sink
from app.sms.tencent import TencentBackend

# The interface under its short name, for type hints in callers.
Backend = SmsBackend

BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "aliyun": AliyunBackend,
    "tencent": TencentBackend,
}


def make_backend(config: Mapping, *, sink: Sink | None = None) -> SmsBackend:
    """The backend named by SMS_BACKEND (default console) built from the SMS_* settings; ValueError if misconfigured."""
    # ``sink`` only matters to the console backend: the real gateways answer through their results.
    name = (config.get("SMS_BACKEND") or "console").strip().lower()
    try:
        backend_class = BACKENDS[name]
    except KeyError:
        raise ValueError(f"SMS_BACKEND must be one of {', '.join(sorted(BACKENDS))}, got {name!r}") from None
    return backend_class.from_config(config, sink=sink)


__all__ = [
    "BACKENDS",
    "AliyunBackend",
    "Backend",
    "ConsoleBackend",
    "SmsBackend",
    "SmsMessage",
    "SmsResult",
    "TencentBackend",
    "make_backend",
    "render",
    "send_all",
    "template_variables",
]
