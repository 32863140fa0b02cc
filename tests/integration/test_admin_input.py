"""What the admin pages refuse or clean: control characters typed or pasted into a text field, control characters in
an uploaded file's name, errors shown away from their field, and the department-only complaints page."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.casework.models import CaseAttachment
from app.departments.models import Department
from app.extensions import db
from app.pool.models import Respondent, RespondentCategory
from app.questionnaires.models import QuestionnaireVersion
from app.realtime.models import ServicePoint
from app.rounds.models import Campaign
from tests.integration.test_complaints import PNG, as_user, filed
from tests.integration.test_pool_import import ROWS, csv_bytes, run_import
from tests.integration.test_users_admin import NEW_PASSWORD

FLASH = re.compile(r'<div class="flash flash-error" role="alert">(.*?)</div>', re.S)


def field_errors(html: str, field_id: str) -> list[str]:
    """The error messages the page shows under one field."""
    return [unescape(m) for m in re.findall(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)]


def flashed_errors(html: str) -> list[str]:
    return [unescape(m) for m in FLASH.findall(html)]


def names_the_control_character(message: str, label: str, code: str) -> bool:
    return label in message and code in message


@pytest.fixture
def admin_client(client, make_user, login):
    login(make_user("admin"))
    return client


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")


# --------------------------------------------------------------------------- control characters in admin forms

@pytest.mark.parametrize("name,code", [
    ("市税务局\x07", "U+0007"),   # BEL, pasted from a terminal
    ("市\t税务局", "U+0009"),     # a tab has no place in a one-line name
    ("市税务局\x85", "U+0085"),   # NEL, a C1 control
])
def test_a_department_name_with_a_control_character_is_refused(admin_client, make_department, name, code):
    department = make_department(code="SWJ", name="市税务局")
    response = admin_client.post_form(f"/admin/departments/{department.id}/edit", {
        "code": "SWJ", "name": name, "kind": "service", "sort_order": "1", "active": "y"})
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "name")
    assert len(errors) == 1 and names_the_control_character(errors[0], "名称", code)
    db.session.expire_all()
    assert db.session.get(Department, department.id).name == "市税务局"


def test_a_code_ending_in_a_line_break_is_refused(admin_client, make_department):
    """A pattern ending in $ lets a final line break through; the shared check does not."""
    department = make_department(code="SWJ", name="市税务局")
    response = admin_client.post_form(f"/admin/departments/{department.id}/edit", {
        "code": "SWJ2\n", "name": "市税务局", "kind": "service", "sort_order": "1", "active": "y"})
    errors = field_errors(response.get_data(as_text=True), "code")
    assert any(names_the_control_character(e, "编码", "U+000A") for e in errors)
    db.session.expire_all()
    assert db.session.get(Department, department.id).code == "SWJ"


def test_a_pool_member_edit_with_a_control_character_changes_nothing(admin_client):
    run_import(csv_bytes(ROWS))
    before = db.session.scalar(select(Respondent).where(Respondent.key == "P000002"))
    name, organisation = before.name, before.organisation
    response = admin_client.post_form("/admin/pool/members/P000002", {
        "name": "李娜", "category_id": str(before.category_id), "district": "高新区", "organisation": "李\x01记",
        "phone": before.phone_masked})
    assert response.status_code == 200
    errors = field_errors(response.get_data(as_text=True), "organisation")
    assert len(errors) == 1 and names_the_control_character(errors[0], "单位", "U+0001")
    db.session.expire_all()
    after = db.session.scalar(select(Respondent).where(Respondent.key == "P000002"))
    assert (after.name, after.organisation, after.district) == (name, organisation, before.district)


def test_a_category_label_with_a_control_character_is_not_added(client, make_user, login):
    login(make_user("operator"))
    count = db.session.scalar(select(func.count()).select_from(RespondentCategory))
    response = client.post_form("/admin/pool/categories", {
        "key": "street", "label_zh": "街道\x7f商户", "label_en": "", "target": "0", "sort_order": "9"})
    errors = field_errors(response.get_data(as_text=True), "label_zh")
    assert len(errors) == 1 and names_the_control_character(errors[0], "中文名称", "U+007F")
    assert db.session.scalar(select(func.count()).select_from(RespondentCategory)) == count


def test_a_user_display_name_with_a_line_break_is_refused(admin_client):
    response = admin_client.post_form("/admin/users/new", {
        "username": "zhang", "display_name": "张三\r\n", "role": "operator", "department_id": "0",
        "password": NEW_PASSWORD})
    errors = field_errors(response.get_data(as_text=True), "display_name")
    assert len(errors) == 1 and names_the_control_character(errors[0], "显示名称", "U+000D")
    assert db.session.scalar(select(User).where(User.username == "zhang")) is None


def test_a_service_point_name_is_one_line_but_its_items_may_take_several(admin_client, make_department):
    department = make_department()
    point = {"department_id": department.id, "code": "ZW-01", "kind": "window", "active": "y",
             "service_items": "营业执照\r\n\t食品经营许可"}
    refused = admin_client.post_form("/admin/realtime/points/new", {**point, "name": "政务大厅\x1b1号窗口"})
    errors = field_errors(refused.get_data(as_text=True), "name")
    assert len(errors) == 1 and names_the_control_character(errors[0], "名称", "U+001B")
    assert db.session.scalar(select(ServicePoint)) is None
    bad_items = admin_client.post_form("/admin/realtime/points/new", {
        **point, "name": "政务大厅1号窗口", "service_items": "营业执照\x0b食品经营许可"})
    errors = field_errors(bad_items.get_data(as_text=True), "service_items")
    assert len(errors) == 1 and names_the_control_character(errors[0], "办理事项", "U+000B")
    assert db.session.scalar(select(ServicePoint)) is None
    # Line breaks and tabs are what a textarea is for.
    assert admin_client.post_form("/admin/realtime/points/new", {**point, "name": "政务大厅1号窗口"}).status_code == 302
    assert db.session.scalar(select(ServicePoint)).item_list == ["营业执照", "食品经营许可"]


def test_a_round_title_with_a_control_character_is_refused_by_name(client, make_user, login):
    login(make_user("operator"))
    response = client.post_form("/admin/rounds/new", {"month": "2026-11", "title": "十一月\x08评价"},
                                follow_redirects=True)
    errors = flashed_errors(response.get_data(as_text=True))
    assert len(errors) == 1 and names_the_control_character(errors[0], "标题", "U+0008")
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


# --------------------------------------------------------------------------- complaint attachment names

def test_an_attachment_name_is_stored_and_shown_without_control_characters(app, client, make_department,
                                                                          make_user):
    department = make_department(name="市市场监督管理局")
    _complaint, number, _code = filed(client, [department.id], files=[("现场\x07照片\x1b[31m.png", PNG)])
    attachment = db.session.scalar(select(CaseAttachment))
    assert attachment.original_name == "现场照片[31m.png"
    page = as_user(app, make_user("complaints")).get(f"/admin/complaints/{number}").get_data(as_text=True)
    assert "现场照片[31m.png" in page and not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)


# --------------------------------------------------------------------------- errors name their field

def test_round_setup_errors_name_their_field(client, make_user, login, make_department):
    login(make_user("operator"))
    department = make_department()
    campaign = Campaign(month="2026-12", title="十二月")
    db.session.add(campaign)
    db.session.commit()
    version = db.session.scalars(select(QuestionnaireVersion)).first()
    response = client.post_form(f"/admin/rounds/{campaign.id}/setup", {
        "questionnaire_version_id": str(version.id), "department_ids": [str(department.id)], "closes_on": "",
        "link_mode": "code", "sms_template_text": "", "max_reminders": "2", "reminder_spacing_days": "3"},
        follow_redirects=True)
    errors = flashed_errors(response.get_data(as_text=True))
    assert len(errors) == 2
    for label in ("截止日期", "邀请短信内容"):  # "label：error" (": " until the catalog has the new message)
        assert any(re.fullmatch(rf"{label}[:：] ?该字段是必填字段。", e) for e in errors), errors
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).sms_template_text in (None, "")


# --------------------------------------------------------------------------- the department-only complaints page

@pytest.mark.parametrize("role", ["admin", "complaints"])
def test_staff_without_a_department_are_sent_from_assigned_to_the_complaints_list(client, make_user, login, role):
    login(make_user(role))
    response = client.get("/admin/complaints/assigned")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/complaints/")
    assert client.get(response.headers["Location"]).status_code == 200


def test_a_liaison_keeps_the_assigned_page(client, make_user, login):
    login(make_user("liaison"))
    assert client.get("/admin/complaints/assigned").status_code == 200
