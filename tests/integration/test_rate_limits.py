"""Every rate limit trips. Works with the in-memory limiter and with Redis (CI runs the suite again with REDIS_URL).

The conftest resets the limiter's storage before and after each test. Limits tested elsewhere:
- login per client, and the per-account back-off: test_auth.py::test_login_is_throttled_per_client / test_login_backs_off_per_account_across_addresses
- access code per client: test_survey.py::test_guessing_access_codes_is_throttled (and behind a proxy,
  per forwarded client: test_config_and_headers.py::test_behind_a_proxy_rate_limits_count_each_client);
  wrong codes only, per client (IPv6 by /64), network and code prefix, no global cap: test_access_code_limits.py
- real-time rating per client and per point: test_realtime.py::test_rate_limit_per_client / _per_service_point
- complaint query-code lookup: test_complaints.py::test_tracking_is_rate_limited
- own-password changes per account: test_users_admin.py::test_guessing_the_current_password_is_throttled
This file fills the gaps: the survey link, complaint intake, and the real-time SMS
code per client and per phone number.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.complaints.models import Complaint
from app.extensions import db, limiter
from app.realtime import service as realtime
from app.sms.models import SmsOutbox
from tests.integration.test_complaints import file_complaint


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def limiter_keys() -> list[str]:
    """Every key the limiter's storage holds now (memory or Redis)."""
    storage = limiter.storage
    if hasattr(storage, "storage") and isinstance(storage.storage, dict):  # memory://
        return [str(k) for k in storage.storage]
    return [k.decode() if isinstance(k, bytes) else str(k) for k in storage.storage.keys("*")]


def test_the_survey_link_is_throttled_per_client(app, client):
    app.config["SURVEY_TOKEN_RATE_LIMIT"] = "3 per minute"
    statuses = [client.get(f"/s/{'x' * 21}{i}").status_code for i in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert client.get("/s/" + "y" * 22, environ_base={"REMOTE_ADDR": "10.1.1.2"}).status_code == 404


def test_complaint_intake_is_throttled_per_client(app, client, make_department):
    app.config["COMPLAINT_INTAKE_RATE_LIMIT"] = "2 per hour"
    department = make_department()
    statuses = [file_complaint(client, [department.id]).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert db.session.scalar(select(func.count(Complaint.id))) == 2
    data = {"category": "enforcement", "departments": [department.id], "subject": "另一位投诉人",
            "description": "2026年11月3日，执法人员到我店检查时暗示需要“表示”，否则将从严处罚。"}
    other = app.test_client().post_form("/complaints/new", data, content_type="multipart/form-data",
                                        environ_base={"REMOTE_ADDR": "10.3.0.2"})
    assert other.status_code == 302  # another address is not blocked


@pytest.fixture
def sms_point(app, make_department):
    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window", require_sms_code=True)
    db.session.commit()
    return point


def ask_code(client, point, phone: str, ip: str = "10.4.0.1") -> int:
    return client.post_form(f"/r/{point.slug}/code", {"phone": phone}, environ_base={"REMOTE_ADDR": ip}).status_code


def codes_sent() -> int:
    return db.session.scalar(select(func.count(SmsOutbox.id)).where(SmsOutbox.kind == "rating_code"))


def test_sms_codes_are_throttled_per_client(app, client, sms_point):
    app.config.update(REALTIME_SMS_CODE_RATE_LIMIT="2 per hour", REALTIME_SMS_CODE_PER_PHONE_LIMIT="100 per hour")
    statuses = [ask_code(client, sms_point, f"1380013800{i}") for i in range(3)]
    assert statuses == [302, 302, 429]
    assert codes_sent() == 2


def test_sms_codes_are_capped_per_phone_number_from_any_address(app, client, sms_point):
    assert app.config["REALTIME_SMS_CODE_PER_PHONE_LIMIT"] == "3 per hour"  # the shipped setting
    # The same number written three ways, from three addresses: one number, three codes.
    for ip, phone in [("10.5.0.1", "13800138000"), ("10.5.0.2", "138 0013 8000"), ("10.5.0.3", "+86 138-0013-8000")]:
        assert ask_code(client, sms_point, phone, ip) == 302
    assert ask_code(client, sms_point, "13800138000", "10.5.0.4") == 429
    assert codes_sent() == 3
    assert ask_code(client, sms_point, "13900139000", "10.5.0.5") == 302  # another number is not blocked
    keys = limiter_keys()
    assert any("realtime-sms-phone-" in k for k in keys)
    assert not any(digits in k for k in keys for digits in ("13800138000", "13900139000", "8000"))


@pytest.mark.parametrize("limit,wait", [("2 per minute", "1分钟"), ("2 per day", "1天")])
def test_the_refusal_says_how_long_to_wait(app, client, limit, wait):
    """A limit counted by the day must not tell people to wait a minute."""
    app.config["SURVEY_TOKEN_RATE_LIMIT"] = limit
    statuses = [client.get(f"/s/{'x' * 21}{i}") for i in range(3)]
    assert [r.status_code for r in statuses] == [404, 404, 429]
    assert f"最多等待{wait}后即可重试" in statuses[-1].get_data(as_text=True).replace(" ", "")
