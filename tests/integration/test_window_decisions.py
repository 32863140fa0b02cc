"""The department's decision from its inbox and the window's review of it (issue 18, point 3): a rejection names
the failed condition and its reason, an amount above the rule's needs a recorded reason, a rework sends the case
back to the window with one counted request, the review sends the decision out (SMS) or back to the department;
a liaison of another department gets 403, a county window cannot review the city's cases (404); every step is in
the hash-chained audit log."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.audit.service import verify_chain
from app.casework import service as casework
from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, CaseStatus, Confirmation, Outcome
from app.extensions import db
from app.policy_window import decisions
from app.policy_window.models import Decision, PolicyCase, Stage
from tests.conftest import PASSWORD
from tests.integration.test_window_decisions_world import actions_on, outbox_texts, world  # noqa: F401


def lead(case: PolicyCase):
    return decisions.lead_of(case)


def login_as(client, user):
    response = client.post_form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


def fresh(case: PolicyCase) -> PolicyCase:
    db.session.expire_all()
    return db.session.get(PolicyCase, case.id)


# --------------------------------------------------------------------------- the decision's rules

def test_a_rejection_without_a_reason_or_a_failed_condition_is_refused(world):
    case = world.open()
    with pytest.raises(CaseError, match="reason|理由"):
        decisions.decide(lead(case), "rejected", failed="1", note="", actor=world.liaison)
    with pytest.raises(CaseError, match="condition|条件"):
        decisions.decide(lead(case), "rejected", failed=None, note="不符合高新技术企业条件", actor=world.liaison)
    with pytest.raises(CaseError):
        decisions.decide(lead(case), "rejected", failed="9", note="不符合高新技术企业条件", actor=world.liaison)
    with pytest.raises(CaseError, match="legal|依据|条款"):
        decisions.decide(lead(case), "rejected", failed="other", note="不符合高新技术企业条件", actor=world.liaison)
    db.session.rollback()
    case = fresh(case)
    assert case.stage == Stage.handling and lead(case).status == AssignmentStatus.pending
    decisions.decide(lead(case), "rejected", failed="1", note="高新技术企业证书已于2025年过期", actor=world.liaison)
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.review and case.decision == Decision.rejected and case.failed_rule == 1
    assert decisions.failed_condition(case).label == "有效期内的高新技术企业"
    # The department's reply to the engine is the decision with the condition and its article.
    reply = case.assignments[0].reply
    assert "有效期内的高新技术企业" in reply and "第三条第二款" in reply and "证书已于2025年过期" in reply
    assert case.assignments[0].status == AssignmentStatus.replied and case.decided_by_id == world.liaison.id
    # Nothing went to the enterprise before the window's review.
    assert outbox_texts() == []


def test_a_review_condition_or_another_provision_may_be_the_failed_condition(world):
    first, second = world.open(), world.open(n=1)
    decisions.decide(lead(first), "rejected", failed="2", note="近三年发生一起较大安全事故", actor=world.liaison)
    decisions.decide(lead(second), "rejected", failed="other", legal_ref="《安全生产法》第二十条",
                     note="存在未整改的重大隐患", actor=world.liaison)
    db.session.commit()
    assert decisions.failed_condition(first).label == "近三年无重大安全事故"
    assert second.failed_rule is None and "《安全生产法》第二十条" in second.decision_note


def test_an_amount_above_the_rule_needs_a_recorded_reason(world):
    case = world.open(revenue=3000)  # 1% of 3000 = 30 万元 (below the cap of 50)
    assert decisions.ceiling(case).amount == Decimal("30.00")
    with pytest.raises(CaseError, match="30"):
        decisions.decide(lead(case), "approved", amount="35", actor=world.liaison)
    with pytest.raises(CaseError):
        decisions.decide(lead(case), "approved", amount="35", amount_reason="多", actor=world.liaison)
    with pytest.raises(CaseError):
        decisions.decide(lead(case), "approved", amount=None, actor=world.liaison)
    db.session.rollback()
    case = fresh(case)
    decisions.decide(lead(case), "approved", amount="35", amount_reason="经市政府专题会议研究同意追加",
                     actor=world.liaison)
    db.session.commit()
    case = fresh(case)
    assert case.approved_amount == Decimal("35.00") and case.amount_reason == "经市政府专题会议研究同意追加"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.decided")).one()
    assert entry.details["above_rule"] is True and entry.details["rule_amount"] == "30.00"
    # Within the rule no reason is needed, and none is kept; the cap applies to a large figure.
    other = world.open(revenue=9000, n=1)
    assert decisions.ceiling(other).amount == Decimal("50")
    decisions.decide(lead(other), "partly", amount="50", amount_reason="无需理由但写了", actor=world.liaison)
    assert other.approved_amount == Decimal("50.00") and other.amount_reason == ""


def test_rework_sends_the_case_back_to_the_window_with_one_counted_request(world):
    case = world.open()
    with pytest.raises(CaseError):
        decisions.decide(lead(case), "rework", missing=[" "], actor=world.liaison)
    decisions.decide(lead(case), "rework", missing=["上年度财务审计报告", "研发费用专项审计报告", "上年度财务审计报告"],
                     note="审计报告缺少盖章页", actor=world.liaison)
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.supplement and case.supplement_requests == 1
    assert case.supplement_list == ["上年度财务审计报告", "研发费用专项审计报告"]
    assert case.assignments[0].status == AssignmentStatus.replied and case.status == CaseStatus.replied
    texts = outbox_texts()
    assert len(texts) == 1 and "需补正材料" in texts[0] and case.tracking_number in texts[0]
    # The window re-refers after the materials: the engine assigns the department anew.
    casework.assign(case, [world.kj], case.assignments[0].due_on, lead_id=world.kj.id, actor=world.city_staff)
    assert len(case.current_assignments) == 2 and lead(case).status == AssignmentStatus.pending


# --------------------------------------------------------------------------- the window's review

def test_the_review_sends_an_approval_out_by_sms(world):
    case = world.open()
    decisions.decide(lead(case), "approved", amount="30", actor=world.liaison)
    with pytest.raises(CaseError):  # a county window's staff may not review the city's case
        decisions.review(case, world.county_staff, True)
    decisions.review(case, world.city_staff, True)
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.approved and case.reviewed_by_id == world.city_staff.id
    texts = outbox_texts()
    assert len(texts) == 1 and "已有办理结果" in texts[0]
    assert case.status == CaseStatus.replied  # open in the engine until the money has arrived


def test_a_reviewed_rejection_goes_out_and_the_engine_asks_the_enterprise_to_confirm(world):
    case = world.open()
    decisions.decide(lead(case), "rejected", failed="0", note="上年营业收入未达2000万元", actor=world.liaison)
    decisions.review(case, world.officer, True, "")  # the policy officer reviews every window's cases
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.rejected and case.status == CaseStatus.confirming
    assert case.outcome == Outcome.explained and "上年营业收入2000万元以上" in case.public_reply
    assert "已有办理结果" in outbox_texts()[-1]
    # After a phone call the window records the verdict: the engine closes the case.
    decisions.close_rejected(case, "basically", world.city_staff)
    db.session.commit()
    case = fresh(case)
    assert case.status == CaseStatus.closed and case.confirmation == Confirmation.staff_call


def test_sending_back_gives_the_department_a_new_assignment_with_the_note(world):
    case = world.open()
    decisions.decide(lead(case), "approved", amount="30", actor=world.liaison)
    with pytest.raises(CaseError, match="5"):
        decisions.review(case, world.city_staff, False, "")
    decisions.review(case, world.city_staff, False, "审计报告显示研发投入不足，请复核金额")
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.handling and case.decision is None and case.approved_amount is None
    again = lead(case)
    assert again.status == AssignmentStatus.pending and again.instructions == "审计报告显示研发投入不足，请复核金额"
    assert len(case.assignments) == 2 and outbox_texts() == []
    decisions.decide(again, "partly", amount="20", note="按核定研发投入计算", actor=world.liaison)
    assert case.stage == Stage.review and case.decision == Decision.partly


def test_every_step_is_in_the_audit_log(world):
    case = world.open()
    decisions.decide(lead(case), "rework", missing=["研发费用专项审计报告"], actor=world.liaison)
    world.refer_again = casework.assign(case, [world.kj], lead(case).due_on, lead_id=world.kj.id)
    case.stage = Stage.handling
    decisions.decide(lead(case), "approved", amount="30", actor=world.liaison)
    decisions.review(case, world.city_staff, False, "金额依据需补充说明")
    decisions.decide(lead(case), "approved", amount="30", actor=world.liaison)
    decisions.review(case, world.city_staff, True)
    db.session.commit()
    actions = actions_on(case)
    for action in ("policy.applied", "policy.referred", "policy.returned", "policy.decided", "policy.sent_back",
                   "policy.reviewed", "policy.reply", "policy.assign", "policy.notify"):
        assert action in actions, action
    assert actions.count("policy.decided") == 2
    report = verify_chain()
    assert report.ok and report.checked >= len(actions)


# --------------------------------------------------------------------------- the pages

def test_the_lead_liaison_decides_on_the_assignment_page(world, client):
    case = world.open()
    assignment_id = lead(case).id
    login_as(client, world.liaison)
    page = client.get(f"/admin/inbox/{assignment_id}").get_data(as_text=True)
    assert "有效期内的高新技术企业" in page and "第三条第二款" in page and "近三年无重大安全事故" in page
    assert f"/admin/window/decisions/assignment/{assignment_id}" in page
    assert f"/admin/inbox/{assignment_id}/reply" not in page  # the engine's generic answer is not offered
    url = f"/admin/window/decisions/assignment/{assignment_id}"
    # A rejection without a reason is refused, and says so.
    response = client.post_form(url, {"decision": "rejected", "failed": "1"}, follow_redirects=True)
    assert "理由" in response.get_data(as_text=True)
    assert fresh(case).stage == Stage.handling
    # The engine's reply route refuses the lead department's generic answer.
    client.post_form(f"/admin/inbox/{assignment_id}/reply", {"reply": "同意办理，请窗口通知企业"})
    assert fresh(case).assignments[0].status == AssignmentStatus.pending
    response = client.post_form(url, {"decision": "rejected", "failed": "1", "note": "高新技术企业资格已过期"})
    assert response.status_code == 302
    case = fresh(case)
    assert case.stage == Stage.review and case.failed_rule == 1


def test_a_liaison_of_another_department_gets_403_and_co_departments_keep_the_generic_answer(world, client):
    case = world.open()
    co = casework.assign(case, [world.zjj], lead(case).due_on, lead_id=world.kj.id)[0]
    db.session.commit()
    login_as(client, world.other_liaison)
    response = client.post_form(f"/admin/window/decisions/assignment/{lead(case).id}",
                                {"decision": "approved", "amount": "30"})
    assert response.status_code == 403
    page = client.get(f"/admin/inbox/{co.id}").get_data(as_text=True)
    assert f"/admin/inbox/{co.id}/reply" in page and "/admin/window/decisions/" not in page
    assert fresh(case).stage == Stage.handling


def test_the_window_reviews_on_its_page_and_a_county_window_cannot_see_it(world, app, client):
    case = world.open()
    decisions.decide(lead(case), "approved", amount="30", actor=world.liaison)
    db.session.commit()
    number = case.tracking_number
    login_as(client, world.county_staff)
    assert client.get(f"/admin/window/decisions/{number}/review").status_code == 404
    assert client.post_form(f"/admin/window/decisions/{number}/review", {"verdict": "confirm"}).status_code == 404
    assert client.get(f"/admin/window/decisions/{number}/payments").status_code == 404
    client = app.test_client()
    login_as(client, world.city_staff)
    page = client.get(f"/admin/window/decisions/{number}/review").get_data(as_text=True)
    assert "30" in page and "批准" in page
    response = client.post_form(f"/admin/window/decisions/{number}/review", {"verdict": "confirm"})
    assert response.status_code == 302
    assert fresh(case).stage == Stage.approved and "已有办理结果" in outbox_texts()[-1]


def test_a_rework_from_the_page_lists_the_ticked_and_the_typed_materials(world, client):
    case = world.open()
    login_as(client, world.liaison)
    response = client.post_form(f"/admin/window/decisions/assignment/{lead(case).id}",
                                {"decision": "rework", "missing": ["上年度财务审计报告"],
                                 "other_missing": "研发项目立项文件\n\n知识产权证明"})
    assert response.status_code == 302
    case = fresh(case)
    assert case.stage == Stage.supplement and case.supplement_requests == 1
    assert case.supplement_list == ["上年度财务审计报告", "研发项目立项文件", "知识产权证明"]


def test_the_window_closes_a_rejection_after_a_phone_call_from_its_page(world, client):
    case = world.open()
    decisions.decide(lead(case), "rejected", failed="0", note="上年营业收入未达2000万元", actor=world.liaison)
    decisions.review(case, world.city_staff, True)
    db.session.commit()
    login_as(client, world.city_staff)
    url = f"/admin/window/decisions/{case.tracking_number}"
    page = client.get(url + "/review").get_data(as_text=True)
    assert "登记电话回访" in page and "上年营业收入2000万元以上" in page
    assert client.post_form(url + "/rejection-call", {"satisfaction": "unsatisfied"}).status_code == 302
    case = fresh(case)
    assert case.status == CaseStatus.closed and case.outcome == Outcome.explained
