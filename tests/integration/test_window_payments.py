"""Payment and delivery (issue 18, point 4): payments in parts never above the approved amount, the item's budget
never exceeded without a recorded reason (and both kinds of payment audited), non-money items delivered in words,
and a case "delivered" only when paid AND confirmed — the window's phone confirmation closing the engine's case."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.audit.service import verify_chain
from app.casework.errors import CaseError
from app.casework.models import CaseStatus, Confirmation, Outcome, Satisfaction
from app.extensions import db
from app.platform.calendar import local_today
from app.policy.models import ItemKind
from app.policy_window import budget, decisions, payments
from app.policy_window.models import PolicyCase, Receipt, Stage
from tests.integration.test_policy_match import add_version, make_item
from tests.integration.test_window_decisions import fresh, lead, login_as
from tests.integration.test_window_decisions_world import actions_on, outbox_texts, world  # noqa: F401

TODAY = local_today()


def approved(world, amount="30", revenue=3000, n=0, version=None) -> PolicyCase:
    case = world.open(revenue=revenue, n=n, version=version)
    decisions.decide(lead(case), "approved", amount=amount, amount_reason="经专题会议研究同意",
                     actor=world.liaison)
    decisions.review(case, world.city_staff, True)
    db.session.commit()
    return case


def pay(world, case, amount, reason="", voucher="PZ-2026-001"):
    return payments.record_payment(case, amount, TODAY, voucher, world.cz, world.city_staff,
                                   over_budget_reason=reason)


def test_partial_payments_up_to_the_approved_amount_then_paid_in_full(world):
    case = approved(world, "30")
    with pytest.raises(CaseError):  # not yet approved cases, the future and no voucher are refused
        payments.record_payment(case, "10", TODAY + timedelta(days=1), "PZ-1", world.cz, world.city_staff)
    with pytest.raises(CaseError):
        payments.record_payment(case, "10", TODAY, " ", world.cz, world.city_staff)
    pay(world, case, "10")
    db.session.commit()
    assert case.stage == Stage.approved and case.paid_total == Decimal("10.00")
    assert "已兑现" not in " ".join(outbox_texts())
    with pytest.raises(CaseError, match="20"):  # more than what is left of the approved amount
        pay(world, case, "25", voucher="PZ-2")
    db.session.rollback()
    case = fresh(case)
    pay(world, case, "20", voucher="PZ-2")
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.paid and case.paid_at is not None and case.paid_total == Decimal("30.00")
    assert "已兑现，请确认是否到位" in outbox_texts()[-1]
    with pytest.raises(CaseError):
        pay(world, case, "0.01", voucher="PZ-3")
    assert [e for e in actions_on(case) if e in ("policy.payment", "policy.paid")] == [
        "policy.payment", "policy.payment", "policy.paid"]


def test_payments_only_on_an_approved_case_by_its_window(world):
    case = world.open()
    with pytest.raises(CaseError):
        pay(world, case, "10")
    case = approved(world, "30", n=1)
    with pytest.raises(CaseError):
        payments.record_payment(case, "10", TODAY, "PZ-1", world.cz, world.county_staff)


def test_the_budget_cannot_be_exceeded_silently(world):
    # Budget 40: the first case takes 30, the second's 30 would take it to 60.
    first, second = approved(world, "30"), approved(world, "30", n=1)
    pay(world, first, "30")
    db.session.commit()
    assert budget.used(world.item) == Decimal("30.00") and budget.left(world.item) == Decimal("10.00")
    pay(world, second, "10", voucher="PZ-9")  # up to the budget exactly: fine
    with pytest.raises(payments.OverBudget):
        pay(world, second, "20", voucher="PZ-10")
    with pytest.raises(payments.OverBudget):
        pay(world, second, "20", reason="急", voucher="PZ-10")
    db.session.rollback()
    second = fresh(second)
    assert budget.used(world.item) == Decimal("30.00")
    pay(world, second, "10", voucher="PZ-9")
    pay(world, second, "20", reason="市政府常务会议同意追加预算", voucher="PZ-10")
    db.session.commit()
    assert budget.used(world.item) == Decimal("60.00") and budget.left(world.item) == Decimal("-20.00")
    over = [p for p in fresh(second).payments if p.over_budget_reason]
    assert len(over) == 1 and over[0].over_budget_reason == "市政府常务会议同意追加预算"
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "policy.payment")
                                      .order_by(AuditEntry.id)))
    assert [e.details["over_budget"] for e in entries] == [False, False, True]
    assert entries[-1].details["budget"] == "40.00" and entries[-1].details["budget_used"] == "60.00"
    assert verify_chain().ok


def test_the_budget_is_the_current_versions_drawn_by_every_versions_payments(world):
    case = approved(world, "30")
    pay(world, case, "30")
    version = add_version(world.item, world.kj, "研发投入奖补（2027年修订）", budget=Decimal("100"))
    db.session.commit()
    assert budget.total(world.item) == Decimal("100") and budget.used(world.item) == Decimal("30.00")
    later = approved(world, "50", revenue=9000, n=1, version=version)
    pay(world, later, "50")  # 80 of 100: no reason needed under the new budget
    assert budget.left(world.item) == Decimal("20.00")


def test_a_case_is_delivered_only_when_paid_and_confirmed(world):
    case = approved(world, "30")
    with pytest.raises(CaseError):
        payments.confirm_receipt_by_phone(case, world.city_staff, "satisfied")
    pay(world, case, "30")
    db.session.commit()
    assert case.stage == Stage.paid and case.status != CaseStatus.closed
    with pytest.raises(CaseError):  # a raiser who was not reached is no confirmation
        payments.confirm_receipt_by_phone(case, world.city_staff, Satisfaction.unreachable)
    db.session.rollback()
    case = fresh(case)
    with pytest.raises(CaseError):  # another window may not confirm it
        payments.confirm_receipt_by_phone(case, world.county_staff, "satisfied")
    payments.confirm_receipt_by_phone(case, world.city_staff, "satisfied", "企业财务确认已到账")
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.delivered and case.receipt == Receipt.phone and case.receipt_at is not None
    assert case.status == CaseStatus.closed and case.outcome == Outcome.solved
    assert case.confirmation == Confirmation.staff_call and case.satisfaction == Satisfaction.satisfied
    actions = actions_on(case)
    for action in ("policy.decided", "policy.reviewed", "policy.payment", "policy.paid", "policy.received",
                   "policy.close"):
        assert action in actions, action
    assert verify_chain().ok


def test_the_enterprises_own_confirmation_closes_with_its_rating(world):
    case = approved(world, "30")
    decisions.lead_of(case)
    pay(world, case, "30")
    payments.confirm_receipt(case, Receipt.link, "basically")
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.delivered and case.confirmation == Confirmation.raiser
    assert case.status == CaseStatus.closed and case.satisfaction == Satisfaction.basically


def test_a_non_money_item_records_its_delivery(world):
    item = make_item(world.kj, "ZC-2026-030-02", "专精特新企业认定", kind=ItemKind.qualification,
                     benefit_kind="text", benefit_text="认定为市级专精特新中小企业", rate=None, rate_base="", cap=None)
    db.session.commit()
    case = world.open(version=item.current)
    decisions.decide(lead(case), "approved", actor=world.liaison)
    decisions.review(case, world.city_staff, True)
    with pytest.raises(CaseError):
        pay(world, case, "1")
    with pytest.raises(CaseError):
        payments.record_delivery(case, "", world.city_staff)
    payments.record_delivery(case, "已颁发市级专精特新中小企业证书", world.city_staff)
    db.session.commit()
    case = fresh(case)
    assert case.stage == Stage.paid and case.delivery_note == "已颁发市级专精特新中小企业证书"
    payments.confirm_receipt_by_phone(case, world.officer, "satisfied")
    assert case.stage == Stage.delivered and case.status == CaseStatus.closed
    assert "policy.delivered" in actions_on(case)


# --------------------------------------------------------------------------- the page

def test_the_payment_page_asks_for_the_reason_when_the_budget_would_be_exceeded(world, client):
    first, second = approved(world, "30"), approved(world, "30", n=1)
    pay(world, first, "30")
    db.session.commit()
    login_as(client, world.city_staff)
    url = f"/admin/window/decisions/{second.tracking_number}/payments"
    page = client.get(url).get_data(as_text=True)
    assert "预算" in page and "超预算拨付理由" not in page
    form = {"amount": "30", "paid_on": TODAY.isoformat(), "voucher": "PZ-77", "department": str(world.cz.id)}
    response = client.post_form(url, form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "超预算拨付理由" in page and "超出该事项预算" in page and 'value="PZ-77"' in page
    assert fresh(second).payments == []
    response = client.post_form(url, {**form, "over_budget_reason": "市政府常务会议同意追加预算"})
    assert response.status_code == 302
    second = fresh(second)
    assert second.stage == Stage.paid and second.payments[0].over_budget_reason == "市政府常务会议同意追加预算"
    # The phone confirmation from the same page.
    response = client.post_form(f"/admin/window/decisions/{second.tracking_number}/receipt",
                                {"satisfaction": "satisfied"})
    assert response.status_code == 302 and fresh(second).stage == Stage.delivered
