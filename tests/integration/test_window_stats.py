"""The policy window's statistics (issue 18, item 7): the figures on fixed data equal a hand computation, they can
be recomputed from the per-case rows, county staff see their window only, the assessment's `policy` channel, the
XLSX export (Chinese headers, formula-safe, the method and the digest) and `flask policy stats`.

The world, built with the models directly: November 2026, with Friday 13 November a public holiday; two items —
A (市科技局, a grant, promised 10 working days, budget 100 万元) and B (市经信局, a qualification, promised 5) —
two windows (the city's W1, 临江县's W2) and seven cases handed in that month (plus a draft and an October case,
left out). Judged as of 2026-12-01. Working days count the days after the application up to the finishing day:

    #  item window opened  stage      finished (how)             working days     promise  on time  visits 补正
    1  A    W1     11-02   delivered  11-16 (last of 10+10 万元)   9               10       yes      1      0
    2  A    W1     11-03   paid       11-20 (15 万元)               12              10       no       2      1
    3  A    W2     11-04   rejected   —                          —               10       (not judged) 1  2
    4  A    W2     11-05   handling   — (due 11-20 < 12-01)      —               10       no       1      0
    5  B    W1     11-06   delivered  11-12 (delivery recorded)  4               5        yes      0      0
    6  B    W2     11-09   delivered  11-18 (delivery recorded)  6               5        no       3      1
    7  A    W1     11-30   approved   — (due 12-14: not yet)     —               10       (not judged) 1  0

e.g. #1: Nov 3,4,5,6,9,10,11,12 (8), the 13th is a holiday, 16 (9). #2: 4,5,6,9,10,11,12,16,17,18,19,20 = 12.
"""
from __future__ import annotations

import io
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from app.assessment import channels
from app.extensions import db
from app.policy.models import (
    DeliveryMode,
    ItemKind,
    PolicyMatchResult,
    PolicyMatchRun,
    PolicyNotice,
    PolicyPush,
    PolicyWindow,
)
from app.policy_window import stats
from app.policy_window.models import (
    Channel,
    Consultation,
    Decision,
    Origin,
    PolicyCase,
    PolicyPayment,
    Stage,
    WindowPost,
)
from tests.integration.test_policy_match import make_item, profile

START, END, AS_OF = date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1)
PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}


