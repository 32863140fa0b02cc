"""Consultation (集中咨询) at the policy window: logged at the staff's own window, unanswered first, answered later,
an online question's answer sent by SMS with its link, and one turned into an application in one step."""
from __future__ import annotations

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.phones import current_vault, mask
from app.policy_window import consultations as consulting
from app.policy_window.models import Channel, Consultation, PolicyCase, Stage
from app.sms.models import SmsOutbox
from tests.integration.test_window_intake import Desk, desk  # noqa: F401  (the fixture)


def only_consultation() -> Consultation:
    db.session.expire_all()
    return db.session.scalars(select(Consultation)).one()


def test_a_consultation_is_logged_answered_later_and_turned_into_an_application(app, client, login, desk: Desk):
    login(desk.city_staff)
    profile = desk.world.profiles["eligible"]
    response = client.post_form("/admin/window/consultations/new", {
        "channel": "phone", "uscc": profile.uscc.lower(), "item_id": desk.item.id,
        "question": "厂房租金补贴需要哪些材料？", "answer": ""})
    assert response.status_code == 302
    consultation = only_consultation()
    assert consultation.window_id == desk.city.id and consultation.channel == Channel.phone
    assert consultation.profile_id == profile.id and consultation.enterprise_name == profile.name
    assert consultation.answered_at is None
    # Waiting for an answer: on the queue and first in the list.
    assert "厂房租金补贴需要哪些材料" in client.get("/admin/window/").get_data(as_text=True)

    client.post_form(f"/admin/window/consultations/{consultation.id}/answer",
                     {"answer": "营业执照、审计报告和租赁合同，窗口可一次受理。"})
    consultation = only_consultation()
    assert consultation.answered_at is not None and consultation.answered_by_id == desk.city_staff.id
    assert db.session.scalars(select(SmsOutbox)).all() == []  # a phone question is answered on the phone

    # One step: the application at the same window, for the same enterprise and item, linked.
    opened = client.post_form(f"/admin/window/consultations/{consultation.id}/apply", {})
    case = db.session.scalars(select(PolicyCase)).one()
    assert opened.headers["Location"].endswith(f"/admin/window/cases/{case.tracking_number}")
    assert (case.profile_id, case.version.item_id, case.window_id) == (profile.id, desk.item.id, desk.city.id)
    assert case.stage == Stage.intake and case.visits == 0  # asked by phone: the enterprise has not come yet
    assert only_consultation().case_id == case.id
    again = client.post_form(f"/admin/window/consultations/{consultation.id}/apply", {}, follow_redirects=True)
    assert "已转为申请" in again.get_data(as_text=True)
    assert db.session.query(PolicyCase).count() == 1
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"policy_window.consultation.create", "policy_window.consultation.answer",
            "policy_window.consultation.apply", "policy.applied"} <= actions


def test_a_typed_name_needs_the_profile_and_item_before_an_application(app, client, login, desk: Desk):
    login(desk.city_staff)
    client.post_form("/admin/window/consultations/new", {"channel": "window", "enterprise_name": "某新办企业",
                                                         "item_id": 0, "question": "新办企业能享受哪些政策？"})
    consultation = only_consultation()
    assert consultation.profile_id is None and consultation.enterprise_name == "某新办企业"
    client.post_form(f"/admin/window/consultations/{consultation.id}/apply", {})
    assert db.session.query(PolicyCase).count() == 0
    # An unknown code is refused with its reason, nothing saved.
    refused = client.post_form(f"/admin/window/consultations/{consultation.id}/subject",
                               {"uscc": "91000000000000999Z", "item_id": desk.item.id}, follow_redirects=True)
    assert "91000000000000999Z" in refused.get_data(as_text=True) and only_consultation().item_id is None
    profile = desk.world.profiles["missing"]
    client.post_form(f"/admin/window/consultations/{consultation.id}/subject",
                     {"uscc": profile.uscc, "item_id": desk.item.id})
    client.post_form(f"/admin/window/consultations/{consultation.id}/apply", {})
    assert db.session.scalars(select(PolicyCase)).one().profile_id == profile.id


def test_county_staff_see_only_their_windows_consultations_unanswered_first(app, client, login, desk: Desk):
    city = consulting.log(desk.city, "window", "城市窗口的咨询", enterprise_name="甲", actor=desk.city_staff)
    answered = consulting.log(desk.county, "window", "县里已答复的咨询", enterprise_name="乙", answer="已答复",
                              actor=desk.county_staff)
    waiting = consulting.log(desk.county, "phone", "县里待答复的咨询", enterprise_name="丙", actor=desk.county_staff)
    db.session.commit()
    login(desk.county_staff)
    page = client.get("/admin/window/consultations").get_data(as_text=True)
    assert "城市窗口的咨询" not in page
    assert page.index("县里待答复的咨询") < page.index("县里已答复的咨询")
    assert client.get(f"/admin/window/consultations/{city.id}").status_code == 404
    assert client.post_form(f"/admin/window/consultations/{city.id}/answer", {"answer": "越权"}).status_code == 404
    assert client.get(f"/admin/window/consultations/{waiting.id}").status_code == 200
    only_unanswered = client.get("/admin/window/consultations", query_string={"unanswered": "1"}).get_data(as_text=True)
    assert "县里待答复的咨询" in only_unanswered and "县里已答复的咨询" not in only_unanswered
    assert answered.id != waiting.id


def test_an_online_questions_answer_goes_out_by_sms_with_its_link(app, desk: Desk):
    vault, number = current_vault(), "+8613900000009"
    question = Consultation(window=desk.city, channel=Channel.online, enterprise_name="甲科技有限公司",
                            question="线上提问：租金补贴的标准？", phone=vault.seal(number), phone_masked=mask(number))
    db.session.add(question)
    db.session.flush()
    sent = consulting.answer(question, "按实际租金的30%补贴，最高50万元。", desk.city_staff,
                             link="https://zc.example.cn/q/abc")
    db.session.commit()
    assert sent
    message = db.session.scalars(select(SmsOutbox)).one()
    assert message.phone_masked == "139****0009" and "https://zc.example.cn/q/abc" in message.text
    assert "已答复" in message.text
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "policy_window.consultation.answer")).one()
    assert entry.details["sms"] is True and "139" not in str(entry.details)
    # A question asked at the window gets no SMS.
    spoken = consulting.log(desk.city, "window", "现场提问", enterprise_name="乙", actor=desk.city_staff)
    assert consulting.answer(spoken, "现场已答复。", desk.city_staff, link="https://zc.example.cn/q/x") is False


def test_an_application_from_a_question_asked_at_the_window_counts_that_visit(app, desk: Desk):
    asked = consulting.log(desk.city, Channel.window, "租金补贴怎么申请？", profile=desk.world.profiles["eligible"],
                           item=desk.item, actor=desk.city_staff)
    assert consulting.apply(asked, desk.city_staff).visits == 1
