"""The 三率 match a hand computation on fixed data; `flask casework stats` gives what `export`'s rows give.

The cases are made through the complaints intake and the engine's service functions, at fixed moments (the
engine's clock is set for each step), in March 2026 — a month without holidays in the test calendar.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pytest

from app.casework import rates, service as casework
from app.casework.models import Case
from app.complaints import service as complaints
from app.extensions import db
from app.platform.calendar import local_date, local_today
from tests.conftest import PASSWORD

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


class Clock:
    """The engine's clock: every step it takes happens at 10:00 local time on the day set."""

    now: datetime

    def at(self, day: str) -> None:
        self.now = datetime.fromisoformat(f"{day}T10:00:00+08:00").astimezone(timezone.utc)


@pytest.fixture
def clock(app, monkeypatch):
    clock = Clock()
    for module in (casework, complaints):
        monkeypatch.setattr(module, "utcnow", lambda: clock.now)
    monkeypatch.setattr(casework, "local_today", lambda: local_date(clock.now))
    return clock


@dataclass
class Scenario:
    departments: list
    cases: dict = field(default_factory=dict)
    handler: object = None


def _open(s: Scenario, clock: Clock, name: str, day: str, departments: list, due: str):
    clock.at(day)
    complaint, _code = complaints.submit(category="enforcement", department_ids=[d.id for d in departments],
                                         subject="审批超时", description="申请材料齐全，已超过承诺时限仍未办结。")
    casework.accept(complaint, actor=s.handler)
    created = casework.assign(complaint, departments, date.fromisoformat(due), actor=s.handler)
    db.session.commit()
    s.cases[name] = complaint
    return created


def _ack(clock, assignment, day):
    clock.at(day)
    assert casework.acknowledge(assignment)
    db.session.commit()


def _reply(clock, assignment, day):
    clock.at(day)
    casework.reply(assignment, "已核实，已按要求办理完毕。")
    db.session.commit()


def _close(s, clock, name, day, outcome, satisfaction, **extra):
    clock.at(day)
    case = s.cases[name]
    if satisfaction == "unreachable":
        for _attempt in range(3):
            casework.record_attempt(case, "电话无人接听", actor=s.handler)
        extra["sign_off_reason"] = "三次电话均无人接听，主管签字销号"
    complaints.close(case, satisfaction=satisfaction, public_reply="您反映的问题已办理，特此答复。",
                     substantiated_department_ids=[], outcome=outcome, actor=s.handler, **extra)
    db.session.commit()


