"""Issue 17 end to end: the policy officer publishes an item (which matches it against every profile), reads the
counts per result and district, previews and sends the push; the enterprise opens the SMS link on a 390×844 phone
and reads what it gets, why it matches (the trace in plain words), what to bring and where to go. The new pages
pass axe-core; the enterprise's page needs no JavaScript and stays light."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.platform.calendar import local_today
from app.platform.phones import current_vault, mask
from app.policy import catalogue
from app.policy.catalogue import ItemContent, PolicyFields
from app.policy.models import DeliveryMode, ItemKind, ItemStatus, PolicyLevel, PolicyNotice, PolicyWindow
from app.profiles.models import EnterpriseProfile
from app.sms.models import SmsOutbox
from eligibility.uscc import check_character
from tests.e2e.support import expect, log_in, zh

BUDGET = 30 * 1024
FIGURES = ("revenue", "size", "qualifications")


def _profile(n: int, name: str, phone: str, revenue: float | None, qualifications: list[str]) -> EnterpriseProfile:
    first = f"9133010{n:010d}"
    vault = current_vault()
    today = local_today().isoformat()
    return EnterpriseProfile(
        uscc=first + check_character(first), name=name, district="高新区", size="小型", revenue=revenue,
        qualifications=[{"name": q, "valid_to": None} for q in qualifications],
        field_updated={key: today for key in FIGURES if key != "revenue" or revenue is not None},
        contact_name="王经理", contact_phone=vault.seal(phone), contact_phone_hash=vault.lookup_hash(phone),
        contact_phone_masked=mask(phone), registered_on=date(2019, 5, 1))


def _confirm(page, action: str) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"form[action$='{action}'] button[type=submit]").first.click()


def test_the_officer_publishes_and_pushes_an_item_and_the_enterprise_reads_it_on_a_phone(
        session, live_server, make_user, make_department):
    department = make_department("KJJ", "市科学技术局")
    make_user("policy", username="officer")
    db.session.add(PolicyWindow(name="市政务服务中心惠企政策兑现专窗", district="", address="市民中心二楼东区18号窗口",
                                hours="工作日 9:00—17:30", phone="0710-12345018"))
    db.session.add_all([
        _profile(1, "瑞丰精密机械有限公司", "+8613800138001", 3200, ["高新技术企业"]),  # eligible (and a review)
        _profile(2, "青禾食品有限公司", "+8613800138002", 800, ["高新技术企业"]),  # revenue too low
        _profile(3, "恒远软件有限公司", "+8613800138003", None, ["高新技术企业"]),  # revenue missing
    ])
    policy = catalogue.create_policy(PolicyFields(title="关于支持科技型企业高质量发展的若干措施", issuer="市人民政府",
                                                  level=PolicyLevel.city, doc_number="X政发〔2026〕12号"))
    item = catalogue.create_item(policy, ItemContent(
        name="高新技术企业研发奖励", kind=ItemKind.grant, department_id=department.id, mode=DeliveryMode.review,
        benefit_kind="fixed", amount=Decimal("30"), promised_days=15, materials=["申请表", "营业执照复印件"],
        rules=[{"expression": "{qualifications} contains '高新技术企业'", "label": "持有有效的高新技术企业证书",
                "legal_ref": "第三条"},
               {"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上", "legal_ref": "第四条"}],
        reviews=[{"label": "近三年无重大安全生产事故", "legal_ref": "第五条"}]))
    db.session.commit()
    a11y = session.a11y

    # ---- the officer publishes the item: it is matched against every profile at once
    staff = session.desktop()
    log_in(staff, "officer")
    staff.goto(f"/admin/policy/items/{item.id}")
    a11y.check(staff, "policy: an item of the catalogue")
    _confirm(staff, "/publish")
    expect(staff.locator("main")).to_contain_text(zh("Published"))
    db.session.expire_all()
    assert catalogue.shown_status(item, local_today()) == ItemStatus.published

    staff.locator(f"a[href$='/admin/policy/push/items/{item.id}']").click()
    a11y.check(staff, "policy: match and push")
    # 符合 0 · 可能符合 1 (a review condition remains) · 缺少信息 1 (no revenue) · 不符合 1 · in all 3
    expect(staff.locator("table tfoot tr td")).to_have_text(["0", "1", "1", "1", "3"])
    expect(staff.locator("main")).to_contain_text("上年营业收入2000万元以上")  # the reason of the one not eligible

    # ---- preview, then send (a confirmation names the number of SMS)
    staff.locator("form:has(input[name=preview]) button[type=submit]").click()
    expect(staff.locator("dl.facts")).to_contain_text("1")
    _confirm(staff, "/send")
    expect(staff.locator("main")).to_contain_text(zh("Past pushes"))
    notices = list(db.session.scalars(select(PolicyNotice)))
    assert len(notices) == 1 and notices[0].profile.name == "瑞丰精密机械有限公司"
    message = db.session.scalar(select(SmsOutbox).where(SmsOutbox.kind == "policy_push"))
    assert "高新技术企业研发奖励" in message.text and message.phone_masked == mask("+8613800138001")
    link = re.search(r"(/p/[A-Za-z0-9_-]+)", message.text).group(1)

    # ---- the enterprise opens the link on its phone: no JavaScript needed, light, its own data only
    phone = session.phone(javascript=False)
    response = phone.goto(link)
    body = response.body()
    assert len(body) < BUDGET
    main = phone.locator("main")
    for text in ("高新技术企业研发奖励", "瑞丰精密机械有限公司", "持有有效的高新技术企业证书", "第三条",
                 "上年营业收入2000万元以上", "近三年无重大安全生产事故", "申请表", "营业执照复印件",
                 "市民中心二楼东区18号窗口", zh("Likely eligible")):
        expect(main).to_contain_text(text)
    for other in ("青禾食品有限公司", "恒远软件有限公司"):
        expect(main).not_to_contain_text(other)
    assert phone.viewport_size == {"width": 390, "height": 844}
    session.screenshot(phone, "-notice")
    checked = session.phone()
    checked.goto(link)
    a11y.check(checked, "policy: the enterprise's item page")
