"""The enterprise starts an application online: from its push link (one draft, never two), or with its USCC and an
SMS code to the profile's contact phone (hashed, expiring, a few attempts, the same message whether the code is
unknown or has no phone); fills in the draft (figures re-checked against the rules with the trace, scans) and hands
it in to the window (no visit counted). Pages are small and need no JavaScript."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.casework.models import CaseAttachment
from app.extensions import db
from app.platform.columns import utcnow
from app.policy.models import DeliveryMode
from app.policy_window import links
from app.policy_window.models import Origin, PolicyCase, PolicySmsCode, Stage
from app.sms.models import SmsOutbox
from tests.integration.test_policy_match import world  # noqa: F401  (a fixture)
from tests.integration.test_policy_push_page import sent_links

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
TRACK = re.compile(r"/w/([A-Za-z0-9_-]{32})$")


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")


def small_and_plain(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in page and len(response.data) < 30_000 and 'name="viewport"' in page
    return page


def start_from_push(client, world) -> str:
    path = sent_links(world)["138****0001"]  # 甲科技, eligible, 高新区
    response = client.post_form(path + "/apply")
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "same-origin"
    return TRACK.search(response.headers["Location"]).group(0)


def test_from_the_push_link_to_a_draft_then_handed_in(client, world):
    notice_page = client.get(sent_links(world)["138****0001"]).get_data(as_text=True)
    assert "开始申请" in notice_page
    # (the push above sent the links; a second push sends none, so take the path again from the outbox)
    path = LINK.search(db.session.scalars(select(SmsOutbox)).first().text).group(0)
    response = client.post_form(path + "/apply")
    track = TRACK.search(response.headers["Location"]).group(0)
    case = db.session.scalars(select(PolicyCase)).one()
    assert case.origin == Origin.online and case.stage == Stage.draft
    assert case.window.name == "高新区政务服务中心惠企专窗"  # the window of its district
    assert links.find(track.removeprefix("/w/")).id == case.id

    page = small_and_plain(client.get(track))
    assert "填写中" in page and "营业执照复印件" in page and "上年度财务审计报告" in page
    assert "上年营业收入" in page and 'value="2500"' in page  # the figure the rules read, as on record
    assert "提交申请" in page

    # Declare a lower revenue and upload a scan: the eligibility is re-run on it, with the trace on the page.
    response = client.post_form(track + "/draft", {"fig_revenue": "1500", "material": "营业执照复印件",
                                                   "files": (io_png(), "licence.png")},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.declared == {"revenue": 1500.0} and case.eligibility == "ineligible"
    attachment = db.session.scalars(select(CaseAttachment)).one()
    assert attachment.original_name == "营业执照复印件 - licence.png" and attachment.shared
    page = small_and_plain(client.get(track))
    assert "不符合" in page and "1,500 万元" in page and "第三条第一款" in page and "licence.png" in page

    client.post_form(track + "/draft", {"fig_revenue": "2600"})
    response = client.post_form(track + "/submit")
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.intake and case.visits == 0 and case.eligibility == "eligible"
    assert [e.kind for e in case.events] == ["applied", "handed_in"]
    page = small_and_plain(client.get(track))
    assert "窗口受理" in page and "网上提交申请" in page and "提交申请</button>" not in page
    # Handing in twice is refused (nothing changes).
    client.post_form(track + "/submit")
    db.session.expire_all()
    assert len(db.session.get(PolicyCase, case.id).events) == 2


LINK = re.compile(r"/p/([A-Za-z0-9_-]{32})")


def io_png():
    import io

    return io.BytesIO(PNG)


def test_starting_twice_goes_to_the_same_application(client, world):
    first = start_from_push(client, world)
    path = LINK.search(db.session.scalars(select(SmsOutbox)).first().text).group(0)
    second = TRACK.search(client.post_form(path + "/apply").headers["Location"]).group(0)
    assert first == second
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 1


def test_an_expired_or_forged_push_link_starts_nothing(client, world):
    assert client.post_form("/p/" + "x" * 32 + "/apply").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0


def test_without_a_csrf_token_nothing_starts(client, world):
    path = sent_links(world)["138****0001"]
    assert client.post(path + "/apply").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0


# --------------------------------------------------------------------------- USCC + SMS code

APPLY = "/w/apply/ZC-2026-012-01"


def last_code() -> str:
    text = db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc())).first().text
    return re.search(r"\d{6}", text).group(0)


def test_uscc_and_the_right_code_open_the_draft(client, world):
    assert "统一社会信用代码" in small_and_plain(client.get(APPLY))
    response = client.post_form(APPLY, {"uscc": " 91000000000000001a "})
    assert response.headers["Location"].endswith(APPLY + "/code")
    outbox = db.session.scalars(select(SmsOutbox)).one()
    assert outbox.phone_masked == "138****0001" and "验证码" in outbox.text
    code = last_code()
    stored = db.session.scalars(select(PolicySmsCode)).one()
    assert code not in stored.code_hash  # only a keyed hash is kept
    # A wrong code is refused and counts against the attempts.
    page = small_and_plain(client.post_form(APPLY + "/code", {"code": "000000" if code != "000000" else "111111"}))
    assert "验证码错误或已过期" in page
    db.session.expire_all()
    assert db.session.scalars(select(PolicySmsCode)).one().attempts == 1
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0
    response = client.post_form(APPLY + "/code", {"code": code})
    assert TRACK.search(response.headers["Location"])
    case = db.session.scalars(select(PolicyCase)).one()
    assert case.profile.name == "甲科技有限公司" and case.stage == Stage.draft
    assert db.session.scalar(select(func.count()).select_from(PolicySmsCode)) == 0  # used up


def test_an_expired_code_is_refused(client, world):
    client.post_form(APPLY, {"uscc": "91000000000000001A"})
    code = last_code()
    db.session.scalars(select(PolicySmsCode)).one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = small_and_plain(client.post_form(APPLY + "/code", {"code": code}))
    assert "验证码错误或已过期" in page
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0


def test_after_five_wrong_attempts_even_the_right_code_is_refused(client, world):
    client.post_form(APPLY, {"uscc": "91000000000000001A"})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post_form(APPLY + "/code", {"code": wrong})
    page = small_and_plain(client.post_form(APPLY + "/code", {"code": code}))
    assert "验证码错误或已过期" in page
    assert db.session.scalar(select(func.count()).select_from(PolicyCase)) == 0


def test_unknown_code_and_no_phone_get_the_same_message(client, world):
    unknown = client.post_form(APPLY, {"uscc": "91999999999999999X"})
    no_phone = client.post_form(APPLY, {"uscc": "91000000000000005E"})  # 戊材料: no contact phone
    assert unknown.status_code == no_phone.status_code == 200
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731 (CSRF differs)
    assert strip(unknown) == strip(no_phone)
    page = strip(unknown)
    assert "请到惠企政策兑现专窗申报" in page and "市政务服务中心惠企政策兑现专窗" in page
    assert "戊材料" not in page
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0


def test_the_code_page_needs_a_code_asked_for_first(client, world):
    response = client.post_form(APPLY + "/code", {"code": "123456"})
    assert response.headers["Location"].endswith(APPLY)


def test_an_item_without_application_cannot_be_applied_for(client, world):
    world.item.current.mode = DeliveryMode.automatic
    db.session.commit()
    assert client.get(APPLY).status_code == 404
    assert client.get("/w/apply/NO-SUCH-ITEM").status_code == 404


def test_asking_for_codes_is_rate_limited(app, client, world):
    app.config["POLICY_WINDOW_FORM_RATE_LIMIT"] = "2 per minute"
    statuses = [client.post_form(APPLY, {"uscc": "91999999999999999X"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_public_item_page_leads_to_applying_and_asking_online(client, world):
    page = client.get("/policies/ZC-2026-012-01").get_data(as_text=True)
    assert 'href="/w/apply/ZC-2026-012-01"' in page and 'href="/w/ask/ZC-2026-012-01"' in page
    assert "网上申报" in page and "咨询问题" in page