def build_march(clock, make_department, make_user) -> Scenario:
    """Ten complaints about departments A, B and C; the hand computation of their 三率 is in the tests below."""
    s = Scenario([make_department(code=code) for code in ("A", "B", "C")], handler=make_user("complaints"))
    a, b, c = s.departments
    # 1: A acknowledges the next working day, replies on time; solved, satisfied.
    (one,) = _open(s, clock, "1", "2026-03-02", [a], "2026-03-13")
    _ack(clock, one, "2026-03-03"), _reply(clock, one, "2026-03-10")
    _close(s, clock, "1", "2026-03-12", "solved", "satisfied")
    # 2: A and B (C's assignment withdrawn): A acknowledges late, replies on time; B never acknowledges and replies
    # late; partly solved, basically satisfied.
    two_a, two_b, two_c = _open(s, clock, "2", "2026-03-02", [a, b, c], "2026-03-13")
    clock.at("2026-03-02")
    casework.withdraw(two_c, "交办有误", actor=s.handler)
    _ack(clock, two_a, "2026-03-05"), _reply(clock, two_a, "2026-03-06"), _reply(clock, two_b, "2026-03-20")
    _close(s, clock, "2", "2026-03-23", "partly_solved", "basically")
    # 3: assigned on a Friday, acknowledged on Monday (in time), replied a day late; explained, unsatisfied.
    (three,) = _open(s, clock, "3", "2026-03-06", [a], "2026-03-10")
    _ack(clock, three, "2026-03-09"), _reply(clock, three, "2026-03-11")
    _close(s, clock, "3", "2026-03-12", "explained", "unsatisfied")
    # 4: B; a duplicate of 1 (not a valid closing for the solved rate), satisfied.
    (four,) = _open(s, clock, "4", "2026-03-09", [b], "2026-03-20")
    _ack(clock, four, "2026-03-09"), _reply(clock, four, "2026-03-10")
    _close(s, clock, "4", "2026-03-11", "duplicate", "satisfied", duplicate_of=s.cases["1"])
    # 5: B; solved, the complainant could not be reached (no verdict).
    (five,) = _open(s, clock, "5", "2026-03-10", [b], "2026-03-20")
    _ack(clock, five, "2026-03-10"), _reply(clock, five, "2026-03-11")
    _close(s, clock, "5", "2026-03-12", "solved", "unreachable")
    # 6: C never acknowledges nor replies.
    _open(s, clock, "6", "2026-03-16", [c], "2026-03-20")
    # 7: assigned to A in February, closed in March: solved, satisfied.
    (seven,) = _open(s, clock, "7", "2026-02-25", [a], "2026-03-06")
    _reply(clock, seven, "2026-03-02")
    _close(s, clock, "7", "2026-03-04", "solved", "satisfied")
    # 8: assigned to C at the end of March, closed in April.
    (eight,) = _open(s, clock, "8", "2026-03-30", [c], "2026-04-10")
    _ack(clock, eight, "2026-03-31"), _reply(clock, eight, "2026-04-01")
    _close(s, clock, "8", "2026-04-02", "solved", "satisfied")
    # 9: B replies, the unsatisfied complainant reopens; B gets it again (due 10 working days later), replies a day
    # before; solved, satisfied.
    (nine,) = _open(s, clock, "9", "2026-03-02", [b], "2026-03-13")
    _reply(clock, nine, "2026-03-03")
    _close(s, clock, "9", "2026-03-04", "solved", "unsatisfied")
    clock.at("2026-03-05")
    (nine_again,) = casework.reopen_by_raiser(s.cases["9"], "问题仍未解决，请重新办理")
    db.session.commit()
    assert nine_again.due_on == date(2026, 3, 19)
    _reply(clock, nine_again, "2026-03-18")
    _close(s, clock, "9", "2026-03-25", "solved", "satisfied")
    # 10: A; closed as if before migration 0018, when no outcome was recorded.
    (ten,) = _open(s, clock, "10", "2026-02-16", [a], "2026-02-27")
    _reply(clock, ten, "2026-02-20")
    _close(s, clock, "10", "2026-03-20", "solved", "satisfied")
    s.cases["10"].outcome = None
    db.session.commit()
    return s


@pytest.fixture
def march(clock, make_department, make_user) -> Scenario:
    return build_march(clock, make_department, make_user)


def _n(rate: rates.Rate) -> tuple:
    return (pytest.approx(rate.numerator), rate.denominator)


def test_the_three_rates_match_the_hand_computation(app, march):
    a, b, c = (d.id for d in march.departments)
    table = rates.rates(*MARCH, local_today())
    by = table.departments
    # 响应率: acknowledged by the next working day. A: 1 yes, 2 late, 3 yes (Fri → Mon). B: 2 late (at its reply),
    # 4 yes, 5 yes, 9 yes (its reply the next day), 9 again late. C: 6 never, 8 yes. C's withdrawn one is left out.
    assert [_n(by[d].response) for d in (a, b, c)] == [(2, 3), (3, 5), (1, 2)]
    assert _n(table.city.response) == (6, 10)
    # 按期办结率: A: 1 and 2 on time, 3 late. B: 2 late; 4, 5, 9 and 9 again on time. C: 6 overdue, 8 on time.
    assert [_n(by[d].on_time) for d in (a, b, c)] == [(2, 3), (4, 5), (1, 2)]
    assert _n(table.city.on_time) == (7, 10)
    # 解决率, closed in March: A: 1, 2, 7 solved of 1, 2, 3, 7 (10 has no recorded outcome). B: 2, 5, 9 of 2, 5, 9
    # (4 is a duplicate). C: nothing closed in March. The city counts 2 once: 1, 2, 5, 7, 9 of 1, 2, 3, 5, 7, 9.
    assert [_n(by[d].solved) for d in (a, b, c)] == [(3, 4), (3, 3), (0, 0)]
    assert _n(table.city.solved) == (5, 6)
    assert (by[a].closings.unrecorded, by[b].closings.invalid, table.city.closings.closed) == (1, 1, 8)
    # 满意率 = (满意 + 0.9 × 基本满意) / verdicts. A: 1, 7, 10 satisfied, 2 basically, 3 not: 3.9 / 5. B: 4, 9
    # satisfied, 2 basically (5 unreachable, no verdict): 2.9 / 3. City: 1, 4, 7, 9, 10 + 0.9 × 2 over 7.
    assert [_n(by[d].satisfaction) for d in (a, b)] == [(3.9, 5), (2.9, 3)]
    assert _n(table.city.satisfaction) == (5.9, 7)
    assert by[c].satisfaction.value is None and by[b].closings.unreachable == 1
    assert table.city.satisfaction.value == pytest.approx(5.9 / 7)


