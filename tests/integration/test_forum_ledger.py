"""The forum's public ledger, the meeting report and the agenda, counted by hand on a fixed forum
(tests/integration/forum_world.py): no enterprise named unless it agreed, days taken, the filters, the report's
figures and its workbook, publishing, and the open items the next agenda starts with."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.forum import ledger
from app.forum.models import MeetingStatus, ProblemCategory
from app.forum.report import report_sheets, report_xlsx
from tests.integration.forum_world import NAMED, SECRET, SECRET_SUBJECT, TODAY, build


@pytest.fixture
def forum(app, make_department):
    return build(make_department)


def numbers(rows) -> set[str]:
    return {row.number for row in rows}


def ledger_numbers(forum, **filters) -> set[str]:
    query = ledger.ledger_query(ledger.LedgerFilter(**filters), TODAY)
    return {p.tracking_number for p in db.session.scalars(query)}


def names(forum, *keys) -> set[str]:
    return {forum.problems[k].tracking_number for k in keys}


# --------------------------------------------------------------------------- the ledger

def test_the_ledger_holds_the_handled_problems_of_held_meetings_and_filters_them(forum):
    everything = names(forum, "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "q1", "q2", "q3")
    assert ledger_numbers(forum) == everything  # p9 awaits acceptance: nobody has looked at it yet
    m1, m2, _m3 = forum.meetings
    assert ledger_numbers(forum, meeting_id=m2.id) == names(forum, "q1", "q2", "q3")
    assert ledger_numbers(forum, category=ProblemCategory.financing) == names(forum, "p1", "p4", "q1", "q2")
    # A department's problems are those it leads or helps with (q1: co-department B).
    assert ledger_numbers(forum, department_id=forum.dept_a.id) == names(forum, "p1", "p2", "p4", "p7", "p8", "q1",
                                                                          "q2")
    assert ledger_numbers(forum, department_id=forum.dept_b.id) == names(forum, "p3", "p5", "p6", "q1", "q3")
    assert ledger_numbers(forum, stage="overdue") == names(forum, "p6", "q3")
    assert ledger_numbers(forum, stage="open") == names(forum, "p6", "p7", "p8", "q2", "q3")
    assert ledger_numbers(forum, stage="closed") == names(forum, "p1", "p2", "p3", "p4", "p5", "q1")
    assert ledger_numbers(forum, stage="declined") == set()
    assert ledger_numbers(forum, meeting_id=m1.id, category=ProblemCategory.land, stage="overdue") == names(forum,
                                                                                                         "p6")


def test_a_ledger_line_names_the_enterprise_only_when_it_agreed_and_counts_the_days(forum):
    p = forum.problems
    line = ledger.ledger_row(p["p1"], TODAY)
    assert line.enterprise == NAMED and line.outcome.value == "solved" and line.ended
    assert line.days == (date(2026, 7, 1) - date(2026, 6, 10)).days == 21
    assert line.lead == ["市甲局"] and line.co == [] and line.due_on == date(2026, 7, 1)
    same_enterprise = ledger.ledger_row(p["p2"], TODAY)  # the same enterprise, which did not agree this time
    assert same_enterprise.enterprise is None
    overdue = ledger.ledger_row(p["p6"], TODAY)
    assert overdue.enterprise is None and overdue.overdue and not overdue.ended and overdue.outcome is None
    assert overdue.days == (TODAY - date(2026, 6, 1)).days == 183  # still open: counted to today
    spot = ledger.ledger_row(p["p5"], TODAY)
    assert spot.days == 0 and spot.outcome.value == "answered_on_spot"
    both = ledger.ledger_row(p["q1"], TODAY)
    assert both.lead == ["市甲局"] and both.co == ["市乙局"]
    assert ledger.ledger_row(p["p8"], TODAY).reopened
    assert ledger.ledger_row(p["p4"], TODAY).duplicate_of == p["p1"].tracking_number  # the kept problem


def test_the_public_ledger_needs_no_login_and_shows_no_identity_unless_named(forum, client):
    page = client.get("/forum/ledger")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "公开台账" in html and "贷款审批慢" not in html
    assert html.count(NAMED) == 1  # p1 only: the same enterprise's other problems stay unnamed
    assert SECRET not in html and SECRET_SUBJECT not in html
    for key in ("p1", "p6", "q3"):
        assert forum.problems[key].tracking_number in html
    assert forum.problems["p9"].tracking_number not in html
    assert "已解释，不能解决" in html and "现场答复" in html and "逾期" in html
    assert f"合并至 {forum.problems['p1'].tracking_number}" in html  # a duplicate names the kept problem
    assert "<script" not in html  # it works without JavaScript


def test_the_public_ledger_filters_by_query_string(forum, client):
    m1, m2, m3 = forum.meetings
    html = client.get(f"/forum/ledger?department={forum.dept_b.id}&status=overdue").get_data(as_text=True)
    shown = set(re.findall(r"QY\d{8}-\d{4}", html))
    assert shown == names(forum, "p6", "q3")
    one = client.get(f"/forum/ledger/{m2.id}?category=land").get_data(as_text=True)
    assert set(re.findall(r"QY\d{8}-\d{4}", one)) == names(forum, "q3")
    assert "民营经济发展" in one
    # Nonsense in the query string is ignored, not an error.
    assert client.get("/forum/ledger?meeting=x&category=nope&status=%E4%B8%AD&department=-1").status_code == 200
    # A meeting not held yet has no public ledger.
    assert client.get(f"/forum/ledger/{m3.id}").status_code == 404
    assert client.get("/forum/ledger/999999").status_code == 404


def test_a_published_report_shows_its_summary_on_the_meetings_ledger(forum, client):
    m1 = forum.meetings[0]
    m1.report_summary = "本次恳谈会共收集诉求九件。"
    db.session.commit()
    html = client.get(f"/forum/ledger/{m1.id}").get_data(as_text=True)
    assert "本次恳谈会共收集诉求九件。" in html
    assert "受邀企业 2 家（其中自选 1 家、随机抽取 1 家），出席 2 家；收集诉求 9 件。" in html


# --------------------------------------------------------------------------- the report

def test_the_report_figures_match_a_hand_count(forum):
    m1, m2, _m3 = forum.meetings
    report = ledger.meeting_report(m2, TODAY)
    a = report.attendance
    assert (a.invited, a.chosen, a.drawn, a.answered, a.accepted, a.attended) == (4, 2, 2, 3, 2, 2)
    assert (a.attended_chosen, a.attended_drawn) == (1, 1)
    assert (report.problems, report.raised_at_meeting) == (3, 1)
    by_category = {c.value: f.values() for c, f in report.by_category}
    #                        solved, in progress, overdue, explained, other
    assert by_category == {"financing": [1, 1, 0, 0, 0], "land": [0, 0, 1, 0, 0]}
    assert [(line.department.code, line.lead, line.co, line.overdue) for line in report.by_department] == [
        ("FA", 2, 0, 0), ("FB", 1, 1, 1)]
    # The first meeting's nine problems: only solved and partly solved count as solved; explained is apart;
    # duplicate and answered on the spot are other outcomes; the reopened one is in progress again, and so is
    # the one still awaiting acceptance.
    assert [p.meeting.id for p in report.previous] == [m1.id]
    assert report.previous[0].fates.values() == [2, 3, 1, 1, 2]
    assert report.previous_total.values() == [2, 3, 1, 1, 2] and report.previous_total.total == 9
    first = ledger.meeting_report(m1, TODAY)
    assert first.previous == [] and first.problems == 9
    assert [r.number for r in first.rows][-1] == forum.problems["p9"].tracking_number


def test_the_report_workbook_has_chinese_sheets_and_headers_and_the_same_figures(forum):
    report = ledger.meeting_report(forum.meetings[1], TODAY)
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    assert book.sheetnames == ["出席情况", "诉求分类统计", "诉求部门统计", "往期诉求办理情况", "本次会议诉求"]
    attendance = {row[0]: row[1] for row in book["出席情况"].iter_rows(min_row=2, values_only=True)}
    assert attendance["受邀企业"] == 4 and attendance["实际出席"] == 2 and attendance["随机抽取"] == 2
    categories = list(book["诉求分类统计"].iter_rows(values_only=True))
    assert categories[0] == ("类别", "诉求数", "已解决", "办理中", "逾期", "已解释，不能解决", "其他结果")
    assert categories[1:] == [("融资", 2, 1, 1, 0, 0, 0), ("用地", 1, 0, 0, 1, 0, 0)]
    departments = list(book["诉求部门统计"].iter_rows(values_only=True))
    assert departments[1:] == [("市甲局", 2, 0, 0), ("市乙局", 1, 1, 1)]
    previous = list(book["往期诉求办理情况"].iter_rows(values_only=True))
    assert previous[1] == ("2026-06-10", "优化营商环境", 9, 2, 3, 1, 1, 2)
    assert previous[-1][0] == "合计" and previous[-1][2:] == (9, 2, 3, 1, 1, 2)
    problems = list(book["本次会议诉求"].iter_rows(values_only=True))
    assert {row[0] for row in problems[1:]} == names(forum, "q1", "q2", "q3")
    assert all(row[-1] == "未署名" for row in problems[1:])
    assert len(report_sheets(report)) == 5


def staff(app, make_user, role):
    client = app.test_client()
    user = make_user(role)
    assert client.post_form("/login", {"username": user.username, "password": "correct horse battery"}).status_code \
        == 302
    return client


def test_publishing_the_report_needs_the_confirmation_and_a_held_meeting(app, forum, make_user):
    m1, m2, m3 = forum.meetings
    client = staff(app, make_user, "forum")
    page = client.get(f"/admin/forum/meetings/{m2.id}/report").get_data(as_text=True)
    assert "发布报告" in page and "往期会议诉求办理情况" in page
    url = f"/admin/forum/meetings/{m2.id}/report/publish"
    refused = client.post_form(url, {"summary": "会议纪要"})  # the box left unticked
    assert refused.status_code == 302
    db.session.refresh(m2)
    assert m2.status == MeetingStatus.held and m2.report_published_at is None
    done = client.post_form(url, {"summary": "共收集诉求三件，已全部交办。", "confirm": "y"})
    assert done.status_code == 302
    db.session.refresh(m2)
    assert m2.status == MeetingStatus.reported and m2.report_summary == "共收集诉求三件，已全部交办。"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "forum.report_publish")) is not None
    public = app.test_client().get(f"/forum/ledger/{m2.id}").get_data(as_text=True)
    assert "共收集诉求三件，已全部交办。" in public
    # Once only, and never for a meeting not held yet: the organiser is told why.
    for meeting in (m2, m3):
        again = client.post_form(f"/admin/forum/meetings/{meeting.id}/report/publish",
                                 {"summary": "再次", "confirm": "y"}, follow_redirects=True)
        assert "只有已召开的会议才能发布报告。" in again.get_data(as_text=True)
    db.session.refresh(m2)
    db.session.refresh(m3)
    assert m3.status == MeetingStatus.invited and m2.report_summary == "共收集诉求三件，已全部交办。"


def test_the_report_downloads_as_xlsx_and_the_auditor_reads_but_cannot_publish(app, forum, make_user):
    m2 = forum.meetings[1]
    client = staff(app, make_user, "auditor")
    response = client.get(f"/admin/forum/meetings/{m2.id}/report.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert "诉求分类统计" in load_workbook(io.BytesIO(response.data)).sheetnames
    assert "发布报告" not in client.get(f"/admin/forum/meetings/{m2.id}/report").get_data(as_text=True)
    assert client.post_form(f"/admin/forum/meetings/{m2.id}/report/publish",
                            {"confirm": "y"}).status_code == 403


# --------------------------------------------------------------------------- the agenda

def test_the_agenda_starts_with_the_open_items_of_the_previous_meetings_oldest_first(forum):
    p = forum.problems
    m1, m2, m3 = forum.meetings
    items = ledger.open_items(m3, TODAY)
    assert [i.problem.tracking_number for i in items] == [p[k].tracking_number for k in
                                                           ("p6", "p7", "p8", "p9", "q2", "q3")]
    assert items[0].days_open == 183
    assert [i.row.reopened for i in items] == [False, False, True, False, False, False]
    # The second meeting's agenda holds only what the first left open.
    assert [i.problem.tracking_number for i in ledger.open_items(m2, TODAY)] == [
        p[k].tracking_number for k in ("p6", "p7", "p8", "p9")]
    assert ledger.open_items(m1, TODAY) == []


def test_the_agenda_page_shows_the_open_items(app, forum, make_user):
    m3 = forum.meetings[2]
    client = staff(app, make_user, "forum")
    html = client.get(f"/admin/forum/meetings/{m3.id}/agenda").get_data(as_text=True)
    shown = re.findall(r"QY\d{8}-\d{4}", html)
    assert shown[0] == forum.problems["p6"].tracking_number and len(shown) == 6
    assert "重新办理" in html
    assert forum.problems["p1"].tracking_number not in html
    following = client.get("/admin/forum/agenda")
    assert following.status_code == 200
