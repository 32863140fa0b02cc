"""The small-group rule on every channel a department's liaison reads (issue 24, finding 1).

Real-time raters are few at a window: a liaison must not learn when a dissatisfied rater came (to the minute) or how
they rated otherwise, nor read a count or a mean from fewer than k raters, nor get one by subtracting two filters.
The supervising office keeps the full record.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.platform.calendar import local_today
from app.realtime import service as realtime
from app.realtime.models import FollowUpTask, RealtimeRating

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def make_point(app, make_department):
    counter = iter(range(1, 1000))

    def make(department=None):
        n = next(counter)
        point = realtime.create_point(department or make_department(), code=f"K{n:02d}", name=f"{n}号窗口",
                                      kind="window")
        db.session.commit()
        return point

    return make


def last_month() -> tuple[date, date]:
    """The first and last day of the last completed calendar month."""
    end = local_today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(timezone.utc)


def add_rating(point, when: datetime, comment: str = "", **levels) -> RealtimeRating:
    levels = levels or {"overall": 5}
    rating = RealtimeRating(service_point=point, department_id=point.department_id, client_hash="x",
                            created_at=when, comment=comment, **levels)
    db.session.add(rating)
    db.session.flush()
    return rating


def bad_rating(point, when: datetime) -> FollowUpTask:
    rating = add_rating(point, when, "窗口人员态度生硬，材料被退回三次", overall=1, efficiency=3, competence=4, attitude=2)
    realtime.open_follow_up(rating)
    db.session.commit()
    return db.session.scalar(select(FollowUpTask).where(FollowUpTask.rating_id == rating.id))


def rows(html: str) -> str:
    """The table body of a page (what the figures are in)."""
    return re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)


# --------------------------------------------------------------------------- follow-up of a 差评

def test_a_liaison_reads_a_bad_ratings_day_and_comment_but_not_its_minute_nor_its_other_scores(
        client, make_user, login, make_point):
    point = make_point()
    day = last_month()[0] + timedelta(days=2)
    task = bad_rating(point, at(day, 8, 36))
    login(make_user("liaison", department=point.department))
    page = client.get(f"/admin/realtime/follow-ups/{task.id}").get_data(as_text=True)
    assert "窗口人员态度生硬" in page and day.isoformat() in page  # what went wrong, and on which day
    assert "08:36" not in page and not re.search(r"\b\d{2}:\d{2}\b", page)  # not when: no HH:MM at all
    for label in ("整体满意度", "服务效率", "服务水平", "服务态度"):  # nor how the rater answered otherwise
        assert label not in page


def test_the_supervising_office_keeps_the_full_record_of_a_bad_rating(client, make_user, login, make_point):
    point = make_point()
    day = last_month()[0] + timedelta(days=2)
    task = bad_rating(point, at(day, 8, 36))
    login(make_user("hr"))
    page = client.get(f"/admin/realtime/follow-ups/{task.id}").get_data(as_text=True)
    assert f"{day.isoformat()} 08:36" in page
    assert all(label in page for label in ("整体满意度", "服务效率", "服务水平", "服务态度"))


# --------------------------------------------------------------------------- the service points' figures

def test_a_liaison_gets_no_count_or_mean_from_a_single_rating(client, make_user, login, make_point):
    point = make_point()
    day = last_month()[0] + timedelta(days=3)
    add_rating(point, at(day, 10, 0), overall=2)  # one rating: 40.0
    db.session.commit()
    login(make_user("liaison", department=point.department))
    page = client.get(f"/admin/realtime/points?start={day}&end={day}").get_data(as_text=True)
    body = rows(page)
    assert point.name in body
    assert "40.0" not in body and "评价人数少于 5 人" in body
    assert not re.search(r"<td>1</td>", body)  # no count of one either


def test_two_filters_a_liaison_may_choose_never_differ_by_one_rating(client, make_user, login, make_point):
    point = make_point()
    first, last = last_month()
    for hour in range(8, 14):
        add_rating(point, at(first, hour, 0), overall=5)  # six ratings of 100 on the first day
    add_rating(point, at(first + timedelta(days=1), 9, 0), overall=1, comment="等候太久，没人管")  # and one of 20
    db.session.commit()
    login(make_user("liaison", department=point.department))
    through_day_2 = rows(client.get(f"/admin/realtime/points?start={first}&end={first + timedelta(days=1)}")
                         .get_data(as_text=True))
    through_day_1 = rows(client.get(f"/admin/realtime/points?start={first}&end={first}").get_data(as_text=True))
    # 7 ratings with a mean of 88.6 against 6 with 100.0 would give the last rating away (20): the liaison
    # chooses among whole calendar months only, so both requests show the same month.
    assert through_day_2 == through_day_1
    assert "100.0" not in through_day_1


def test_a_small_point_takes_the_next_smallest_with_it(client, make_user, login, make_point):
    department_point = make_point()
    small = make_point(department_point.department)
    first, _last = last_month()
    for hour in range(8, 14):
        add_rating(department_point, at(first, hour, 0), overall=4)  # six at one window
    add_rating(small, at(first, 9, 30), overall=2)  # one at the other
    db.session.commit()
    login(make_user("liaison", department=department_point.department))
    body = rows(client.get("/admin/realtime/points").get_data(as_text=True))
    # The department's seven ratings less the bigger window's six would give the small window's one back.
    assert "80.0" not in body and "40.0" not in body and body.count("评价人数少于 5 人") == 2


def test_a_liaison_asking_for_a_month_it_may_not_see_is_told_so(client, make_user, login, make_point):
    point = make_point()
    login(make_user("liaison", department=point.department))
    this_month = local_today().strftime("%Y-%m")
    page = client.get(f"/admin/realtime/points?month={this_month}").get_data(as_text=True)
    assert "月份" in page and last_month()[0].strftime("%Y-%m") in page
    assert client.get("/admin/realtime/points?month=abc").status_code == 200


def test_the_supervising_office_still_sees_every_figure_of_any_period(client, make_user, login, make_point):
    point = make_point()
    day = last_month()[0] + timedelta(days=3)
    add_rating(point, at(day, 10, 0), overall=2)
    db.session.commit()
    login(make_user("hr"))
    body = rows(client.get(f"/admin/realtime/points?start={day}&end={day}").get_data(as_text=True))
    assert "<td>1</td>" in body and "40.0" in body


# --------------------------------------------------------------------------- complaints: satisfaction

def closed_complaint(department, closed: datetime, satisfaction: str):
    from flask import current_app

    from app.casework import service as casework
    from app.complaints import service as complaints

    def app_config(key):
        return current_app.config[key]

    complaint, _code = complaints.submit(category="enterprise_policy", department_ids=[department.id],
                                         subject="惠企政策未兑现", description="申请的稳岗补贴超过承诺时限仍未发放。")
    complaints.accept(complaint)
    for assignment in complaints.assign(complaint, [department], local_today()):
        complaints.reply(assignment, "经核查已发放补贴，并向企业说明。")
    if satisfaction == "unreachable":  # closing without the complainant: the attempts, then a sign-off
        for _attempt in range(app_config("CASEWORK_CONTACT_ATTEMPTS")):
            casework.record_attempt(complaint, "电话无人接听")
    complaints.close(complaint, outcome="solved", satisfaction=satisfaction, public_reply="补贴已发放到位。",
                     substantiated_department_ids=[], sign_off_reason="三次电话均无人接听，短信未回复。")
    complaint.closed_at = closed
    db.session.commit()
    return complaint


def test_a_liaison_reads_its_complaint_satisfaction_only_from_k_verdicts(app, client, make_user, login,
                                                                          make_department):
    department = make_department()
    first, _last = last_month()
    for verdict in ("satisfied", "satisfied", "basically", "unsatisfied"):
        closed_complaint(department, at(first + timedelta(days=1), 10, 0), verdict)
    closed_complaint(department, at(first + timedelta(days=2), 10, 0), "unreachable")  # no verdict: not counted
    login(make_user("liaison", department=department))
    month = first.strftime("%Y-%m")
    page = client.get(f"/admin/complaints/assigned?month={month}").get_data(as_text=True)
    figures = re.search(r'<section class="card" id="satisfaction">(.*?)</section>', page, re.S).group(1)
    figures = figures.split('<p class="hint">')[0]  # the hint names k whatever is shown
    assert "评价人数少于 5 人" in figures and "%" not in figures  # four complainants: no rate (75% would say who)
    closed_complaint(department, at(first + timedelta(days=3), 10, 0), "unsatisfied")
    page = client.get(f"/admin/complaints/assigned?month={month}").get_data(as_text=True)
    figures = re.search(r'<section class="card" id="satisfaction">(.*?)</section>', page, re.S).group(1)
    assert "5 名作出评价的投诉人里，满意或基本满意的占 60%" in figures  # five verdicts: 3 of 5 (basically) satisfied
    assert "评价人数少于" not in figures


# --------------------------------------------------------------------------- survey: the answer distribution

from tests.integration.test_assessment import as_role, closed_round, published  # noqa: E402,F401  (fixtures)


def test_a_liaison_reads_no_answer_count_of_fewer_than_k_in_its_distribution(client, make_user, login, published):
    campaign, departments, _rare = published
    own = departments[0]
    as_role(client, make_user, login, "liaison", department=own)
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}").get_data(as_text=True)
    table = re.search(r'<table class="numeric" id="distribution">(.*?)</table>', html, re.S).group(1)
    counts = [int(c) for c in re.findall(r"<td>(\d+)</td>", table)]
    # "one rater gave integrity 40" is one person's answer; with the dimension's mean and count on the same page a
    # row with any small cell would give it back even if that cell alone were blanked, so the whole row goes.
    assert not [c for c in counts if 0 < c < 5]
    assert "fewer than 5 raters" in table


def test_the_assessment_office_reads_the_whole_distribution(client, make_user, login, published):
    campaign, departments, _rare = published
    own = departments[0]
    as_role(client, make_user, login, "hr")
    html = client.get(f"/admin/assessment/{campaign.id}/departments/{own.id}").get_data(as_text=True)
    table = re.search(r'<table class="numeric" id="distribution">(.*?)</table>', html, re.S).group(1)
    assert [c for c in map(int, re.findall(r"<td>(\d+)</td>", table)) if 0 < c < 5]