def test_the_weight_of_basically_satisfied_is_configured(app, march):
    app.config["CASEWORK_BASICALLY_SATISFIED_WEIGHT"] = 0.5
    assert _n(rates.rates(*MARCH, local_today()).city.satisfaction) == (5.5, 7)


def test_a_period_takes_assignments_by_their_day_and_closings_by_theirs(app, march):
    a, _b, c = (d.id for d in march.departments)
    april = rates.rates(date(2026, 4, 1), date(2026, 4, 30), local_today())
    # Nothing was assigned in April; 8 (assigned to C in March) was closed then.
    assert april.city.response.denominator == 0 and _n(april.departments[c].solved) == (1, 1)
    february = rates.rates(date(2026, 2, 1), date(2026, 2, 28), local_today())
    assert _n(february.departments[a].on_time) == (2, 2) and february.city.closings.closed == 0


def test_an_assignment_within_its_deadlines_is_not_judged_yet(app, march, clock):
    _a, _b, c = march.departments
    today = date(2026, 4, 2)
    _open(march, clock, "11", today.isoformat(), [c], "2026-04-20")
    figures = rates.rates(date(2026, 4, 1), date(2026, 4, 30), today).departments[c.id]
    assert figures.responses.total == 1 and figures.response.denominator == 0
    assert figures.on_time.denominator == 0
    later = rates.rates(date(2026, 4, 1), date(2026, 4, 30), date(2026, 4, 21)).departments[c.id]
    assert _n(later.response) == (0, 1) and _n(later.on_time) == (0, 1)


def test_one_kind_at_a_time(app, march):
    assert rates.rates(*MARCH, local_today(), kind="complaint").city.response.denominator == 10
    assert rates.rates(*MARCH, local_today(), kind="forum").city.empty


# --------------------------------------------------------------------------- the CLI

def _recompute(rows: list[dict], start: date, end: date, weight: float) -> dict[str, dict]:
    """The 三率 per department (and "city") from `flask casework export`'s rows, by hand."""
    def n(num, den):
        return {"n": (num, den)}

    out = {}
    in_period = lambda day: day and start.isoformat() <= day <= end.isoformat()  # noqa: E731
    for code in sorted({r["department"] for r in rows}) + ["city"]:
        mine = [r for r in rows if code == "city" or r["department"] == code]
        assigned = [r for r in mine if in_period(r["opened"])]
        closed = {r["reference"]: r for r in mine if in_period(r["closed"])}.values()  # each case once
        valid = [r for r in closed if r["outcome"] and r["outcome"] not in ("duplicate", "redirected")]
        verdicts = [r["rating"] for r in closed if r["rating"] in ("satisfied", "basically", "unsatisfied")]
        out[code] = {
            "response": (sum(r["responded"] == "yes" for r in assigned), sum(r["responded"] != "" for r in assigned)),
            "on_time": (sum(r["on_time"] == "yes" for r in assigned), sum(r["on_time"] != "" for r in assigned)),
            "solved": (sum(r["outcome"] in ("solved", "partly_solved") for r in valid), len(valid)),
            "satisfaction": (round(verdicts.count("satisfied") + weight * verdicts.count("basically"), 6),
                             len(verdicts)),
        }
    return out


