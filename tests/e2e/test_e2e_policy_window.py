"""Issue 18 end to end, in the browser.

1. An application: the push SMS link → the enterprise starts its application on a 390×844 phone (no JavaScript),
   declares its figure, uploads a scan and hands the draft in → window staff tick the materials received and ask
   for the missing one, once, all at once (一次性告知) → the enterprise reads the list on its tracking page and brings
   it to the window → the window accepts and refers it to the department → the department's liaison decides in its
   one inbox → the window reviews the decision → the payment is recorded → the enterprise confirms receipt on its
   tracking page ("已确认到位"), which closes the engine's case.
2. A 免申即享 batch: window staff run the match, take one enterprise off the list with a reason and make the batch
   (one case and one SMS per enterprise); one enterprise accepts the offer on its phone, another declines; the
   window reviews the accepted one, records its payment, and the enterprise confirms receipt.

Every new page passes axe-core; the enterprise's pages need no JavaScript and stay light (≤30 KB each)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.casework.deadlines import due_date
from app.casework.models import CaseStatus, Confirmation, Outcome
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.phones import current_vault, mask
from app.policy import catalogue, matching, push
from app.policy.catalogue import ItemContent, PolicyFields
from app.policy.models import DeliveryMode, ItemKind, PolicyLevel, PolicyWindow
from app.policy_window.models import (
    AutomaticBatch,
    Consent,
    Decision,
    Origin,
    PolicyCase,
    PolicyPayment,
    Receipt,
    Stage,
    WindowPost,
)
from app.profiles.models import EnterpriseProfile
from app.sms.models import SmsOutbox
from eligibility.uscc import check_character
from tests.e2e.support import expect, log_in, zh

BUDGET = 30 * 1024
PDF = b"%PDF-1.4\n% scan of a material for the browser test\n" + b"0" * 256 + b"\n%%EOF\n"
ENTERPRISE = "瑞丰精密机械有限公司"
MATERIALS = ["申请表", "营业执照复印件", "研发费用专项审计报告"]
MISSING = "研发费用专项审计报告"
LINK = re.compile(r"/w/[A-Za-z0-9_-]+")


def _profile(n: int, name: str, phone: str, revenue: float | None) -> EnterpriseProfile:
    first = f"9133010{n:010d}"
    vault = current_vault()
    today = local_today().isoformat()
    return EnterpriseProfile(
        uscc=first + check_character(first), name=name, district="高新区", size="小型", revenue=revenue,
        qualifications=[{"name": "高新技术企业", "valid_to": None}],
        field_updated={key: today for key in ("revenue", "size", "qualifications")},
        contact_name="王经理", contact_phone=vault.seal(phone), contact_phone_hash=vault.lookup_hash(phone),
        contact_phone_masked=mask(phone), registered_on=date(2019, 5, 1))


def _city_window() -> PolicyWindow:
    window = PolicyWindow(name="市政务服务中心惠企政策兑现专窗", district="", address="市民中心二楼东区18号窗口",
                          hours="工作日 9:00—17:30", phone="0710-12345018")
    db.session.add(window)
    db.session.flush()
    return window


def _item(department, name: str, mode: DeliveryMode, amount: str, materials: list[str], budget: str):
    policy = catalogue.create_policy(PolicyFields(title="关于支持科技型企业高质量发展的若干措施", issuer="市人民政府",
                                                  level=PolicyLevel.city, doc_number="X政发〔2026〕12号"))
    item = catalogue.create_item(policy, ItemContent(
        name=name, kind=ItemKind.grant, department_id=department.id, mode=mode, benefit_kind="fixed",
        amount=Decimal(amount), budget=Decimal(budget), promised_days=15, materials=materials,
        rules=[{"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上", "legal_ref": "第四条"}]))
    catalogue.publish(item)  # matched against every profile on publishing
    return item


def click(page, action: str) -> None:
    """Press the submit button of the form posting to ``action`` (the end of its URL)."""
    page.locator(f"form[action$='{action}'] button[type=submit]").first.click()


def flash(page, text: str) -> None:
    expect(page.locator("main")).to_contain_text(text)


def sms(kind: str, news: str = "") -> list[SmsOutbox]:
    db.session.expire_all()
    query = select(SmsOutbox).where(SmsOutbox.kind == kind).order_by(SmsOutbox.id)
    return [m for m in db.session.scalars(query) if news in m.text]


def track_light(page, path: str) -> None:
    """Open the enterprise's page without JavaScript: it must transfer less than the budget."""
    response = page.goto(path)
    assert response.ok and len(response.body()) < BUDGET, (path, len(response.body()))
    assert page.locator("script").count() == 0


