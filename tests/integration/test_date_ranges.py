"""Issue 24, finding 9: every date a person types has a sensible range, said in Chinese with the field's name."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.casework.models import CaseAssignment
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import Respondent
from app.questionnaires.models import QuestionnaireVersion
from app.rounds.models import Campaign
from tests.integration.test_complaints import as_user, file_complaint, filed
from tests.integration.test_pool_import import csv_bytes, run_import

ABSURD = ["9999-12-31", "1900-01-01"]


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def date_input(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


@pytest.mark.parametrize("typed", ABSURD)
def test_a_complaint_dated_out_of_range_is_refused_with_the_fields_name(client, make_department, typed):
    department = make_department(name="市市场监督管理局")
    response = file_complaint(client, [department.id], occurred_on=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"发生日期须在 2000-01-01 至 {local_today().isoformat()} 之间" in html
    assert count(Complaint) == 0


def test_the_complaint_forms_date_offers_only_the_range(client):
    field = date_input(client.get("/complaints/new").get_data(as_text=True), "occurred_on")
    assert 'min="2000-01-01"' in field and f'max="{local_today().isoformat()}"' in field


def test_a_complaint_dated_today_is_accepted(client, make_department):
    complaint, _number, _code = filed(client, [make_department(name="市税务局").id],
                                      occurred_on=local_today().isoformat())
    assert complaint.occurred_on == local_today()


@pytest.mark.parametrize("typed", ABSURD)
def test_an_assignment_deadline_out_of_range_is_refused(app, client, make_department, make_user, typed):
    department = make_department(name="市市场监督管理局")
    _complaint, number, _code = filed(client, [department.id])
    office = as_user(app, make_user("complaints"))
    office.post_form(f"/admin/complaints/{number}/accept")
    response = office.post_form(f"/admin/complaints/{number}/assign", {"departments": [department.id],
                                                                      "due_on": typed}, follow_redirects=True)
    assert "办理期限须在" in response.get_data(as_text=True)
    assert count(CaseAssignment) == 0


@pytest.fixture
def operator(app, make_user):
    browser = app.test_client()
    assert browser.post_form("/login", {"username": make_user("operator").username,
                                        "password": "correct horse battery"}).status_code == 302
    return browser


@pytest.mark.parametrize("field,typed", [("closes_on", "9999-12-31"), ("closes_on", "1900-01-01"),
                                         ("opens_on", "9999-12-31"), ("opens_on", "1900-01-01")])
def test_a_round_dated_out_of_range_is_refused(app, operator, make_department, field, typed):
    department = make_department("SCJG", "市市场监督管理局")
    campaign = Campaign(month="2026-12", title="十二月")
    db.session.add(campaign)
    db.session.commit()
    version = db.session.scalars(select(QuestionnaireVersion)).first()
    data = {"questionnaire_version_id": str(version.id), "department_ids": [str(department.id)],
            "opens_on": "", "closes_on": (local_today() + timedelta(days=14)).isoformat(), "link_mode": "code",
            "sms_template_code": "SMS_1",
            "sms_template_text": "【营商办】${name}您好，请登录 https://pj.example.gov.cn/s 输入${code}，${deadline}截止。回复TD退订",
            "max_reminders": "2", "reminder_spacing_days": "3", field: typed}
    response = operator.post_form(f"/admin/rounds/{campaign.id}/setup", data, follow_redirects=True)
    label = {"closes_on": "截止日期", "opens_on": "开始日期"}[field]
    assert f"{label}须在" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Campaign, campaign.id)
    assert stored.closes_on is None and stored.opens_on is None and stored.departments == []


@pytest.mark.parametrize("path", ["/admin/audit/?start={day}", "/admin/audit/?end={day}",
                                  "/admin/audit/export.csv?start={day}",
                                  "/admin/realtime/?start={day}", "/admin/realtime/points?end={day}",
                                  "/admin/complaints/analysis?start={day}&end={day}"])
@pytest.mark.parametrize("day", ABSURD)
def test_report_filters_out_of_range_say_so_instead_of_failing(app, make_user, path, day):
    role = "auditor"
    browser = app.test_client()
    assert browser.post_form("/login", {"username": make_user(role).username,
                                        "password": "correct horse battery"}).status_code == 302
    response = browser.get(path.format(day=day))
    assert response.status_code == 200
    if path.startswith("/admin/audit/export"):  # the file, with the filter ignored: its header row at least
        assert response.mimetype == "text/csv" and response.get_data()
    else:
        html = response.get_data(as_text=True)
        assert "须在 2000-01-01 至" in html and "已忽略该筛选条件" in html


def test_report_filters_offer_only_the_range(app, make_user):
    browser = app.test_client()
    assert browser.post_form("/login", {"username": make_user("auditor").username,
                                        "password": "correct horse battery"}).status_code == 302
    for path in ("/admin/audit/", "/admin/realtime/"):
        field = date_input(browser.get(path).get_data(as_text=True), "start")
        last = (local_today() + timedelta(days=366)).isoformat()  # a filter may look up to a year ahead
        assert 'min="2000-01-01"' in field and f'max="{last}"' in field, path


@pytest.mark.parametrize("typed", ABSURD)
def test_a_pool_import_with_an_enrolment_date_out_of_range_imports_nothing(app, typed):
    rows = [["张伟", "四上企业", "高新区", "星河电子有限公司", "13800000001", "2024-05-01"],
            ["李娜", "sme", "城关区", "李记餐饮", "13800000002", typed]]
    plan, result = run_import(csv_bytes(rows, header=["姓名", "类别", "区县", "单位", "手机", "入库日期"]))
    assert result is None and count(Respondent) == 0
    assert [(e.row, e.column) for e in plan.errors] == [(3, "enrolled_on")]
    assert "须在 2000-01-01 至" in plan.errors[0].reason and "入库日期" in plan.errors[0].reason
