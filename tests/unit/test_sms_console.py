"""The console backend, template rendering, the registry and the batching helper: no network at all."""
from __future__ import annotations

import logging
import socket

import pytest

from app.sms import BACKENDS, ConsoleBackend, SmsBackend, SmsMessage, SmsResult, make_backend, render, send_all
from app.sms.base import MISSING_PARAMETERS, PhoneMaskingFilter, template_variables

PHONE = "+8613812345678"
INVITE = "【${sign}】${name}您好，本月营商环境评价已开始，请于${deadline}前登录 https://pj.example.gov.cn/s/${token} 填写。回复TD退订"


def invitation(reference: str = "inv-1", **params) -> SmsMessage:
    return SmsMessage(
        phone_e164=PHONE,
        template_code="SMS_INVITE",
        params=params or {"name": "张先生", "deadline": "6月30日", "token": "Zx8kQ2mN4pR7tV1w"},
        sign_name="某市营商办",
        reference=reference,
    )


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test: the console backend must stay off the network."""
    def refuse(*args, **kwargs):
        raise AssertionError("the console backend opened a network connection")
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_render_fills_variables_and_leaves_other_braces_alone():
    assert render("您好${name}，{1} 与 $name 不是变量，费用 $5", {"name": "李四"}) == "您好李四，{1} 与 $name 不是变量，费用 $5"
    assert template_variables(INVITE) == ["sign", "name", "deadline", "token"]
    assert render("访问码{1}即${1}", {"1": "K7Q2M9X4P8"}) == "访问码{1}即K7Q2M9X4P8"  # Tencent's {1}, previewed as ${1}


def test_render_names_the_missing_variables():
    with pytest.raises(ValueError, match="deadline, token"):
        render(INVITE, {"sign": "x", "name": "y"})


def test_sink_receives_the_rendered_text_and_nothing_is_logged(caplog):
    received = []
    backend = ConsoleBackend(templates={"SMS_INVITE": INVITE}, sink=lambda msg, text: received.append((msg, text)))
    caplog.set_level(logging.DEBUG)

    results = backend.send([invitation()])

    assert received == [(invitation(), "【某市营商办】张先生您好，本月营商环境评价已开始，请于6月30日前登录 "
                                       "https://pj.example.gov.cn/s/Zx8kQ2mN4pR7tV1w 填写。回复TD退订")]
    assert results == [SmsResult(reference="inv-1", status="accepted", provider_id="console:inv-1")]
    assert caplog.text == ""


def test_log_shows_the_rendered_text_with_the_phone_masked(caplog):
    fixed_link = "您好${name}，访问码${code}，请登录 https://pj.example.gov.cn/s 填写。回复TD退订"
    backend = make_backend({"SMS_TEMPLATES": {"SMS_INVITE": fixed_link}})
    caplog.set_level(logging.INFO, logger="app.sms")

    backend.send([invitation(name="王女士", code="K7Q2M9X4P8")])

    assert "138****5678" in caplog.text
    assert "【某市营商办】您好王女士，访问码K7Q2M9X4P8" in caplog.text  # a template without ${sign} still gets it
    assert "13812345678" not in caplog.text


def test_message_repr_masks_the_phone():
    assert "13812345678" not in repr(invitation()) and "138****5678" in repr(invitation())


def test_unknown_template_is_previewed_as_code_and_params(caplog):
    caplog.set_level(logging.INFO, logger="app.sms")
    result = ConsoleBackend(default_sign_name="默认签名").send(
        [SmsMessage(PHONE, "SMS_X", {"code": "ABC"}, "", "inv-9")])[0]
    assert result.accepted
    assert "【默认签名】[SMS_X] code=ABC" in caplog.text


def test_missing_variable_fails_permanently_like_a_gateway():
    backend = ConsoleBackend(templates={"SMS_INVITE": INVITE}, sink=lambda msg, text: None)
    results = backend.send([invitation("a"), invitation("b", name="只有名字")])
    assert results[0].accepted
    assert (results[1].status, results[1].error_code, results[1].transient) == ("failed", MISSING_PARAMETERS, False)


def test_empty_batch_and_oversized_batch_are_programming_errors():
    backend = ConsoleBackend(sink=lambda msg, text: None)
    with pytest.raises(ValueError):
        backend.send([])
    with pytest.raises(ValueError, match="at most 1000"):
        backend.send([invitation(str(n)) for n in range(1001)])


def test_send_all_splits_by_max_batch_and_keeps_the_order():
    class PairsBackend(SmsBackend):
        name, max_batch = "pairs", 2
        calls: list[int] = []

        def _send_batch(self, messages):
            self.calls.append(len(messages))
            return [SmsResult.ok(m.reference, None) for m in messages]

    backend = PairsBackend()
    results = send_all(backend, [invitation(str(n)) for n in range(5)])
    assert backend.calls == [2, 2, 1]
    assert [r.reference for r in results] == ["0", "1", "2", "3", "4"]
    assert send_all(backend, []) == []


def test_a_backend_that_loses_a_result_is_caught():
    class Lossy(SmsBackend):
        name, max_batch = "lossy", 10

        def _send_batch(self, messages):
            return [SmsResult.ok(messages[0].reference, None)]

    with pytest.raises(AssertionError):
        Lossy().send([invitation("a"), invitation("b")])


def test_registry_and_make_backend():
    assert set(BACKENDS) == {"console", "aliyun", "tencent"}
    assert isinstance(make_backend({}), ConsoleBackend)
    sink = lambda msg, text: None  # noqa: E731
    assert make_backend({"SMS_BACKEND": "console"}, sink=sink).sink is sink
    with pytest.raises(ValueError, match="SMS_BACKEND"):
        make_backend({"SMS_BACKEND": "carrier-pigeon"})


def test_masking_filter_masks_numbers_but_not_longer_digit_runs():
    record = logging.LogRecord("x", logging.DEBUG, __file__, 1, "to %s and %s, serial %s",
                               ("+8613812345678", "13912345678", "5000:1045710669157053657849499619"), None)
    PhoneMaskingFilter().filter(record)
    assert record.getMessage() == "to 138****5678 and 139****5678, serial 5000:1045710669157053657849499619"


def test_masking_filter_masks_numbers_inside_an_echoed_url_encoded_request():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "refused: %s", (
        "PhoneNumbers=%5B%2213812345678%22%2C%22%2B8613912345678%22%5D&SignName=x",), None)
    PhoneMaskingFilter().filter(record)
    message = record.getMessage()
    assert "13812345678" not in message and "13912345678" not in message
    assert "138****5678" in message and "139****5678" in message
