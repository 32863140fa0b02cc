"""The policy officer's catalogue: policies, items and their versions, publishing, windows and investment promises."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.calendar import local_today
from app.policy import catalogue, promises
from app.policy.catalogue import ItemContent, PolicyError, PolicyFields
from app.policy.models import (
    DeliveryMode,
    InvestmentPromise,
    ItemKind,
    ItemStatus,
    PolicyItem,
    PolicyItemVersion,
    PolicyLevel,
    PolicyMatchRun,
    PolicyWindow,
    PromiseStatus,
)
from app.profiles.models import EnterpriseProfile
from eligibility.uscc import check_character


def uscc(n: int) -> str:
    first = f"9111000010000{n:04d}"
    return first + check_character(first)


@pytest.fixture
def officer(make_user, login):
    user = make_user("policy", username="officer")
    login(user)
    return user


@pytest.fixture
def policy(app):
    made = catalogue.create_policy(PolicyFields(title="关于支持科技型企业发展的若干措施", issuer="市人民政府",
                                                level=PolicyLevel.city, doc_number="X政发〔2026〕12号"))
    db.session.commit()
    return made


def content(department_id: int, **changes) -> ItemContent:
    values = dict(name="高新技术企业认定奖励", kind=ItemKind.grant, department_id=department_id,
                  mode=DeliveryMode.review, benefit_kind="fixed", amount=Decimal("30.00"), promised_days=15,
                  materials=["申请表", "营业执照复印件"],
                  rules=[{"expression": "{qualifications} contains '高新技术企业'", "label": "持有高新技术企业证书",
                          "legal_ref": "第三条"}],
                  reviews=[{"label": "近三年无重大安全事故", "legal_ref": "第五条"}])
    values.update(changes)
    return ItemContent(**values)


def item_form(department_id: int, **changes) -> dict:
    data = {"name": "高新技术企业认定奖励", "kind": "grant", "department_id": department_id, "mode": "review",
            "benefit_kind": "fixed", "amount": "30", "promised_days": "15", "materials": "申请表\n营业执照复印件",
            "rules-0-expression": "{revenue} >= 2000", "rules-0-label": "上年营业收入2000万元以上",
            "rules-0-legal_ref": "第三条", "rules-1-expression": "", "rules-1-label": "", "rules-1-legal_ref": "",
            "reviews-0-label": "近三年无重大安全事故", "reviews-0-legal_ref": "第五条",
            "reviews-1-label": "", "reviews-1-legal_ref": ""}
    data.update(changes)
    return data


def test_officer_creates_a_policy_and_an_item_then_publishes_it(client, officer, make_department):
    department = make_department(name="市科技局")
    response = client.post_form("/admin/policy/policies/new", {
        "title": "关于支持科技型企业发展的若干措施", "issuer": "市人民政府", "level": "city",
        "doc_number": "X政发〔2026〕12号", "source_url": "https://www.example.gov.cn/zcwj/12.html"})
    assert response.status_code == 302
    policy_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    response = client.post_form(f"/admin/policy/policies/{policy_id}/items/new", item_form(department.id))
    assert response.status_code == 302
    item = db.session.scalar(select(PolicyItem))
    assert item.code == f"ZC{policy_id:04d}-01"
    assert item.status == ItemStatus.draft
    assert item.current.rules == [{"expression": "{revenue} >= 2000", "label": "上年营业收入2000万元以上",
                                   "legal_ref": "第三条"}]
    assert item.current.materials == ["申请表", "营业执照复印件"]
    page = client.get(f"/admin/policy/items/{item.id}").get_data(as_text=True)
    assert "上年营业收入2000万元以上" in page and "草稿" in page

    response = client.post_form(f"/admin/policy/items/{item.id}/publish", {"confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == ItemStatus.published and item.current.published_at is not None
    catalogue_page = client.get("/admin/policy/?status=published").get_data(as_text=True)
    assert item.code in catalogue_page and "已发布" in catalogue_page
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"policy.create", "policy.item.create", "policy.item.publish"} <= actions


def test_the_rules_editor_shows_the_error_next_to_the_row_and_saves_nothing(client, officer, policy,
                                                                             make_department):
    department = make_department()
    response = client.post_form(f"/admin/policy/policies/{policy.id}/items/new",
                                item_form(department.id, **{"rules-0-expression": "{turnover} >= 2000"}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = page.split('id="rules-0-expression-error">', 1)[1].split("</p>", 1)[0]
    assert "{turnover}" in error  # eligibility.evaluation.rule_errors: not a profile field
    assert db.session.scalar(select(PolicyItem)) is None


def test_publishing_refuses_invalid_rules_with_the_rules_error(client, officer, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id, rules=[
        {"expression": "{revenue} >= '很多'", "label": "营业收入很多", "legal_ref": "第二条"}]))
    db.session.commit()
    with pytest.raises(PolicyError, match="营业收入很多"):
        catalogue.publish(item)
    db.session.rollback()
    response = client.post_form(f"/admin/policy/items/{item.id}/publish", {"confirm": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "营业收入很多" in page and "{revenue}" in page
    db.session.refresh(item)
    assert item.status == ItemStatus.draft


def test_publishing_checks_the_benefit_and_the_promised_days(app, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id, benefit_kind="rate", amount=None, rate=Decimal("5"),
                                                 rate_base="", cap=None))
    with pytest.raises(PolicyError, match="封顶|上限|比例"):
        catalogue.publish(item)
    item = catalogue.create_item(policy, content(department.id, promised_days=0))
    with pytest.raises(PolicyError, match="1"):
        catalogue.publish(item)


def test_editing_a_draft_changes_it_in_place(client, officer, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    db.session.commit()
    response = client.post_form(f"/admin/policy/items/{item.id}/edit", item_form(department.id, name="改过的名称"))
    assert response.status_code == 302
    versions = list(db.session.scalars(select(PolicyItemVersion)))
    assert len(versions) == 1 and versions[0].name == "改过的名称" and versions[0].number == 1


def test_editing_a_published_item_makes_version_2_and_leaves_version_1_and_its_match_run(client, officer, policy,
                                                                                       make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    catalogue.publish(item)
    first = item.current
    run = PolicyMatchRun(item_version_id=first.id, as_of=local_today(), profiles=3, counts={"eligible": 3})
    db.session.add(run)
    db.session.commit()
    first_id, first_rules = first.id, list(first.rules)

    response = client.post_form(f"/admin/policy/items/{item.id}/edit", item_form(
        department.id, amount="50", **{"rules-0-expression": "{revenue} >= 5000",
                                       "rules-0-label": "上年营业收入5000万元以上"}))
    assert response.status_code == 302
    db.session.expire_all()
    item = db.session.get(PolicyItem, item.id)
    assert item.status == ItemStatus.published
    assert item.current.number == 2 and item.current.amount == Decimal("50.00")
    assert item.current.published_at is not None
    old = db.session.get(PolicyItemVersion, first_id)
    assert old.number == 1 and old.amount == Decimal("30.00") and old.rules == first_rules
    assert db.session.get(PolicyMatchRun, run.id).item_version_id == first_id
    page = client.get(f"/admin/policy/items/{item.id}?version=1").get_data(as_text=True)
    assert "持有高新技术企业证书" in page  # version 1's content, read-only
    assert "policy.item.version" in set(db.session.scalars(select(AuditEntry.action)))


def test_a_published_items_new_version_must_be_valid(app, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    catalogue.publish(item)
    with pytest.raises(PolicyError):
        catalogue.edit_item(item, content(department.id, rules=[{"expression": "{nothing} > 1", "label": "x"}]))
    assert len(item.versions) == 1


def test_repeal_needs_a_reason_and_expired_policies_expire_their_items(client, officer, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    catalogue.publish(item)
    db.session.commit()
    client.post_form(f"/admin/policy/items/{item.id}/repeal", {"confirm": "y", "reason": ""})
    db.session.refresh(item)
    assert item.status == ItemStatus.published
    client.post_form(f"/admin/policy/items/{item.id}/repeal", {"confirm": "y", "reason": "上位政策已废止"})
    db.session.refresh(item)
    assert item.status == ItemStatus.repealed

    other = catalogue.create_item(policy, content(department.id, name="另一事项"))
    catalogue.publish(other)
    policy.valid_to = local_today() - timedelta(days=1)
    db.session.commit()
    assert catalogue.shown_status(other, local_today()) == ItemStatus.expired
    assert "已到期" in client.get(f"/admin/policy/items/{other.id}").get_data(as_text=True)
    assert [i.code for i in catalogue.expire_due(local_today())] == [other.code]
    assert other.status == ItemStatus.expired


def test_a_source_link_must_be_http_or_https(client, officer):
    response = client.post_form("/admin/policy/policies/new", {
        "title": "某政策", "issuer": "市政府", "level": "city", "source_url": "javascript:alert(1)"})
    assert response.status_code == 200
    assert "http://" in response.get_data(as_text=True)
    with pytest.raises(PolicyError):
        catalogue.create_policy(PolicyFields(title="t", issuer="i", level=PolicyLevel.city,
                                             source_url="ftp://example.com/a"))


def test_a_policy_attachment_is_checked_by_its_content(app):
    pdf = b"%PDF-1.4\n1 0 obj\n"
    assert catalogue.check_attachment("政策.pdf", pdf).content_type == "application/pdf"
    with pytest.raises(PolicyError):
        catalogue.check_attachment("政策.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(PolicyError):
        catalogue.check_attachment("政策.pdf", b"")


def test_roles_liaison_is_refused_and_anonymous_goes_to_login(client, make_user, login):
    assert client.get("/admin/policy/").status_code in (302, 303)
    assert "/login" in client.get("/admin/policy/").headers["Location"]
    login(make_user("liaison", username="liaison"))
    assert client.get("/admin/policy/").status_code == 403
    assert client.get("/admin/policy/promises").status_code == 403


def test_admin_passes_and_sees_the_menu_entry(client, make_user, login):
    login(make_user("admin", username="boss"))
    response = client.get("/admin/policy/")
    assert response.status_code == 200
    assert "惠企政策" in client.get("/").get_data(as_text=True)


def test_windows_are_added_and_edited(client, officer):
    response = client.post_form("/admin/policy/windows/new", {"name": "市政务服务中心惠企政策兑现专窗",
                                                              "address": "市民中心B座1楼", "hours": "工作日 9:00-17:00",
                                                              "phone": "0571-12345678", "sort_order": "0"})
    assert response.status_code == 302
    window = db.session.scalar(select(PolicyWindow))
    assert window.district == ""
    response = client.post_form(f"/admin/policy/windows/{window.id}/edit", {
        "name": window.name, "district": "高新区", "address": "高新区服务中心", "hours": "", "phone": "", "sort_order": "1"})
    assert response.status_code == 302
    db.session.refresh(window)
    assert window.district == "高新区"
    assert "高新区服务中心" in client.get("/admin/policy/windows").get_data(as_text=True)


def test_overdue_promises_are_listed_first_and_can_be_filtered(client, officer, make_department):
    department = make_department()
    profile = EnterpriseProfile(uscc=uscc(1), name="星河智能制造有限公司")
    db.session.add(profile)
    db.session.commit()
    today = local_today()
    later = promises.create(profile, title="厂房租金减免", amount=Decimal("120"), due_on=today + timedelta(days=30),
                            department_id=department.id)
    late = promises.create(profile, title="人才公寓配套", amount=None, due_on=today - timedelta(days=3),
                           department_id=department.id)
    done = promises.create(profile, title="设备补助", amount=Decimal("10"), due_on=today - timedelta(days=9),
                           department_id=department.id)
    promises.deliver(done, today - timedelta(days=10))
    db.session.commit()
    page = client.get("/admin/policy/promises").get_data(as_text=True)
    assert page.index("人才公寓配套") < page.index("厂房租金减免") < page.index("设备补助")
    overdue = client.get("/admin/policy/promises?overdue=1").get_data(as_text=True)
    assert "人才公寓配套" in overdue and "厂房租金减免" not in overdue and "设备补助" not in overdue
    assert [p.id for p in db.session.scalars(promises.promises_query(today))] == [late.id, later.id, done.id]


def test_a_promise_is_recorded_by_finding_the_enterprise_then_delivered(client, officer, make_department):
    department = make_department()
    db.session.add(EnterpriseProfile(uscc=uscc(2), name="云栖生物科技有限公司"))
    db.session.commit()
    page = client.get(f"/admin/policy/promises/new?q={uscc(2)}").get_data(as_text=True)
    assert "云栖生物科技有限公司" in page
    profile = db.session.scalar(select(EnterpriseProfile))
    due = (local_today() + timedelta(days=60)).isoformat()
    response = client.post_form("/admin/policy/promises/new", {
        "q": "云栖", "profile_id": profile.id, "title": "研发中心用地保障", "amount": "", "due_on": due,
        "department_id": department.id})
    assert response.status_code == 302
    promise = db.session.scalar(select(InvestmentPromise))
    assert promise.amount is None and promise.status == PromiseStatus.promised
    client.post_form(f"/admin/policy/promises/{promise.id}/cancel", {"confirm": "y", "reason": ""})
    db.session.refresh(promise)
    assert promise.status == PromiseStatus.promised
    client.post_form(f"/admin/policy/promises/{promise.id}/deliver",
                     {"confirm": "y", "delivered_on": local_today().isoformat()})
    db.session.refresh(promise)
    assert promise.status == PromiseStatus.delivered and promise.delivered_on == local_today()


def test_every_page_of_the_catalogue_is_in_chinese(client, officer, policy, make_department):
    from tests.integration.test_language import foreign_words, visible_text

    department = make_department(name="市科技局")
    item = catalogue.create_item(policy, content(department.id, benefit_kind="rate", amount=None, rate=Decimal("5"),
                                                 rate_base="revenue", cap=Decimal("50")))
    catalogue.publish(item)
    catalogue.edit_item(item, content(department.id))
    draft = catalogue.create_item(policy, content(department.id, name="草稿事项", benefit_kind="text",
                                                  benefit_text=""))  # “before it can be published: …”
    profile = EnterpriseProfile(uscc=uscc(3), name="星河智能制造有限公司")
    db.session.add(profile)
    db.session.flush()
    promise = promises.create(profile, title="厂房租金减免", amount=None, due_on=local_today() - timedelta(days=1),
                              department_id=department.id)
    window = PolicyWindow(name="市政务服务中心专窗", address="市民中心", hours="工作日", phone="0571-12345678")
    db.session.add(window)
    db.session.commit()
    pages = ["/admin/policy/", f"/admin/policy/policies/{policy.id}", f"/admin/policy/policies/{policy.id}/edit",
             "/admin/policy/policies/new", f"/admin/policy/policies/{policy.id}/items/new",
             f"/admin/policy/items/{item.id}", f"/admin/policy/items/{item.id}?version=1",
             f"/admin/policy/items/{item.id}/edit", f"/admin/policy/items/{draft.id}", "/admin/policy/import",
             "/admin/policy/windows", "/admin/policy/windows/new", f"/admin/policy/windows/{window.id}/edit",
             "/admin/policy/promises", "/admin/policy/promises?overdue=1", "/admin/policy/promises/new?q=星河",
             f"/admin/policy/promises/{promise.id}"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert foreign_words(visible_text(response.get_data(as_text=True)), {officer.username}) == [], path


def test_flask_policy_expire_expires_the_items_of_ended_policies(runner, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    catalogue.publish(item)
    policy.valid_to = local_today() - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["policy", "expire"])
    assert result.exit_code == 0 and item.code in result.output
    db.session.remove()
    assert db.session.get(PolicyItem, item.id).status == ItemStatus.expired


def test_a_policy_document_is_uploaded_and_downloaded_and_a_program_is_refused(client, officer):
    import io

    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
    response = client.post_form("/admin/policy/policies/new", {
        "title": "某政策", "issuer": "市政府", "level": "county", "attachment": (io.BytesIO(pdf), "政策原文.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    policy_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "政策原文.pdf" in policy_page and "县区" in policy_page
    from app.policy.models import Policy
    policy = db.session.scalar(select(Policy))
    download = client.get(f"/admin/policy/policies/{policy.id}/attachment")
    assert download.data == pdf and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    response = client.post_form("/admin/policy/policies/new", {
        "title": "另一政策", "issuer": "市政府", "level": "city",
        "attachment": (io.BytesIO(b"MZ\x90\x00\x03"), "政策.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 200 and "政策.pdf" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 1


def test_the_editor_shows_the_saved_conditions_and_more_rows_on_request(client, officer, policy, make_department):
    department = make_department()
    item = catalogue.create_item(policy, content(department.id))
    db.session.commit()
    page = client.get(f"/admin/policy/items/{item.id}/edit").get_data(as_text=True)
    assert "持有高新技术企业证书" in page and "近三年无重大安全事故" in page and 'value="30.00"' in page
    assert 'name="rules-2-expression"' in page and 'name="rules-3-expression"' not in page  # two blank rows
    response = client.post_form(f"/admin/policy/items/{item.id}/edit",
                                item_form(department.id, name="不应保存", more_rows="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="rules-2-expression"' in page  # a row more, nothing saved
    db.session.refresh(item)
    assert item.current.name == "高新技术企业认定奖励"


def test_publishing_an_item_or_a_new_version_matches_it_against_every_profile(app, policy, make_department):
    department = make_department()
    for n, qualification in enumerate(("高新技术企业", "专精特新", "")):
        db.session.add(EnterpriseProfile(uscc=uscc(n), name=f"企业{n}", district="高新区", qualifications=(
            [{"name": qualification, "valid_to": None}] if qualification else []),
            field_updated={"qualifications": local_today().isoformat()}))
    item = catalogue.create_item(policy, content(department.id, reviews=[]))
    assert db.session.scalar(select(func.count()).select_from(PolicyMatchRun)) == 0  # a draft is not matched
    catalogue.publish(item)
    run = db.session.scalar(select(PolicyMatchRun).where(PolicyMatchRun.item_version_id == item.current.id))
    assert run.profiles == 3 and run.counts["eligible"] == 1 and run.counts["ineligible"] == 2
    version = catalogue.edit_item(item, content(department.id, reviews=[], rules=[
        {"expression": "{qualifications} contains '专精特新'", "label": "专精特新企业", "legal_ref": "第四条"}]))
    assert version.number == 2
    newer = db.session.scalar(select(PolicyMatchRun).where(PolicyMatchRun.item_version_id == version.id))
    assert newer.counts["eligible"] == 1 and newer.id != run.id
