"""The Alibaba Cloud and Tencent Cloud backends, through the real SDKs, against fake gateways on 127.0.0.1.

Each fake parses what the SDK really sends and checks its signature with the secret the backend
was given, then answers in the shape the real API uses:

- Alibaba (SDK 4.x): a POST with the action in ``x-acs-action``, ``TemplateCode`` in the query,
  ``PhoneNumberJson``/``SignNameJson``/``TemplateParamJson`` as a form body, signed with the V3
  scheme (``Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=…,Signature=…``);
- Tencent: a JSON POST with ``X-TC-Action: SendSms``, signed with TC3-HMAC-SHA256.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from app.sms import AliyunBackend, SmsMessage, TencentBackend, make_backend, send_all
from app.sms.base import NETWORK_ERROR, NOT_MAINLAND_NUMBER, PARAM_TOO_LONG

ALIYUN_KEY_ID = "LTAI-test-key-id"
ALIYUN_SECRET = "aliyun-test-secret"
TENCENT_SECRET_ID = "AKID-test-secret-id"
TENCENT_SECRET_KEY = "tencent-test-secret-key"
TENCENT_APP_ID = "1400006666"
SIGN = "某市营商环境办"
TIMEOUT = 2.0


@dataclass
class Received:
    """One HTTP request as the fake gateway saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class FakeGateway:
    """Records requests; ``answer(received) -> (status, content_type, body)`` decides the response."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answer: object = None
    delay: float = 0.0

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture
def gateway():
    fake = FakeGateway()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = Received(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            with lock:
                fake.requests.append(received)
            if fake.delay:
                time.sleep(fake.delay)
            status, content_type, payload = fake.answer(received)
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the read-timeout test)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def message(n: int, template: str = "SMS_100001", **params) -> SmsMessage:
    return SmsMessage(
        phone_e164=f"+86138{n:08d}",
        template_code=template,
        params=params if params else {"name": f"用户{n}", "token": f"tok{n:05d}"},
        sign_name=SIGN,
        reference=f"inv-{n}",
    )


# ---------------------------------------------------------------------------------------------
# Alibaba Cloud
# ---------------------------------------------------------------------------------------------

def aliyun_signature_is_valid(received: Received, secret: str) -> bool:
    """Recompute the V3 signature (ACS3-HMAC-SHA256 over the canonical request) with the secret."""
    algorithm, _, rest = received.headers["authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in rest.split(","))
    payload_hash = hashlib.sha256(received.body).hexdigest()
    if algorithm != "ACS3-HMAC-SHA256" or received.headers["x-acs-content-sha256"] != payload_hash:
        return False
    canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(received.query.items()))
    signed = fields["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{received.headers[name].strip()}\n" for name in signed)
    canonical_request = "\n".join([
        received.method, received.path, canonical_query, canonical_headers, fields["SignedHeaders"], payload_hash,
    ])
    string_to_sign = f"{algorithm}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce"} <= set(signed) and hmac.compare_digest(
        expected, fields["Signature"])


def aliyun_access_key_id(received: Received) -> str:
    return received.headers["authorization"].split("Credential=")[1].split(",")[0]


def aliyun_ok(received: Received):
    return 200, "application/json", {
        "Code": "OK",
        "Message": "OK",
        "BizId": f"9006197469364984{len(received.query):02d}^0",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    }


def aliyun_refusal(code: str, text: str = "refused"):
    def answer(received: Received):
        return 200, "application/json", {"Code": code, "Message": text, "RequestId": "8F1A-REQ"}
    return answer


@pytest.fixture
def aliyun(gateway) -> AliyunBackend:
    gateway.answer = aliyun_ok
    return make_backend({
        "SMS_BACKEND": "aliyun",
        "SMS_SIGN_NAME": SIGN,
        "SMS_ALIYUN_ACCESS_KEY_ID": ALIYUN_KEY_ID,
        "SMS_ALIYUN_ACCESS_KEY_SECRET": ALIYUN_SECRET,
        "SMS_ALIYUN_ENDPOINT": gateway.endpoint,
        "SMS_ALIYUN_PROTOCOL": "http",
        "SMS_CONNECT_TIMEOUT": TIMEOUT,
        "SMS_READ_TIMEOUT": TIMEOUT,
    })


def test_aliyun_sends_one_signed_batch_call_and_accepts_every_message(aliyun, gateway):
    messages = [message(1), message(2), message(3)]
    results = aliyun.send(messages)

    assert len(gateway.requests) == 1
    sent = gateway.requests[0]
    assert sent.method == "POST"
    assert sent.headers["x-acs-action"] == "SendBatchSms"
    assert sent.headers["x-acs-version"] == "2017-05-25"
    assert aliyun_access_key_id(sent) == ALIYUN_KEY_ID
    assert sent.query["TemplateCode"] == "SMS_100001"
    assert aliyun_signature_is_valid(sent, ALIYUN_SECRET)
    assert not aliyun_signature_is_valid(sent, "another-secret")
    form = sent.form
    assert json.loads(form["PhoneNumberJson"]) == ["13800000001", "13800000002", "13800000003"]
    assert json.loads(form["SignNameJson"]) == [SIGN] * 3
    assert json.loads(form["TemplateParamJson"]) == [m.params for m in messages]

    assert [r.reference for r in results] == ["inv-1", "inv-2", "inv-3"]
    assert {r.status for r in results} == {"accepted"}
    assert len({r.provider_id for r in results}) == 1 and results[0].provider_id.endswith("^0")


def test_aliyun_refuses_more_than_100_and_send_all_splits_250_into_three_calls(aliyun, gateway):
    messages = [message(n) for n in range(250)]
    with pytest.raises(ValueError, match="at most 100"):
        aliyun.send(messages[:101])
    with pytest.raises(ValueError):
        aliyun.send([])
    assert gateway.requests == []

    results = send_all(aliyun, messages)

    sizes = [len(json.loads(r.form["PhoneNumberJson"])) for r in gateway.requests]
    assert sizes == [100, 100, 50]
    assert [r.reference for r in results] == [m.reference for m in messages]
    assert all(r.accepted for r in results)
    sent_numbers = [n for r in gateway.requests for n in json.loads(r.form["PhoneNumberJson"])]
    assert sent_numbers == [m.phone_e164[3:] for m in messages]


def test_aliyun_makes_one_call_per_template_code_and_keeps_the_order(aliyun, gateway):
    messages = [message(1, "SMS_A", code="ABC"), message(2, "SMS_B", code="DEF"), message(3, "SMS_A", code="GHI")]
    results = aliyun.send(messages)
    assert sorted((r.query["TemplateCode"], r.form["PhoneNumberJson"]) for r in gateway.requests) == [
        ("SMS_A", '["13800000001", "13800000003"]'),
        ("SMS_B", '["13800000002"]'),
    ]
    assert [r.reference for r in results] == ["inv-1", "inv-2", "inv-3"]
    assert all(r.accepted for r in results)


@pytest.mark.parametrize("code", ["isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR"])
def test_aliyun_flow_control_fails_the_batch_as_transient(aliyun, gateway, code):
    gateway.answer = aliyun_refusal(code, "触发号码天级流控Permits:10")
    results = aliyun.send([message(1), message(2)])
    assert [(r.status, r.error_code, r.transient) for r in results] == [("failed", code, True)] * 2
    assert results[0].error_message == "触发号码天级流控Permits:10"


@pytest.mark.parametrize("code", [
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL", "isv.AMOUNT_NOT_ENOUGH",
])
def test_aliyun_permanent_refusals_are_not_retried(aliyun, gateway, code):
    gateway.answer = aliyun_refusal(code)
    results = aliyun.send([message(1), message(2)])
    assert [(r.status, r.error_code, r.transient, r.provider_id) for r in results] == [
        ("failed", code, False, None)] * 2


def test_aliyun_throttling_http_error_is_transient_and_bad_credentials_permanent(aliyun, gateway):
    gateway.answer = lambda received: (400, "application/json", {
        "Code": "Throttling.User", "Message": "Request was denied due to user flow control.", "RequestId": "R1",
    })
    throttled = aliyun.send([message(1)])[0]
    assert (throttled.status, throttled.error_code, throttled.transient) == ("failed", "Throttling.User", True)

    gateway.answer = lambda received: (404, "application/json", {
        "Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.", "RequestId": "R2",
    })
    refused = aliyun.send([message(1)])[0]
    assert (refused.error_code, refused.transient) == ("InvalidAccessKeyId.NotFound", False)


@pytest.mark.parametrize("content_type, body", [
    ("application/json", {"Code": "ServiceUnavailable", "Message": "The request has failed.", "RequestId": "R"}),
    ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
])
def test_aliyun_http_500_is_a_transient_failure_not_an_exception(aliyun, gateway, content_type, body):
    gateway.answer = lambda received: (500, content_type, body)
    results = aliyun.send([message(1), message(2)])
    assert [(r.status, r.transient) for r in results] == [("failed", True)] * 2
    assert results[0].error_code


def test_aliyun_connection_refused_is_transient(closed_port):
    backend = AliyunBackend(access_key_id=ALIYUN_KEY_ID, access_key_secret=ALIYUN_SECRET,
                            endpoint=f"127.0.0.1:{closed_port}", protocol="http",
                            connect_timeout=TIMEOUT, read_timeout=TIMEOUT, default_sign_name=SIGN)
    started = time.monotonic()
    results = backend.send([message(1), message(2)])
    assert time.monotonic() - started < TIMEOUT  # refused at once, and the SDK did not retry
    assert [(r.status, r.error_code, r.transient) for r in results] == [("failed", NETWORK_ERROR, True)] * 2


def test_aliyun_read_timeout_is_transient_and_not_retried_by_the_sdk(gateway):
    gateway.answer = aliyun_ok
    gateway.delay = 1.5
    backend = AliyunBackend(access_key_id=ALIYUN_KEY_ID, access_key_secret=ALIYUN_SECRET,
                            endpoint=gateway.endpoint, protocol="http",
                            connect_timeout=TIMEOUT, read_timeout=0.5, default_sign_name=SIGN)
    result = backend.send([message(1)])[0]
    assert (result.status, result.error_code, result.transient) == ("failed", NETWORK_ERROR, True)
    assert len(gateway.requests) == 1


def test_aliyun_variable_over_35_characters_fails_that_message_alone(aliyun, gateway):
    fits = message(1, link="x" * 35)
    too_long = message(2, link="y" * 36)
    abroad = SmsMessage("+85261234567", "SMS_100001", {"link": "z"}, SIGN, "inv-hk")
    results = aliyun.send([fits, too_long, abroad])

    assert results[0].accepted
    assert (results[1].status, results[1].error_code, results[1].transient) == ("failed", PARAM_TOO_LONG, False)
    assert "'link'" in results[1].error_message and "36" in results[1].error_message
    assert (results[2].error_code, results[2].transient) == (NOT_MAINLAND_NUMBER, False)
    assert len(gateway.requests) == 1
    assert json.loads(gateway.requests[0].form["PhoneNumberJson"]) == ["13800000001"]


def test_aliyun_batch_of_only_invalid_messages_makes_no_call(aliyun, gateway):
    results = aliyun.send([message(1, link="y" * 40)])
    assert results[0].error_code == PARAM_TOO_LONG
    assert gateway.requests == []


@pytest.mark.parametrize("missing", ["SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME"])
def test_aliyun_missing_setting_is_named(missing):
    config = {"SMS_BACKEND": "aliyun", "SMS_SIGN_NAME": SIGN,
              "SMS_ALIYUN_ACCESS_KEY_ID": "id", "SMS_ALIYUN_ACCESS_KEY_SECRET": "secret"}
    config[missing] = ""
    with pytest.raises(ValueError, match=missing):
        make_backend(config)


# ---------------------------------------------------------------------------------------------
# Tencent Cloud
# ---------------------------------------------------------------------------------------------

def tencent_signature_is_valid(received: Received, secret_key: str) -> bool:
    """Recompute the TC3-HMAC-SHA256 signature of the request with the secret key."""
    algorithm, _, rest = received.headers["authorization"].partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    _, date, service, _ = fields["Credential"].split("/")
    signed_headers = fields["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{received.headers[name].strip().lower()}\n" for name in signed_headers)
    canonical_request = "\n".join([
        received.method, received.path, "", canonical_headers, fields["SignedHeaders"],
        hashlib.sha256(received.body).hexdigest(),
    ])
    timestamp = received.headers["x-tc-timestamp"]
    string_to_sign = "\n".join([
        algorithm, timestamp, f"{date}/{service}/tc3_request", hashlib.sha256(canonical_request.encode()).hexdigest(),
    ])

    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["Signature"])


def tencent_status(phone: str, code: str = "Ok", serial: str | None = None) -> dict:
    ok = code == "Ok"
    return {
        "SerialNo": serial or (f"5000:10457106691570536{phone[-5:]}" if ok else ""),
        "PhoneNumber": phone,
        "Fee": 1 if ok else 0,
        "SessionContext": "",
        "Code": code,
        "Message": "send success" if ok else "incorrect number format",
        "IsoCode": "CN" if ok else "",
    }


def tencent_answer(failing: dict[str, str] | None = None, reverse: bool = False):
    """A SendSms answer: Ok for every number except those in ``failing`` (number -> code)."""
    failing = failing or {}

    def answer(received: Received):
        numbers = received.json["PhoneNumberSet"]
        statuses = [tencent_status(n, failing.get(n, "Ok")) for n in numbers]
        if reverse:
            statuses.reverse()
        return 200, "application/json", {"Response": {"SendStatusSet": statuses, "RequestId": "a0aabda6-cf91"}}

    return answer


def tencent_error(code: str, text: str = "error"):
    def answer(received: Received):
        return 200, "application/json", {"Response": {"Error": {"Code": code, "Message": text}, "RequestId": "b1"}}
    return answer


@pytest.fixture
def tencent(gateway) -> TencentBackend:
    gateway.answer = tencent_answer()
    return make_backend({
        "SMS_BACKEND": "tencent",
        "SMS_SIGN_NAME": SIGN,
        "SMS_TENCENT_SECRET_ID": TENCENT_SECRET_ID,
        "SMS_TENCENT_SECRET_KEY": TENCENT_SECRET_KEY,
        "SMS_TENCENT_APP_ID": TENCENT_APP_ID,
        "SMS_TENCENT_ENDPOINT": gateway.endpoint,
        "SMS_TENCENT_PROTOCOL": "http",
        "SMS_TENCENT_MAX_CALLS_PER_SECOND": 1000,
        "SMS_CONNECT_TIMEOUT": TIMEOUT,
        "SMS_READ_TIMEOUT": TIMEOUT,
    })


def test_tencent_sends_one_signed_call_per_personal_parameter_set(tencent, gateway):
    messages = [message(1, **{"1": "张三", "2": "tokA"}), message(2, **{"1": "李四", "2": "tokB"})]
    results = tencent.send(messages)

    assert len(gateway.requests) == 2
    for sent, expected in zip(gateway.requests, messages):
        assert sent.method == "POST"
        assert sent.headers["x-tc-action"] == "SendSms"
        assert sent.headers["x-tc-version"] == "2021-01-11"
        assert sent.headers["x-tc-region"] == "ap-guangzhou"
        assert sent.headers["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={TENCENT_SECRET_ID}/")
        assert tencent_signature_is_valid(sent, TENCENT_SECRET_KEY)
        assert not tencent_signature_is_valid(sent, "another-key")
        body = sent.json
        assert body["PhoneNumberSet"] == [expected.phone_e164]
        assert body["PhoneNumberSet"][0].startswith("+86")
        assert body["SmsSdkAppId"] == TENCENT_APP_ID
        assert body["SignName"] == SIGN
        assert body["TemplateId"] == "SMS_100001"
        assert body["TemplateParamSet"] == [expected.params["1"], expected.params["2"]]
        assert body["SessionContext"] == expected.reference

    assert [(r.reference, r.status) for r in results] == [("inv-1", "accepted"), ("inv-2", "accepted")]
    assert results[0].provider_id.startswith("5000:") and results[0].provider_id != results[1].provider_id


def test_tencent_shares_one_call_among_identical_parameters(tencent, gateway):
    fixed_link = {"1": "2025年6月"}
    messages = [message(1, **fixed_link), message(2, "SMS_OTHER", **fixed_link), message(3, **fixed_link)]
    results = tencent.send(messages)
    calls = [(r.json["TemplateId"], r.json["PhoneNumberSet"]) for r in gateway.requests]
    assert calls == [("SMS_100001", ["+8613800000001", "+8613800000003"]), ("SMS_OTHER", ["+8613800000002"])]
    assert "SessionContext" not in gateway.requests[0].json or not gateway.requests[0].json["SessionContext"]
    assert [r.reference for r in results] == ["inv-1", "inv-2", "inv-3"] and all(r.accepted for r in results)


def test_tencent_maps_each_number_status_even_out_of_order(tencent, gateway):
    same = {"1": "本月"}
    good, bad, limited = message(1, **same), message(2, **same), message(3, **same)
    gateway.answer = tencent_answer(
        {bad.phone_e164: "InvalidParameterValue.IncorrectPhoneNumber",
         limited.phone_e164: "LimitExceeded.PhoneNumberDailyLimit"},
        reverse=True,
    )
    results = tencent.send([good, bad, limited])
    assert len(gateway.requests) == 1
    assert results[0].accepted and results[0].provider_id.startswith("5000:")
    assert (results[1].status, results[1].error_code, results[1].transient) == (
        "failed", "InvalidParameterValue.IncorrectPhoneNumber", False)
    assert results[1].error_message == "incorrect number format"
    assert (results[2].error_code, results[2].transient) == ("LimitExceeded.PhoneNumberDailyLimit", True)


@pytest.mark.parametrize("code, transient", [
    ("FailedOperation.TemplateIncorrectOrUnapproved", False),
    ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
    ("FailedOperation.InsufficientBalanceInSmsPackage", False),
    ("LimitExceeded.PhoneNumberCountLimit", False),
    ("RequestLimitExceeded", True),
    ("InternalError.Timeout", True),
])
def test_tencent_call_level_errors_fail_every_message(tencent, gateway, code, transient):
    gateway.answer = tencent_error(code)
    results = tencent.send([message(1, **{"1": "x"}), message(2, **{"1": "x"})])
    assert [(r.status, r.error_code, r.transient) for r in results] == [("failed", code, transient)] * 2


def test_tencent_http_500_is_transient(tencent, gateway):
    gateway.answer = lambda received: (500, "text/plain", b"Internal Server Error")
    results = tencent.send([message(1), message(2)])
    assert [(r.status, r.error_code, r.transient) for r in results] == [("failed", "ServerNetworkError", True)] * 2


def test_tencent_connection_refused_is_transient(closed_port):
    backend = TencentBackend(secret_id=TENCENT_SECRET_ID, secret_key=TENCENT_SECRET_KEY, app_id=TENCENT_APP_ID,
                             endpoint=f"127.0.0.1:{closed_port}", protocol="http",
                             connect_timeout=TIMEOUT, read_timeout=TIMEOUT, default_sign_name=SIGN)
    started = time.monotonic()
    results = backend.send([message(1)])
    assert time.monotonic() - started < TIMEOUT
    assert (results[0].status, results[0].error_code, results[0].transient) == ("failed", "ClientNetworkError", True)


def test_tencent_missing_status_is_not_retried(tencent, gateway):
    gateway.answer = lambda received: (200, "application/json", {"Response": {"SendStatusSet": [], "RequestId": "r"}})
    result = tencent.send([message(1)])[0]
    assert (result.status, result.transient) == ("failed", False)


def test_tencent_refuses_more_than_200_and_send_all_splits(tencent, gateway):
    same = {"1": "本月"}
    messages = [message(n, **same) for n in range(450)]
    with pytest.raises(ValueError, match="at most 200"):
        tencent.send(messages[:201])
    results = send_all(tencent, messages)
    assert [len(r.json["PhoneNumberSet"]) for r in gateway.requests] == [200, 200, 50]
    assert [r.reference for r in results] == [m.reference for m in messages] and all(r.accepted for r in results)


def test_tencent_spaces_its_calls(gateway):
    gateway.answer = tencent_answer()
    backend = TencentBackend(secret_id=TENCENT_SECRET_ID, secret_key=TENCENT_SECRET_KEY, app_id=TENCENT_APP_ID,
                             endpoint=gateway.endpoint, protocol="http", connect_timeout=TIMEOUT,
                             read_timeout=TIMEOUT, max_calls_per_second=10, default_sign_name=SIGN)
    started = time.monotonic()
    backend.send([message(1), message(2), message(3)])  # personal params: three calls
    assert len(gateway.requests) == 3
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("missing", ["SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_APP_ID"])
def test_tencent_missing_setting_is_named(missing):
    config = {"SMS_BACKEND": "tencent", "SMS_SIGN_NAME": SIGN, "SMS_TENCENT_SECRET_ID": "id",
              "SMS_TENCENT_SECRET_KEY": "key", "SMS_TENCENT_APP_ID": "1400000000"}
    del config[missing]
    with pytest.raises(ValueError, match=missing):
        make_backend(config)


def test_tencent_sdk_debug_log_shows_numbers_masked(tencent, gateway, caplog):
    caplog.set_level("DEBUG")
    gateway.answer = tencent_answer()
    tencent.send([message(7, **{"1": "x"})])
    assert "13800000007" not in caplog.text
    assert "138****0007" in caplog.text  # the SDK did log the request: the check above is not vacuous


def test_aliyun_sdk_debug_log_shows_numbers_masked(aliyun, gateway, caplog, monkeypatch):
    monkeypatch.setenv("DEBUG", "sdk")  # the Alibaba SDK's switch for logging whole requests
    caplog.set_level("DEBUG")
    aliyun.send([message(7)])
    assert "x-acs-action : SendBatchSms" in caplog.text  # the SDK did log the request
    assert "13800000007" not in caplog.text


def test_aliyun_refusal_that_echoes_the_numbers_is_logged_masked(aliyun, gateway, caplog):
    """Our own warning quotes the gateway's message; a message that echoes the (URL-encoded) request stays masked."""
    caplog.set_level("WARNING")
    gateway.answer = aliyun_refusal("isv.MOBILE_NUMBER_ILLEGAL", "PhoneNumberJson=%5B%2213800000001%22%5D invalid")
    aliyun.send([message(1)])
    assert "isv.MOBILE_NUMBER_ILLEGAL" in caplog.text  # the warning was written
    assert "13800000001" not in caplog.text and "138****0001" in caplog.text
