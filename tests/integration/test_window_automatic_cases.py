"""`flask policy cases --from … --to … --format csv` (issue 18, item 9): one row per application opened in the period
by its local day, with the working days from application to payment counted on the city's calendar (holidays and
make-up working days), checked by hand on fixed data; formula-safe; Chinese headers."""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from app.extensions import db
from app.policy_window import cases
from app.policy_window.models import Decision, Origin, PolicyPayment, Stage
from tests.integration.test_window_automatic import Automatic, auto  # noqa: F401  (the fixture)

HEADER = ["受理编号", "事项编号", "部门代码", "窗口", "兑现方式", "来源", "申请日期", "部门决定日期", "兑现日期",
          "受理至兑现工作日", "承诺时限（工作日）", "是否按期", "跑动次数", "补正告知次数", "办理决定", "结果", "确认到位",
          "批准金额（万元）", "兑现金额（万元）"]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def fixed(app, auto: Automatic):  # noqa: F811
    """Four applications: two paid (one in two parts), one waiting for materials, one opened after the period; and
    an online draft."""
    # National Day 2026: 1, 2, 5, 6, 7 October off (weekdays); Saturday 10 October worked (调休).
    app.config["WORKDAY_HOLIDAYS"] = "2026-10-01,2026-10-02,2026-10-05,2026-10-06,2026-10-07"
    app.config["WORKDAY_EXTRA_WORKDAYS"] = "2026-10-10"
    world, profiles = auto.world, auto.world.profiles
    department = world.version.department
    paid = cases.open_case(world.version, profiles["eligible"], auto.city, Origin.window)
    # Opened Monday 28 September 10:00 local; reviewed 30 September; paid 10 on 8 October and 15 on Saturday 12th.
    paid.submitted_at, paid.decided_at, paid.reviewed_at = utc(2026, 9, 28, 2), utc(2026, 9, 29, 8), \
        utc(2026, 9, 30, 8)
    paid.stage, paid.approved_amount, paid.visits = Stage.paid, Decimal("25"), 1
    db.session.add_all([
        PolicyPayment(case=paid, amount=Decimal("10"), paid_on=date(2026, 10, 8), voucher="PZ-001",
                      department_id=department.id),
        PolicyPayment(case=paid, amount=Decimal("15"), paid_on=date(2026, 10, 12), voucher="PZ-002",
                      department_id=department.id)])
    waiting = cases.open_case(world.version, profiles["no_phone"], auto.gaoxin, Origin.window)
    # 00:30 local on 8 October is still 7 October in UTC: the row says the local day.
    waiting.submitted_at = utc(2026, 10, 7, 16, 30)
    waiting.stage, waiting.supplement_requests, waiting.visits = Stage.supplement, 1, 2
    delivered = cases.open_case(auto.version, profiles["member"], auto.chengguan, Origin.automatic)
    # 免申即享, opened 30 September 09:00, money paid 9 October (no payment row: recorded as delivered).
    delivered.submitted_at, delivered.decided_at, delivered.reviewed_at = utc(2026, 9, 30, 1), utc(2026, 9, 30, 1), \
        utc(2026, 10, 8, 3)
    delivered.stage, delivered.approved_amount, delivered.paid_at = Stage.delivered, Decimal("40"), \
        utc(2026, 10, 9, 2)
    paid.decision = delivered.decision = Decision.approved
    later = cases.open_case(world.version, profiles["member"], auto.city, Origin.window)
    later.submitted_at = utc(2026, 10, 31, 16, 10)  # 1 November 00:10 local: after the period
    draft = cases.open_case(world.version, profiles["opted_out"], auto.city, Origin.online)
    draft.submitted_at = utc(2026, 10, 9, 2)  # still being filled in online: not an application yet
    db.session.commit()
    return {"paid": paid, "waiting": waiting, "delivered": delivered, "later": later, "draft": draft}


def exported(runner, *args) -> list[list[str]]:
    result = runner.invoke(args=["policy", "cases", *args])
    assert result.exit_code == 0, result.output
    return list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8-sig"))))