def test_stats_equal_what_the_export_rows_give(app, march, runner):
    exported = runner.invoke(args=["casework", "export", "--from", "2026-03-01", "--to", "2026-03-31",
                                   "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert list(rows[0]) == rates.EXPORT_HEADER
    # One row per assignment the figures rest on: ten assigned in March (C's withdrawn one is not), plus 7 and 10
    # (assigned in February, closed in March). Nothing about the complainants.
    assert len(rows) == 12 and {r["department"] for r in rows} == {"A", "B", "C"}
    assert not any("审批" in value for r in rows for value in r.values())
    hand = _recompute(rows, *MARCH, 0.9)

    for fmt in ("json", "csv"):
        result = runner.invoke(args=["casework", "stats", "--from", "2026-03-01", "--to", "2026-03-31",
                                     "--format", fmt])
        assert result.exit_code == 0, result.output
        if fmt == "json":
            data = json.loads(result.output)
            lines = data["departments"] + [data["city"]]
        else:
            lines = [{k: (float(v) if v not in ("",) and k != "department" else v) for k, v in line.items()}
                     for line in csv.DictReader(io.StringIO(result.output))]
        assert [line["department"] for line in lines] == ["A", "B", "C", "city"]
        for line in lines:
            for name in rates.RATE_NAMES:
                expected = hand[line["department"]][name]
                assert (line[f"{name}_numerator"], line[f"{name}_denominator"]) == pytest.approx(expected), \
                    (line["department"], name)
                assert line[name] == (pytest.approx(expected[0] / expected[1]) if expected[1] else
                                      (None if fmt == "json" else ""))
    # The same figures as the hand computation above.
    assert hand["city"]["response"] == (6, 10) and hand["A"]["satisfaction"] == (3.9, 5)


def test_the_commands_refuse_a_bad_period_or_kind(app, runner):
    for args in (["--from", "2026-03-32", "--to", "2026-03-31"], ["--from", "2026-03-10", "--to", "2026-03-01"],
                 ["--from", "2026-03-01", "--to", "2026-03-31", "--kind", "grant"]):
        result = runner.invoke(args=["casework", "stats", *args])
        assert result.exit_code == 2 and "Traceback" not in result.output
    assert "2026-03-32" in runner.invoke(args=["casework", "export", "--from", "2026-03-32",
                                               "--to", "2026-03-31"]).output


def test_the_kind_option_keeps_one_kind(app, march, runner):
    result = runner.invoke(args=["casework", "stats", "--from", "2026-03-01", "--to", "2026-03-31",
                                 "--kind", "forum"])
    data = json.loads(result.output)
    assert data["departments"] == [] and data["city"]["response_denominator"] == 0
    assert db.session.get(Case, march.cases["1"].id).kind.value == "complaint"


# --------------------------------------------------------------------------- the page

def _browser(app, user):
    browser = app.test_client()
    assert browser.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return browser


def _rows(html: str) -> dict[str, list[str]]:
    """The first table's rows as shown: heading → cells without tags."""
    first = html.split("<table", 2)[1]
    return {re.sub(r"<[^>]+>", "", head).strip(): [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
                                                   for c in re.findall(r"<td>(.*?)</td>", body, re.S)]
            for head, body in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', first, re.S)}


def test_the_page_shows_each_department_and_the_city_with_their_n(app, march, make_user):
    browser = _browser(app, make_user("hr"))
    html = browser.get("/admin/casework/rates?start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    for text in ("响应率", "按期办结率", "解决率", "满意率", "全部类型", "投诉", "全市"):
        assert text in html
    rows = _rows(html)
    a, b, _c = (d.name for d in march.departments)
    assert rows[a] == ["66.7% (2/3)", "66.7% (2/3)", "75.0% (3/4) （另有 1 件未记录办理结果）", "78.0% (3.9/5)"]
    assert rows[b] == ["60.0% (3/5)", "80.0% (4/5)", "100.0% (3/3)", "96.7% (2.9/3)"]
    assert rows["全市"] == ["60.0% (6/10)", "70.0% (7/10)", "83.3% (5/6) （另有 1 件未记录办理结果）", "84.3% (5.9/7)"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and "style=" not in html  # nothing inline (CSP)


def test_a_liaison_sees_its_department_by_whole_months_and_no_rate_of_few_verdicts(app, march, make_user):
    a, b, _c = march.departments
    liaison_b = _browser(app, make_user("liaison", username="liaison-b", department=b))
    html = liaison_b.get("/admin/casework/rates?month=2026-03").get_data(as_text=True)
    rows = _rows(html)
    assert list(rows) == [b.name] and a.name not in html and "全市" not in html
    # B's three verdicts are fewer than k = 5: its satisfaction rate is withheld; the other rates are shown.
    assert rows[b.name][:3] == ["60.0% (3/5)", "80.0% (4/5)", "100.0% (3/3)"]
    assert rows[b.name][3] == "评价不足 5 人" and "2.9/3" not in html
    # A period of the liaison's choosing is not offered: the last ended month instead.
    other = liaison_b.get("/admin/casework/rates?start=2026-03-02&end=2026-03-30").get_data(as_text=True)
    assert "3/5" not in other
    liaison_a = _browser(app, make_user("liaison", username="liaison-a", department=a))
    assert _rows(liaison_a.get("/admin/casework/rates?month=2026-03").get_data(as_text=True))[a.name][3] == \
        "78.0% (3.9/5)"  # five verdicts: shown
    app.config["SMALL_GROUP_K"] = 6
    assert "3.9/5" not in liaison_a.get("/admin/casework/rates?month=2026-03").get_data(as_text=True)
