"""The enterprise's tracking page (/w/<token>): where its application is, who has it, the deadline, what it needs,
the decision and payments — of its own application only; handing in missing materials online, confirming receipt
(only once paid; then delivered and the engine's case closed by the enterprise's own verdict), answering a 免申即享
offer; a question asked online and its page. Tokens never reach a server log."""
from __future__ import annotations

import io
import logging
import re
import threading
import urllib.error
import urllib.request
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app.casework import service as casework
from app.casework.models import CaseStatus, Confirmation, Outcome, Satisfaction
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.phones import current_vault
from app.policy_window import cases, links, online
from app.policy_window.models import (
    Channel,
    Consent,
    Consultation,
    Decision,
    Origin,
    PolicyCase,
    PolicyPayment,
    Receipt,
    Stage,
)
from tests.integration.test_policy_match import world  # noqa: F401  (a fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")


def small_and_plain(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script" not in page and len(response.data) < 30_000 and 'name="viewport"' in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    return page


def open_online(world, key="eligible", origin=Origin.online) -> tuple[PolicyCase, str]:
    profile = world.profiles[key]
    case = cases.open_case(world.version, profile, online.window_for(profile), origin)
    db.session.commit()
    return case, "/w/" + links.token(case)


def referred(case: PolicyCase, due_on: date | None = None):
    """Handed in, accepted by the window and referred to the item's department."""
    department = case.version.department
    cases.move(case, Stage.intake, "handed_in")
    casework.accept(case)
    casework.assign(case, [department], due_on or local_today() + timedelta(days=10), lead_id=department.id)
    cases.move(case, Stage.handling, "referred")
    db.session.commit()
    return case.lead_assignment


def paid(case: PolicyCase):
    assignment = case.lead_assignment or referred(case)
    casework.reply(assignment, "经审核，同意拨付研发奖补资金。", outcome=Outcome.solved)
    case.decision, case.approved_amount = Decision.approved, Decimal("25")
    cases.move(case, Stage.review, "decided")
    cases.move(case, Stage.approved, "reviewed")
    db.session.add(PolicyPayment(case=case, amount=Decimal("25"), paid_on=local_today(), voucher="PZ-2026-0088",
                                 department=case.version.department))
    case.paid_at = case.submitted_at
    cases.move(case, Stage.paid, "paid")
    db.session.commit()


def test_the_page_says_where_it_is_who_has_it_and_the_deadline(client, world):
    case, track = open_online(world)
    due = local_today() + timedelta(days=10)
    referred(case, due)
    page = small_and_plain(client.get(track))
    assert "部门办理中" in page and "市科技局" in page and due.isoformat() in page
    assert case.tracking_number in page and "逾期" not in page
    assert "网上提交申请" in page  # the public history
    # Past its deadline, the page says it is overdue.
    case.lead_assignment.due_on = local_today() - timedelta(days=1)
    db.session.commit()
    assert "逾期" in small_and_plain(client.get(track))


def test_a_page_reveals_nothing_of_another_enterprise(client, world):
    _case, own = open_online(world, "eligible")
    _other, other = open_online(world, "stale")
    page = small_and_plain(client.get(own))
    assert "甲科技有限公司" in page and "丁服务有限公司" not in page and "城关区政务服务中心惠企专窗" not in page
    assert "丁服务有限公司" in small_and_plain(client.get(other))
    assert world.profiles["eligible"].uscc not in own
    assert client.get("/w/" + "z" * 32).status_code == 404


def test_missing_materials_are_named_and_handed_in_online(client, world):
    case, track = open_online(world)
    cases.move(case, Stage.intake, "handed_in")
    case.supplement_list, case.supplement_requests = ["营业执照复印件", "上年度财务审计报告"], 1
    cases.move(case, Stage.supplement, "supplement")
    db.session.commit()
    page = small_and_plain(client.get(track))
    assert "待补正" in page and "上年度财务审计报告" in page and "营业执照复印件" in page
    assert 'enctype="multipart/form-data"' in page

    # Without a scan nothing is handed in.
    client.post_form(track + "/hand-in", {"names": ["上年度财务审计报告"]})
    db.session.expire_all()
    assert db.session.get(PolicyCase, case.id).supplement_list == ["营业执照复印件", "上年度财务审计报告"]

    client.post_form(track + "/hand-in", {"names": ["上年度财务审计报告"], "files": (io.BytesIO(PNG), "audit.png")},
                     content_type="multipart/form-data")
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.supplement and case.supplement_list == ["营业执照复印件"]
    client.post_form(track + "/hand-in", {"names": ["营业执照复印件"], "files": (io.BytesIO(PNG), "rd.png")},
                     content_type="multipart/form-data")
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.intake and case.supplement_list == [] and case.visits == 0
    assert len(case.attachments) == 2 and all(a.shared for a in case.attachments)
    assert "窗口受理" in small_and_plain(client.get(track))


def test_receipt_is_confirmed_only_once_paid_then_delivered_and_closed(client, world):
    case, track = open_online(world)
    referred(case)
    client.post_form(track + "/receipt", {"satisfaction": "satisfied"})
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.handling and case.receipt is None  # not paid yet: refused

    paid(case)
    page = small_and_plain(client.get(track))
    assert "已兑现，待企业确认到位" in page and "PZ-2026-0088" in page and "25 万元" in page
    assert "确认到位" in page and "基本满意" in page
    client.post_form(track + "/receipt", {"satisfaction": "basically", "comment": "已到账"})
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.delivered and case.receipt == Receipt.link and case.receipt_at is not None
    assert case.status == CaseStatus.closed and case.outcome == Outcome.solved
    assert case.confirmation == Confirmation.raiser and case.satisfaction == Satisfaction.basically
    page = small_and_plain(client.get(track))
    assert "已确认到位" in page and "确认到位</button>" not in page


def test_a_rejection_shows_the_failed_condition_and_its_article(client, world):
    case, track = open_online(world)
    referred(case)
    case.decision, case.failed_rule = Decision.rejected, 0
    cases.move(case, Stage.review, "decided")
    cases.move(case, Stage.rejected, "reviewed")
    db.session.commit()
    page = small_and_plain(client.get(track))
    assert "不予批准" in page and "上年营业收入2000万元以上" in page and "第三条第一款" in page
    assert "责任部门：市科技局" in page  # the department that decided, once referred


@pytest.mark.parametrize("choice, stage, step", [("accepted", Stage.review, "consented"),
                                                 ("declined", Stage.declined, "consent_declined"),
                                                 ("correction", Stage.intake, "correction")])
def test_the_automatic_offer_is_accepted_declined_or_corrected(client, world, choice, stage, step):
    case, track = open_online(world, origin=Origin.automatic)
    assert case.stage == Stage.consent
    page = small_and_plain(client.get(track))
    assert "待企业确认" in page and "同意享受" in page and "放弃享受" in page
    note = "上年营业收入应为2600万元" if choice == "correction" else ""
    client.post_form(track + "/consent", {"choice": choice, "note": note})
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    steps = {e.kind: e for e in case.events}
    assert case.stage == stage and case.consent == Consent(choice) and step in steps
    if choice == "declined":
        assert case.status == CaseStatus.declined  # the engine's case ends
    if choice == "correction":
        assert steps[step].note == note


def test_a_correction_needs_the_note(client, world):
    case, track = open_online(world, origin=Origin.automatic)
    client.post_form(track + "/consent", {"choice": "correction", "note": ""})
    db.session.expire_all()
    assert db.session.get(PolicyCase, case.id).stage == Stage.consent


def test_an_online_question_and_its_page(app, client, world):
    ask = "/w/ask/ZC-2026-012-01"
    assert "您的问题" in small_and_plain(client.get(ask))
    response = client.post_form(ask, {"question": "研发费用需要专项审计报告吗？", "phone": "13912345678"})
    path = response.headers["Location"]
    assert re.fullmatch(r"/w/q/[A-Za-z0-9_-]{32}", path)
    found = db.session.scalars(select(Consultation)).one()
    assert found.channel == Channel.online and found.item_id == world.item.id
    assert found.window.name == "市政务服务中心惠企政策兑现专窗"
    assert found.phone_masked == "139****5678"
    assert current_vault().open(found.phone) == "+8613912345678"
    with app.test_request_context():
        assert online.question_url(found).endswith(path)  # the address the answer's SMS carries
    page = small_and_plain(client.get(path))
    assert "研发费用需要专项审计报告吗" in page and "尚未答复" in page and "139****5678" in page
    found.answer = "需要，由具备资质的中介机构出具。"
    db.session.commit()
    assert "由具备资质的中介机构出具" in small_and_plain(client.get(path))
    assert client.get("/w/q/" + "q" * 32).status_code == 404
    # A bad number: nothing kept, the reason on the form.
    page = client.post_form(ask, {"question": "可以分期申请吗？", "phone": "12345"}).get_data(as_text=True)
    assert "手机号" in page and db.session.query(Consultation).count() == 1


def test_tokens_never_reach_the_server_log(app, world, caplog):
    case, track = open_online(world)
    consultation, token = online.ask(world.item, "研发费用需要专项审计报告吗？", "13912345678")
    db.session.commit()
    question = "/w/q/" + token
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for url in (track, track + "/receipt", question):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{url}", timeout=10).read()
                except urllib.error.HTTPError:
                    pass  # GET on a POST action
    finally:
        server.shutdown()
        thread.join(10)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert track.removeprefix("/w/") not in logged and token not in logged
    assert "GET /w/*** HTTP/1.1" in logged and "GET /w/***/receipt HTTP/1.1" in logged
    assert "GET /w/q/*** HTTP/1.1" in logged


def test_opening_tracking_links_is_rate_limited(app, client, world):
    app.config["POLICY_WINDOW_LINK_RATE_LIMIT"] = "3 per minute"
    statuses = [client.get("/w/" + "y" * 32).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_a_rejection_on_a_condition_checked_by_a_person_names_it_too(client, world):
    case, track = open_online(world)
    case.version.reviews = [{"label": "近三年无重大安全生产事故", "legal_ref": "第五条"}]
    referred(case)
    case.decision, case.failed_rule = Decision.rejected, len(case.version.rules)  # the first review condition
    cases.move(case, Stage.review, "decided")
    cases.move(case, Stage.rejected, "reviewed")
    db.session.commit()
    page = small_and_plain(client.get(track))
    assert "不予批准" in page and "近三年无重大安全生产事故" in page and "第五条" in page