def test_one_row_per_application_opened_in_the_period_with_hand_counted_working_days(runner, fixed, auto):  # noqa: F811
    rows = exported(runner, "--from", "2026-09-01", "--to", "2026-10-31", "--as-of", "2026-10-31", "--format", "csv")
    assert rows[0] == HEADER
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {fixed[k].tracking_number for k in ("paid", "waiting", "delivered")}
    # 29, 30 Sep; 8, 9, 10 (make-up Saturday), 12 Oct: six working days after 28 September up to 12 October.
    assert by_number[fixed["paid"].tracking_number][1:] == [
        "ZC-2026-012-01", "KJ", "市政务服务中心惠企政策兑现专窗", "申报审核", "窗口受理", "2026-09-28", "2026-09-29",
        "2026-10-12", "6", "15", "是", "1", "0", "批准", "已兑现，待企业确认到位", "否", "25.00", "25.00"]
    assert by_number[fixed["waiting"].tracking_number][1:] == [
        "ZC-2026-012-01", "KJ", "高新区政务服务中心惠企专窗", "申报审核", "窗口受理", "2026-10-08", "", "", "", "15",
        # 15 working days after 8 October end on 28 October (the make-up Saturday counts): late on the 31st.
        "否", "2", "1", "", "待补正", "否", "", "0.00"]
    # 8, 9 October: two working days after 30 September (1, 2, 5, 6, 7 are holidays).
    assert by_number[fixed["delivered"].tracking_number][1:] == [
        "ZC-2026-012-03", "KJ", "城关区政务服务中心惠企专窗", "免申即享", "免申即享", "2026-09-30", "2026-09-30",
        "2026-10-09", "2", "15", "是", "0", "0", "批准", "已确认到位", "是", "40.00", "0.00"]
    # Rows in the order the applications were opened.
    assert [row[6] for row in rows[1:]] == ["2026-09-28", "2026-09-30", "2026-10-08"]
    # The next day's period holds the later one alone.
    assert [row[0] for row in exported(runner, "--from", "2026-11-01", "--to", "2026-11-01")[1:]] == [
        fixed["later"].tracking_number]


def test_the_cases_file_is_formula_safe_and_refuses_a_bad_period(runner, fixed, auto):  # noqa: F811
    auto.city.name = '=HYPERLINK("http://x")'
    db.session.commit()
    text = runner.invoke(args=["policy", "cases", "--from", "2026-09-01", "--to", "2026-09-30"]
                         ).stdout_bytes.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    result = runner.invoke(args=["policy", "cases", "--from", "2026-10-31", "--to", "2026-09-01"])
    assert result.exit_code != 0 and "--to" in result.output
    result = runner.invoke(args=["policy", "cases", "--from", "31/10/2026", "--to", "2026-11-01"])
    assert result.exit_code != 0 and "31/10/2026" in result.output


def test_the_statistics_are_recomputed_from_the_cases_file(runner, fixed, auto):  # noqa: F811
    """Every figure of `flask policy stats` for the whole period, from the rows of `flask policy cases` alone."""
    period = ["--from", "2026-09-01", "--to", "2026-10-31", "--as-of", "2026-10-31"]
    header, *rows = exported(runner, *period)
    col = {name: i for i, name in enumerate(header)}
    result = runner.invoke(args=["policy", "stats", *period, "--format", "json"])
    assert result.exit_code == 0, result.output
    total = json.loads(result.output)["total"]

    def nearest_rank(values: list[int], p: int) -> float | None:
        ordered = sorted(values)
        return float(ordered[math.ceil(p / 100 * len(ordered)) - 1]) if ordered else None

    approved = [r for r in rows if r[col["办理决定"]] in ("批准", "部分批准")]
    delivered = [r for r in rows if r[col["确认到位"]] == "是"]
    judged = [r for r in rows if r[col["是否按期"]]]
    days = [int(r[col["受理至兑现工作日"]]) for r in rows if r[col["受理至兑现工作日"]]]
    assert total["applications"] == len(rows) == 3
    assert total["approvals"] == len(approved) == 2
    assert total["approved_amount"] == sum(float(r[col["批准金额（万元）"]]) for r in approved) == 65.0
    assert total["paid_amount"] == sum(float(r[col["兑现金额（万元）"]]) for r in rows) == 25.0
    assert total["finished"] == len(days) == 2
    assert total["median_days"] == nearest_rank(days, 50) == 2.0 and total["p90_days"] == nearest_rank(days, 90) == 6.0
    assert total["on_time"] == {"numerator": sum(1 for r in judged if r[col["是否按期"]] == "是"),
                                "denominator": len(judged), "rate": round(2 / 3, 4)}
    assert total["delivered"]["numerator"] == len(delivered) == 1 and total["delivered"]["denominator"] == 2
    assert total["one_visit"]["numerator"] == sum(1 for r in delivered if int(r[col["跑动次数"]]) <= 1) == 1
    assert total["supplements_per_case"] == round(sum(int(r[col["补正告知次数"]]) for r in rows) / len(rows), 4)