def test_an_application_goes_from_the_push_link_to_the_confirmed_payment(
        app, monkeypatch, session, live_server, make_user, make_department):
    # In life the chain takes weeks; here it takes one day, past the daily cap of 3 SMS per number.
    monkeypatch.setitem(app.config, "SMS_DAILY_CAP_PER_NUMBER", 10)
    department = make_department("KJJ", "市科学技术局")
    make_user("liaison", username="liaison-kjj", department=department)
    clerk = make_user("window", username="window-city")
    window = _city_window()
    db.session.add(WindowPost(user_id=clerk.id, window_id=window.id))
    db.session.add(_profile(1, ENTERPRISE, "+8613800138001", 3200))
    item = _item(department, "高新技术企业研发奖励", DeliveryMode.review, "30", MATERIALS, "100")
    db.session.commit()
    push.send(matching.latest_run(item.current), push.Criteria())
    a11y = session.a11y

    # ---- the push SMS link: the enterprise starts its application on its phone (no JavaScript needed)
    message = sms("policy_push")[0]
    link = re.search(r"/p/[A-Za-z0-9_-]+", message.text).group(0)
    phone = session.phone(javascript=False)
    track_light(phone, link)
    assert phone.viewport_size == {"width": 390, "height": 844}
    click(phone, "/apply")
    expect(phone).to_have_url(LINK)
    tracking = LINK.search(phone.url).group(0)
    main = phone.locator("main")
    expect(main).to_contain_text(zh("Being filled in"))
    for name in MATERIALS:
        expect(main).to_contain_text(name)
    checked = session.phone()
    checked.goto(tracking)
    a11y.check(checked, "window: the enterprise's draft")
    phone.fill("#fig_revenue", "3500")
    phone.select_option("#material", "申请表")
    phone.set_input_files("#files", files=[{"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    click(phone, "/draft")
    flash(phone, zh("Saved."))
    expect(main).to_contain_text("申请表.pdf")
    click(phone, "/submit")
    expect(main).to_contain_text(zh("At the window"))
    case = db.session.scalar(select(PolicyCase))
    number = case.tracking_number
    assert case.origin == Origin.online and case.declared == {"revenue": 3500.0} and case.eligibility == "eligible"

    # ---- window staff take the materials and ask for the missing one, once
    staff = session.desktop()
    log_in(staff, "window-city")
    staff.goto("/admin/window/")
    row = staff.locator("main table tbody tr").filter(has_text=number)
    expect(row).to_have_count(1)
    a11y.check(staff, "window: the work queue")
    row.locator(f"a[href$='/cases/{number}']").first.click()
    expect(staff.locator("h1")).to_contain_text(number)
    a11y.check(staff, "window: the application at intake")
    for name in MATERIALS[:2]:
        staff.locator(f"form[action$='/materials'] input[name=received][value='{name}']").check()
    click(staff, "/materials")
    flash(staff, zh("The materials are recorded."))
    expect(staff.locator("form[action$='/supplement'] input[name=missing]")).to_have_count(1)
    staff.locator(f"input[name=missing][value='{MISSING}']").check()
    staff.fill("#note", "请提供2025年度研发费用专项审计报告原件及复印件。")
    click(staff, "/supplement")
    flash(staff, zh("The missing materials are requested, all at once."))
    expect(staff.locator("h1 .badge")).to_have_text(zh("Materials missing"))
    assert len(sms("policy_case", "需补正材料")) == 1

    # ---- the enterprise reads the list on its tracking page, then brings the report to the window
    track_light(phone, tracking)
    expect(main).to_contain_text(zh("Materials missing"))
    expect(phone.locator("form[action$='/hand-in']")).to_contain_text(MISSING)
    expect(main).to_contain_text("请提供2025年度研发费用专项审计报告原件及复印件。")
    checked.goto(tracking)
    a11y.check(checked, "window: the enterprise's list of missing materials")
    staff.reload()
    staff.locator(f"form[action$='/hand-in'] input[name=handed_in][value='{MISSING}']").check()
    staff.set_input_files("form[action$='/hand-in'] input[type=file]",
                          files=[{"name": "审计报告.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    click(staff, "/hand-in")
    flash(staff, zh("The materials handed in are recorded."))
    expect(staff.locator("h1 .badge")).to_have_text(zh("At the window"))

    # ---- accept: the application goes to the department, due in the item's promised working days
    click(staff, "/accept")
    expect(staff.locator("h1 .badge")).to_have_text(zh("With the department"))
    due_on = due_date(local_today(), 15)
    expect(staff.locator("main table").filter(has_text=department.name)).to_contain_text(due_on.isoformat())
    assert len(sms("policy_case", "已受理")) == 1
    track_light(phone, tracking)
    expect(main).to_contain_text(zh("With the department"))
    expect(main).to_contain_text(zh("Handled by: %(who)s", who=department.name))
    expect(main).to_contain_text(zh("Deadline: %(day)s", day=str(due_on)))

    # ---- the liaison decides in the one inbox
    desk = session.desktop()
    log_in(desk, "liaison-kjj")
    desk.goto("/admin/inbox")
    inbox_row = desk.locator("#inbox tbody tr").filter(has_text=number)
    expect(inbox_row).to_have_count(1)
    inbox_row.locator("a").first.click()
    expect(desk.locator("main")).to_contain_text(zh("The department's decision"))
    a11y.check(desk, "window: the liaison's decision form")
    desk.locator("input[name=decision][value=approved]").check()
    desk.fill("#amount", "30")
    desk.fill("#note", "经审核，符合条件，按标准给予奖励。")
    click(desk, "/decisions/assignment/" + str(case.lead_assignment.id))
    expect(desk.locator("#inbox tbody tr").filter(has_text=number)).to_have_count(0)

    # ---- the window reviews the decision; it goes out
    staff.goto(f"/admin/window/decisions/{number}/review")
    a11y.check(staff, "window: the review of the decision")
    staff.locator("input[name=verdict][value=confirm]").check()
    click(staff, "/review")
    flash(staff, zh("The decision is sent to the enterprise."))
    assert len(sms("policy_case", "已有办理结果")) == 1

    # ---- the payment is recorded
    staff.goto(f"/admin/window/decisions/{number}/payments")
    a11y.check(staff, "window: payment and delivery")
    staff.fill("#amount", "30")
    staff.fill("#paid_on", local_today().isoformat())
    staff.fill("#voucher", "KJJ-2026-0815")
    click(staff, "/payments")
    flash(staff, zh("The payment is recorded."))
    expect(staff.locator("main table tbody tr")).to_contain_text("KJJ-2026-0815")
    assert len(sms("policy_case", "已兑现")) == 1

    # ---- the enterprise sees the decision and the payment, and confirms receipt
    track_light(phone, tracking)
    expect(main).to_contain_text(zh("Paid, awaiting confirmation of receipt"))
    expect(main).to_contain_text(zh("Approved"))
    expect(main).to_contain_text(zh("Voucher: %(voucher)s", voucher="KJJ-2026-0815"))
    checked.goto(tracking)
    a11y.check(checked, "window: the enterprise confirms receipt")
    phone.locator("input[name=satisfaction][value=satisfied]").check()
    click(phone, "/receipt")
    flash(phone, zh("Thank you for confirming."))
    expect(phone.locator("main .card .lead")).to_have_text(zh("Received"))
    assert zh("Received") == "已确认到位"
    session.screenshot(phone, "-enterprise")

    # ---- what is kept
    db.session.expire_all()
    case = db.session.get(PolicyCase, case.id)
    assert case.stage == Stage.delivered and case.receipt == Receipt.link
    assert case.status == CaseStatus.closed and case.confirmation == Confirmation.raiser
    assert case.outcome == Outcome.solved
    assert case.decision == Decision.approved and case.approved_amount == Decimal("30")
    assert case.supplement_requests == 1 and case.visits == 1  # handed in online, came once with the report
    assert case.paid_total == Decimal("30") and len(case.payments) == 1
    assert [m["received"] for m in case.materials] == [True, True, True]
    session.screenshot(staff)


def test_a_batch_without_application_goes_from_the_match_to_the_payment(
        app, monkeypatch, session, live_server, make_user, make_department):
    monkeypatch.setitem(app.config, "SMS_DAILY_CAP_PER_NUMBER", 10)  # the whole offer in one day (see above)
    department = make_department("KJJ", "市科学技术局")
    clerk = make_user("window", username="window-city")
    window = _city_window()
    db.session.add(WindowPost(user_id=clerk.id, window_id=window.id))
    db.session.add_all([
        _profile(1, "瑞丰精密机械有限公司", "+8613800138001", 3200),  # accepts
        _profile(2, "青禾食品有限公司", "+8613800138002", 2600),  # declines
        _profile(3, "恒远软件有限公司", "+8613800138003", 5100),  # taken off the list
        _profile(4, "星河包装有限公司", "+8613800138004", 900),  # not eligible
    ])
    item = _item(department, "规上企业营收奖励（免申即享）", DeliveryMode.automatic, "5", [], "50")
    db.session.commit()
    taken_off = db.session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.name == "恒远软件有限公司"))
    a11y = session.a11y

    # ---- window staff run the match, review the list, take one off with a reason, make the batch
    staff = session.desktop()
    log_in(staff, "window-city")
    staff.goto(f"/admin/window/automatic/items/{item.id}")
    a11y.check(staff, "window: an item without application")
    staff.locator("form[action*='/match'] button[type=submit]").click()
    rows = staff.locator("form[action$='/batches'] table tbody tr")
    expect(rows).to_have_count(3)
    expect(staff.locator("form[action$='/batches'] table")).not_to_contain_text("星河包装有限公司")
    staff.locator(f"input[name=exclude][value='{taken_off.id}']").check()
    staff.fill(f"input[name='reason-{taken_off.id}']", "已迁出本市")
    expect(staff.locator("form[action$='/batches'] label.confirm-box")).to_be_hidden()
    staff.once("dialog", lambda dialog: dialog.accept())
    click(staff, "/batches")
    expect(staff.locator("h1")).to_contain_text("规上企业营收奖励")
    a11y.check(staff, "window: a batch")
    expect(staff.locator("main")).to_contain_text("已迁出本市")
    batch = db.session.scalar(select(AutomaticBatch))
    assert batch.counts["listed"] == 2 and batch.counts["sent"] == 2 and batch.counts["excluded"] == 1
    offers = sms("policy_case", "可免申享受")
    assert len(offers) == 2
    names = {c.phone_masked: c.profile.name for c in db.session.scalars(select(PolicyCase))}
    links = {names[m.phone_masked]: LINK.search(m.text).group(0) for m in offers}

    # ---- one enterprise accepts on its phone, the other declines
    phone = session.phone(javascript=False)
    accepting = links["瑞丰精密机械有限公司"]
    track_light(phone, accepting)
    main = phone.locator("main")
    expect(main).to_contain_text(zh("Awaiting the enterprise's consent"))
    expect(main).to_contain_text("上年营业收入2000万元以上")
    checked = session.phone()
    checked.goto(accepting)
    a11y.check(checked, "window: the enterprise's offer without application")
    phone.locator("input[name=choice][value=accepted]").check()
    click(phone, "/consent")
    flash(phone, zh("Thank you: your answer was recorded."))
    expect(main).to_contain_text(zh("Decision under the window's review"))
    other = session.phone(javascript=False)
    track_light(other, links["青禾食品有限公司"])
    other.locator("input[name=choice][value=declined]").check()
    click(other, "/consent")
    expect(other.locator("main")).to_contain_text(zh("Declined by the enterprise"))

    # ---- the window reviews the accepted one and records its payment
    case = db.session.scalar(select(PolicyCase).join(PolicyCase.profile)
                             .where(EnterpriseProfile.name == "瑞丰精密机械有限公司"))
    number = case.tracking_number
    staff.goto(f"/admin/window/decisions/{number}/review")
    a11y.check(staff, "window: the review of an accepted offer")
    staff.locator("input[name=verdict][value=confirm]").check()
    click(staff, "/review")
    flash(staff, zh("The decision is sent to the enterprise."))
    staff.goto(f"/admin/window/decisions/{number}/payments")
    staff.fill("#amount", "5")
    staff.fill("#paid_on", local_today().isoformat())
    staff.fill("#voucher", "KJJ-MS-0001")
    click(staff, "/payments")
    flash(staff, zh("The payment is recorded."))

    # ---- the enterprise confirms receipt
    track_light(phone, accepting)
    expect(main).to_contain_text(zh("Voucher: %(voucher)s", voucher="KJJ-MS-0001"))
    phone.locator("input[name=satisfaction][value=satisfied]").check()
    click(phone, "/receipt")
    expect(phone.locator("main .card .lead")).to_have_text(zh("Received"))
    session.screenshot(phone, "-enterprise")

    # ---- the batch page shows each answer, stage and payment
    staff.goto(f"/admin/window/automatic/batches/{batch.id}")
    accepted_row = staff.locator("main table tbody tr").filter(has_text="瑞丰精密机械有限公司")
    expect(accepted_row).to_contain_text(zh("Received"))
    expect(staff.locator("main table tbody tr").filter(has_text="青禾食品有限公司")).to_contain_text(
        zh("Declined by the enterprise"))
    a11y.check(staff, "window: the batch with its answers and payment")
    session.screenshot(staff)

    db.session.expire_all()
    cases = {c.profile.name: c for c in db.session.scalars(select(PolicyCase))}
    assert set(cases) == {"瑞丰精密机械有限公司", "青禾食品有限公司"}
    paid = cases["瑞丰精密机械有限公司"]
    assert paid.origin == Origin.automatic and paid.consent == Consent.accepted
    assert paid.stage == Stage.delivered and paid.status == CaseStatus.closed and paid.paid_total == Decimal("5")
    assert paid.visits == 0  # never came to the window
    # In the engine, the decision prepared with the batch is the responsible department's answer.
    assert paid.lead_assignment.department_id == department.id and paid.lead_assignment.replied_at is not None
    declined = cases["青禾食品有限公司"]
    assert declined.stage == Stage.declined and declined.consent == Consent.declined
    assert db.session.scalar(select(PolicyPayment.amount)) == Decimal("5.00")