def at(day: str, hour: int = 2) -> datetime:
    """10:00 in the city (UTC+8) on ``day``."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)


@dataclass
class World:
    kj: object
    jx: object
    item_a: object
    item_b: object
    w1: PolicyWindow
    w2: PolicyWindow
    cases: dict


@pytest.fixture
def world(app, make_department) -> World:
    app.config["WORKDAY_HOLIDAYS"] = "2026-11-13"
    kj, jx = make_department("KJ", "市科技局"), make_department("JX", "市经信局")
    item_a = make_item(kj, "ZC-2026-020-01", "研发投入奖补", promised_days=10, budget=Decimal("100"),
                       benefit_kind="fixed", amount=Decimal("20"))
    item_b = make_item(jx, "ZC-2026-020-02", "专精特新企业认定", promised_days=5, kind=ItemKind.qualification,
                       benefit_kind="text", mode=DeliveryMode.instant)
    w1 = PolicyWindow(name="市政务服务中心惠企专窗", sort_order=1)
    w2 = PolicyWindow(name="临江县惠企专窗", district="临江县", sort_order=2)
    db.session.add_all([w1, w2])
    firms = [profile(f"9100000000000010{n}X", f"企业{n}", "临江县") for n in range(10)]
    db.session.flush()

    numbers = iter(range(1, 100))

    def case(item, window, opened, stage, *, visits=1, supplements=0, decision=None, amount=None, decided=None,
             delivered_on=None, firm=0):
        found = PolicyCase(version=item.current, profile=firms[firm], window=window, origin=Origin.window,
                           stage=stage, tracking_number=f"ZC2026{next(numbers):08d}", subject=item.current.name,
                           submitted_at=at(opened), visits=visits, supplement_requests=supplements,
                           decision=decision, approved_amount=None if amount is None else Decimal(amount),
                           decided_at=at(decided) if decided else None,
                           paid_at=at(delivered_on) if delivered_on else None,
                           receipt_at=at(delivered_on) + timedelta(days=1)
                           if delivered_on and stage == Stage.delivered else None)
        db.session.add(found)
        db.session.flush()
        return found

    def pay(found, amount, day):
        db.session.add(PolicyPayment(case=found, amount=Decimal(amount), paid_on=date.fromisoformat(day),
                                     voucher=f"PZ-{found.id}-{day}", department_id=found.version.department_id))
        found.paid_at = at(day)

    c = {
        1: case(item_a, w1, "2026-11-02", Stage.delivered, visits=1, decision=Decision.approved, amount="20",
                decided="2026-11-09"),
        2: case(item_a, w1, "2026-11-03", Stage.paid, visits=2, supplements=1, decision=Decision.partly,
                amount="15", decided="2026-11-17", firm=1),
        3: case(item_a, w2, "2026-11-04", Stage.rejected, visits=1, supplements=2, decision=Decision.rejected,
                decided="2026-11-10", firm=2),
        4: case(item_a, w2, "2026-11-05", Stage.handling, visits=1, firm=3),
        5: case(item_b, w1, "2026-11-06", Stage.delivered, visits=0, decision=Decision.approved,
                decided="2026-11-11", delivered_on="2026-11-12", firm=4),
        6: case(item_b, w2, "2026-11-09", Stage.delivered, visits=3, supplements=1, decision=Decision.approved,
                decided="2026-11-17", delivered_on="2026-11-18", firm=5),
        7: case(item_a, w1, "2026-11-30", Stage.approved, visits=1, decision=Decision.approved, amount="10",
                decided="2026-11-30", firm=6),
        # Left out: a draft never handed in, and a case of October (paid in November: not this period's).
        "draft": case(item_a, w1, "2026-11-10", Stage.draft, visits=0, firm=7),
        "october": case(item_a, w2, "2026-10-28", Stage.paid, visits=5, supplements=4, decision=Decision.approved,
                        amount="20", decided="2026-11-02", firm=8),
    }
    pay(c[1], "10", "2026-11-10")
    pay(c[1], "10", "2026-11-16")
    pay(c[2], "15", "2026-11-20")
    pay(c["october"], "20", "2026-11-05")  # counts against the budget (paid before the period's end)

    # Pushes: two notices for item A in November, one in October.
    version = item_a.current
    run = PolicyMatchRun(item_version_id=version.id, as_of=START)
    db.session.add(run)
    db.session.flush()
    push = PolicyPush(item_version_id=version.id, run_id=run.id)
    db.session.add(push)
    db.session.flush()
    for n, sent in enumerate(("2026-11-03", "2026-11-20", "2026-10-15")):
        result = PolicyMatchResult(run_id=run.id, profile_id=firms[n].id, result="eligible")
        db.session.add(result)
        db.session.flush()
        db.session.add(PolicyNotice(push_id=push.id, item_version_id=version.id, profile_id=firms[n].id,
                                    match_result_id=result.id, result="eligible", token_hash=f"{n:064d}",
                                    sent_at=at(sent), expires_at=at(sent) + timedelta(days=90)))
    # Consultations: two on item A at W1, one general at W2 in November; one on item B in October.
    for window, item, asked in ((w1, item_a, "2026-11-02"), (w1, item_a, "2026-11-25"), (w2, None, "2026-11-10"),
                                (w2, item_b, "2026-10-30")):
        db.session.add(Consultation(window=window, channel=Channel.window, item=item, question="怎么申请？",
                                    asked_at=at(asked)))
    db.session.commit()
    return World(kj, jx, item_a, item_b, w1, w2, c)


def by_key(groups):
    return {g.key: g for g in groups}


# --------------------------------------------------------------------------- the hand computation

def test_the_figures_equal_the_hand_computation(world):
    found = stats.figures(START, END, as_of=AS_OF)
    assert found.cases == 7  # the draft and the October case are left out

    total = found.total
    assert (total.pushes, total.consultations, total.applications) == (2, 3, 7)
    # Approvals: #1 #2 #5 #6 #7 (past the window's review); rejections: #3.
    assert (total.approvals, total.rejections) == (5, 1)
    assert total.approved_amount == 45.0  # 20 + 15 + 10 (#5 and #6 carry no amount)
    assert total.paid_amount == 35.0  # 10 + 10 + 15
    # Finished: #5 4, #6 6, #1 9, #2 12 → nearest rank: median the 2nd of 4 (⌈0.5·4⌉), p90 the 4th (⌈0.9·4⌉).
    assert (total.finished, total.median_days, total.p90_days) == (4, 6.0, 12.0)
    # On time: judged #1 yes, #2 no, #4 no (unfinished past due), #5 yes, #6 no → 2/5; #3 rejected, #7 not due.
    assert (total.on_time.numerator, total.on_time.denominator) == (2, 5)
    # Delivered (paid and confirmed): #1 #5 #6 among 5 approvals; one visit: #1 (1) and #5 (0), not #6 (3).
    assert (total.delivered.numerator, total.delivered.denominator) == (3, 5)
    assert (total.one_visit.numerator, total.one_visit.denominator) == (2, 3)
    assert total.supplements_per_case == round(4 / 7, 4)  # 0+1+2+0+0+1+0

    departments = by_key(found.departments)
    kj, jx = departments[world.kj.id], departments[world.jx.id]
    # 市科技局 (item A): #1 #2 #3 #4 #7.
    assert (kj.pushes, kj.consultations, kj.applications, kj.approvals, kj.rejections) == (2, 2, 5, 3, 1)
    assert (kj.median_days, kj.p90_days, kj.promised_days) == (9.0, 12.0, [10])  # [9, 12]: 1st and 2nd of 2
    assert (kj.on_time.numerator, kj.on_time.denominator) == (1, 3)
    assert (kj.delivered.numerator, kj.delivered.denominator) == (1, 3)
    assert (kj.one_visit.numerator, kj.one_visit.denominator) == (1, 1)
    assert kj.supplements_per_case == 0.6
    # 市经信局 (item B): #5 #6, no pushes.
    assert (jx.pushes, jx.consultations, jx.applications, jx.approvals) == (0, 0, 2, 2)
    assert (jx.median_days, jx.p90_days, jx.promised_days) == (4.0, 6.0, [5])
    assert (jx.on_time.numerator, jx.on_time.denominator) == (1, 2)
    assert (jx.delivered.numerator, jx.delivered.denominator) == (2, 2)
    assert (jx.one_visit.numerator, jx.one_visit.denominator) == (1, 2)

    items = by_key(found.items)
    a = items[world.item_a.id]
    assert a.label == "ZC-2026-020-01 研发投入奖补" and a.applications == 5
    # Budget: every payment on item A's cases up to 11-30, the October case's included: 10+10+15+20 = 55 of 100.
    assert (a.budget, a.budget_used, a.budget_share) == (100.0, 55.0, 0.55)
    assert items[world.item_b.id].budget is None

    windows = by_key(found.windows)
    w2 = windows[world.w2.id]  # #3 #4 #6
    assert (w2.pushes, w2.consultations, w2.applications, w2.approvals, w2.rejections) == (None, 1, 3, 1, 1)
    assert (w2.on_time.numerator, w2.on_time.denominator) == (0, 2)
    assert (w2.median_days, w2.p90_days) == (6.0, 6.0)
    assert windows[world.w1.id].applications == 4


def test_one_window_department_or_item_narrows_every_figure(world):
    county = stats.figures(START, END, window_id=world.w2.id, as_of=AS_OF)
    assert county.cases == 3 and [g.key for g in county.windows] == [world.w2.id]
    assert county.total.pushes is None  # a push belongs to no window
    assert county.total.consultations == 1
    only_b = stats.figures(START, END, item_id=world.item_b.id, as_of=AS_OF)
    assert only_b.cases == 2 and [g.key for g in only_b.departments] == [world.jx.id]
    assert stats.figures(START, END, department_id=world.kj.id, as_of=AS_OF).total.applications == 5


# --------------------------------------------------------------------------- recomputed from the per-case rows

def nearest_rank(values, p):
    ordered = sorted(values)
    return float(ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]) if ordered else None


def test_the_figures_can_be_recomputed_from_the_case_rows(world):
    rows = stats.case_rows(START, END, as_of=AS_OF)
    plain = [r.plain() for r in rows]  # what the cases file carries: ISO dates, plain numbers
    assert [r["tracking_number"] for r in plain] == sorted(r["tracking_number"] for r in plain)
    found = stats.figures(START, END, as_of=AS_OF)
    assert found.digest == stats.rows_digest(rows)
    for group in found.departments:
        mine = [r for r in plain if r["department_id"] == group.key]
        days = [r["working_days"] for r in mine if r["working_days"] is not None]
        approved = [r for r in mine if r["stage"] in ("approved", "paid", "delivered")]
        delivered = [r for r in mine if r["stage"] == "delivered"]
        judged = [r for r in mine if r["on_time"] is not None]
        assert group.applications == len(mine)
        assert group.approvals == len(approved)
        assert group.rejections == sum(r["stage"] == "rejected" for r in mine)
        assert group.approved_amount == sum(r["approved_amount"] or 0 for r in approved)
        assert group.paid_amount == sum(r["paid_amount"] for r in mine)
        assert group.median_days == nearest_rank(days, 50) and group.p90_days == nearest_rank(days, 90)
        assert group.on_time.numerator == sum(1 for r in judged if r["on_time"])
        assert group.on_time.denominator == len(judged)
        assert (group.delivered.numerator, group.delivered.denominator) == (len(delivered), len(approved))
        assert group.one_visit.numerator == sum(1 for r in delivered if r["visits"] <= 1)
        # The row's own working days and verdict follow from its dates and the promise.
        for r in mine:
            if r["finished_on"]:
                assert r["on_time"] == (r["working_days"] <= r["promised_days"])


def test_a_changed_case_changes_the_digest(world):
    before = stats.figures(START, END, as_of=AS_OF).digest
    world.cases[4].visits = 2
    db.session.commit()
    assert stats.figures(START, END, as_of=AS_OF).digest != before


# --------------------------------------------------------------------------- the pages

@pytest.fixture
def county_staff(world, make_user):
    user = make_user("window", username="window-lj")
    db.session.add(WindowPost(user_id=user.id, window_id=world.w2.id))
    db.session.commit()
    return user


def table(page: str, table_id: str) -> str:
    return re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)


def test_the_policy_officer_sees_every_window_with_charts_and_tables(client, world, make_user, login):
    login(make_user("policy"))
    page = client.get("/admin/window/stats/", query_string=PERIOD).get_data(as_text=True)
    assert "政策兑现窗口统计" in page
    windows = table(page, "by-window")
    assert world.w1.name in windows and world.w2.name in windows
    departments = table(page, "by-department")
    assert "市科技局" in departments and "33.3% <span class=\"muted\">(1/3)</span>" in departments
    assert "推送数" in departments
    # The charts' data sit in a JSON tag (no inline script); the tables carry the same figures.
    data = json.loads(re.search(r'<script type="application/json" id="policy-stats-data">(.*?)</script>',
                                page, re.S).group(1))
    assert {d["name"]: d["median"] for d in data["departments"]} == {"市科技局": 9.0, "市经信局": 4.0}
    assert "<script>" not in page


def test_county_staff_see_only_their_windows_figures(client, world, county_staff, login):
    login(county_staff)
    page = client.get("/admin/window/stats/", query_string=PERIOD).get_data(as_text=True)
    assert "临江县惠企专窗" in page and world.w1.name not in page
    departments = table(page, "by-department")
    assert "推送数" not in departments  # pushes belong to no window
    # 市科技局 at 临江县: #3 (rejected) and #4 (late) → 0/1 on time; the city window's cases are not counted.
    assert "0.0% <span class=\"muted\">(0/1)</span>" in departments
    body = client.get("/admin/window/stats/export.xlsx", query_string=PERIOD).data
    book = load_workbook(io.BytesIO(body))
    windows = [row[0] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)]
    assert windows == ["临江县惠企专窗"]


def test_window_staff_not_posted_see_nothing(client, world, make_user, login):
    login(make_user("window", username="window-new"))
    page = client.get("/admin/window/stats/", query_string=PERIOD).get_data(as_text=True)
    assert world.w1.name not in page and world.w2.name not in page and "市科技局" not in page


def test_hr_and_liaisons_may_not_open_the_statistics(client, world, make_user, login):
    login(make_user("liaison", department=world.kj))
    assert client.get("/admin/window/stats/").status_code == 403


# --------------------------------------------------------------------------- the export

def test_the_workbook_has_chinese_headers_a_method_and_is_formula_safe(client, world, make_user, login):
    world.w2.name = '=HYPERLINK("http://x","y")'
    db.session.commit()
    login(make_user("policy"))
    response = client.get("/admin/window/stats/export.xlsx", query_string=PERIOD)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按事项", "按部门", "按窗口", "计算方法"]
    for sheet in book.worksheets:
        header = [cell.value for cell in sheet[1]]
        assert all(value and not re.search(r"[A-Za-z]", value) for value in header), header
    assert [c.value for c in book["按部门"][1]][:5] == ["名称", "推送数", "咨询数", "申请数", "批准数"]
    windows = {row[0]: row for row in book["按窗口"].iter_rows(min_row=2, values_only=True)}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in windows  # text, never a formula
    method = {row[0]: row[1] for row in book["计算方法"].iter_rows(min_row=2, values_only=True)}
    found = stats.figures(START, END)
    assert method["输入数据 SHA-256"] == found.digest and method["纳入统计件数"] == "7"
    assert "最近秩" in method["中位数与第90百分位数"] and "按期兑现率" in method
    departments = {row[0]: row for row in book["按部门"].iter_rows(min_row=2, values_only=True)}
    assert departments["合计"][3] == 7 and departments["市科技局"][9] == 9


# --------------------------------------------------------------------------- the assessment's channel

def test_the_policy_channel_is_registered_with_its_rates(world, monkeypatch):
    assert "policy" in [c.key for c in channels.channels()]
    channel = next(c for c in channels.channels() if c.key == "policy")
    assert str(channel.label).startswith("惠企政策兑现") and channel.kind == "scored" and not channel.deducts
    monkeypatch.setattr(channels, "local_today", lambda: AS_OF)
    figures = channel.load(SimpleNamespace(month="2026-11"))
    found = dict(zip(figures.department_ids, zip(figures.scores, figures.counts, figures.inputs)))
    # 市科技局: on time 1/3, delivered 1/3 → 100 · (1/3 + 1/3) / 2; n = 3 + 3.
    assert found[world.kj.id][0] == pytest.approx(100 / 3)
    assert found[world.kj.id][1:] == (6, "on_time=1/3;delivered=1/3")
    # 市经信局: on time 1/2, delivered 2/2 → 75; n = 2 + 2.
    assert found[world.jx.id] == (75.0, 4, "on_time=1/2;delivered=2/2")
    rates = stats.channel_rates(START, END, AS_OF)
    assert rates[world.jx.id].on_time == stats.Rate(1, 2)
    # A scheme that predates the channel gives it weight 0.
    assert channel.weight(SimpleNamespace(channel_weights={"survey": 1.0})) == 0


def test_the_scheme_form_offers_the_policy_channel(client, make_user, login):
    login(make_user("hr"))
    page = client.get("/admin/assessment/schemes").get_data(as_text=True)
    assert 'name="policy"' in page and "惠企政策兑现渠道权重" in page


# --------------------------------------------------------------------------- the command

def test_flask_policy_stats_prints_the_figures_as_json(runner, world):
    result = runner.invoke(args=["policy", "stats", "--from", "2026-11-01", "--to", "2026-11-30",
                                 "--as-of", "2026-12-01", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["cases"] == 7 and printed["total"]["median_days"] == 6.0
    assert printed["total"]["on_time"] == {"numerator": 2, "denominator": 5, "rate": 0.4}
    assert printed["digest"] == stats.figures(START, END, as_of=AS_OF).digest
    assert {d["label"]: d["applications"] for d in printed["by_department"]} == {"市科技局": 5, "市经信局": 2}
    refused = runner.invoke(args=["policy", "stats", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert refused.exit_code != 0


def test_the_page_and_the_workbook_hold_no_english_word(client, world, make_user, login):
    from tests.integration.test_language import foreign_words, visible_text

    login(make_user("policy"))
    page = client.get("/admin/window/stats/", query_string=PERIOD).get_data(as_text=True)
    assert foreign_words(visible_text(page), {"policy-user"}) == []  # the account name in the header
    book = load_workbook(io.BytesIO(client.get("/admin/window/stats/export.xlsx", query_string=PERIOD).data))
    cells = [str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row
             if isinstance(v, str)]
    assert foreign_words("\n".join(cells), set()) == []
