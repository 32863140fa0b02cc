"""The answer export of a closed round: one column per answer key, Chinese headers, anonymous rows, no free text,
no small departments; for HR and the auditor only, and recorded."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.departments.models import Department
from app.extensions import db
from app.questionnaires import service as questionnaires
from app.responses.models import Response, ResponseAnswer
from app.rounds import service as rounds
from questionnaire.answer_table import columns
from questionnaire.examples import new_types_questionnaire
from tests.integration.survey_helpers import open_round

FREE_TEXT = "我家住在城关区幸福路十二号"  # a comment that would identify its writer


def respondent(i: int) -> list[tuple[str, object]]:
    """The answers outside the department block of respondent ``i``."""
    return [("visited_on", f"2024-05-{i + 1:02d}"), ("district", "d02"), ("online_first", "yes" if i % 2 else "no"),
            ("reason", "other"), ("reason.other", f"朋友介绍{i}"), ("helped_by", ["staff", "other"]),
            ("helped_by.other", "邻居"), ("priorities.speed", 1), ("priorities.manner", 3),
            ("priorities.clarity", 2), ("contact.name", f"联系人{i}"), ("reason_more", FREE_TEXT)]


@pytest.fixture
def answered_round(app, make_department):
    """A closed round on the newer types: six responses; five rate SCJG, two rate SWJ (fewer than k)."""
    version = questionnaires.create("新题型", new_types_questionnaire())
    questionnaires.publish(version)
    db.session.commit()
    campaign = open_round(make_department, version=version)
    scjg, swj = (db.session.scalar(select(Department).where(Department.code == code)) for code in ("SCJG", "SWJ"))
    for i in range(6):
        response = Response(campaign_id=campaign.id, questionnaire_version_id=version.id, stratum="sme",
                            inclusion_probability=1.0, submitted_on=date(2026, 11, 3))
        response.answers = [ResponseAnswer(department_id=None, question=k, value=v) for k, v in respondent(i)]
        rated = ([scjg] if i < 5 else []) + ([swj] if i >= 4 else [])
        for dept in rated:
            response.answers += [ResponseAnswer(department_id=dept.id, question="solved", value="yes"),
                                 ResponseAnswer(department_id=dept.id, question="times", value="other"),
                                 ResponseAnswer(department_id=dept.id, question="times.other", value="三次")]
        db.session.add(response)
    rounds.close(campaign, None)
    db.session.commit()
    return campaign


def test_the_answers_export_has_a_chinese_column_per_answer_and_keeps_respondents_apart(
        client, make_user, login, answered_round):
    campaign = answered_round
    doc = campaign.questionnaire_version.document
    login(make_user("hr"))
    page = client.get(f"/admin/assessment/{campaign.id}").get_data(as_text=True)
    assert f"/admin/assessment/{campaign.id}/answers.xlsx" in page and "下载答卷（XLSX）" in page
    response = client.get(f"/admin/assessment/{campaign.id}/answers.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames[:2] == ["答卷", "部门评价"] and len(wb.sheetnames) == 3

    # One column per answer key (the note has none; whatever was typed in the respondent's own words — the free
    # comment, an "other, please specify", the short texts — is left out), headed by the question in Chinese.
    ws = wb["答卷"]
    header = [c.value for c in ws[1]]
    typed = {"reason_more", "reason.other", "helped_by.other"} | {c.key for c in columns(doc, in_block=False)
                                                                 if c.key.startswith("contact.")}
    expected = [c for c in columns(doc, in_block=False) if c.key not in typed]
    assert header == [c.label for c in expected]
    assert "请按重要性排序 · 态度" in header
    rows = [dict(zip([c.key for c in expected], r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(rows) == 6
    assert {r["reason"] for r in rows} == {"other"}  # the choice stays; what was typed beside it does not
    assert {r["helped_by"] for r in rows} == {"staff; other"} and {r["priorities.manner"] for r in rows} == {3}
    assert {r["district"] for r in rows} == {"d02"} and {r["online_first"] for r in rows} == {"yes", "no"}
    # No typed text, no response id, no date of submission anywhere in the workbook.
    cells = [str(v) for sheet in wb for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert not any(FREE_TEXT in v or "朋友介绍" in v or "联系人" in v or v in ("邻居", "三次") for v in cells)
    ids = set(db.session.scalars(select(Response.id)))
    assert not ids & set(cells) and not any("2026-11-03" in v for v in cells)

    # The department block: SCJG's five raters are listed; SWJ's two are not (fewer than k).
    ws = wb["部门评价"]
    block = [c.label for c in columns(doc, in_block=True) if not c.key.endswith(".other")]
    assert [c.value for c in ws[1]] == ["部门代码", "部门", *block]
    listed = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in listed] == ["SCJG"] * 5 and {r[1] for r in listed} == {"市市场监督管理局"}
    method = "\n".join(str(v) for row in wb.worksheets[2].iter_rows(values_only=True) for v in row if v)
    assert "意见发布机制" in method and "其他（请注明）" in method and "少于 5 人" in method and "共 1 个部门" in method

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "assessment.answers_export")).one()
    assert entry.target == f"campaign:{campaign.id}"


def test_the_auditor_finds_the_answers_on_the_round_page_and_other_roles_are_refused(
        client, make_user, login, answered_round):
    campaign = answered_round
    login(make_user("auditor"))
    page = client.get(f"/admin/rounds/{campaign.id}").get_data(as_text=True)
    assert f"/admin/assessment/{campaign.id}/answers.xlsx" in page
    assert client.get(f"/admin/assessment/{campaign.id}/answers.xlsx").status_code == 200
    for role in ("operator", "designer", "liaison", "complaints"):
        client.post_form("/logout", {})
        login(make_user(role))
        assert client.get(f"/admin/assessment/{campaign.id}/answers.xlsx").status_code == 403, role


def test_an_open_round_has_no_answers_export(client, make_user, login, app, make_department):
    campaign = open_round(make_department)
    login(make_user("hr"))
    assert client.get(f"/admin/assessment/{campaign.id}/answers.xlsx").status_code == 404
