"""The 三率 as a pure function of plain rows, computed by hand (no application, no database)."""
from datetime import date

import pytest

from app.casework.rates import Item, compute

D = date.fromisoformat
START, END, TODAY = D("2026-05-01"), D("2026-05-31"), D("2026-06-15")


def item(case_id, department, assigned, ack_by, acked, due, replied, closed=None, outcome=None, rating=None):
    return Item("forum", case_id, f"KT-{case_id}", department, D(assigned), D(ack_by), acked and D(acked), D(due),
                replied and D(replied), closed and D(closed), outcome, rating)


ROWS = [
    # One case for departments 1 and 2, closed in May: solved, basically satisfied.
    item(1, 1, "2026-05-04", "2026-05-05", "2026-05-05", "2026-05-15", "2026-05-14", "2026-05-20", "solved",
         "basically"),
    item(1, 2, "2026-05-04", "2026-05-05", "2026-05-06", "2026-05-15", "2026-05-18", "2026-05-20", "solved",
         "basically"),
    # Department 1, assigned in April, closed in May: redirected (not a valid closing), satisfied.
    item(2, 1, "2026-04-28", "2026-04-29", "2026-04-29", "2026-05-08", "2026-05-07", "2026-05-09", "redirected",
         "satisfied"),
    # Department 2: an earlier cycle, replied late (its case was reopened: no closing on this row) ...
    item(3, 2, "2026-05-06", "2026-05-07", "2026-05-07", "2026-05-12", "2026-05-13"),
    # ... and the cycle closed in May: answered on the spot, the raiser unreachable.
    item(3, 2, "2026-05-20", "2026-05-21", None, "2026-06-03", "2026-05-22", "2026-05-25", "answered_on_spot",
         "unreachable"),
    # Department 3: assigned at the end of May, not acknowledged, its deadlines still ahead on TODAY.
    item(4, 3, "2026-05-29", "2026-06-01", None, "2026-06-30", None),
]


def n(rate):
    return rate.numerator, rate.denominator


def test_the_rates_by_hand():
    table = compute(ROWS, START, END, TODAY, 0.9)
    one, two, three = (table.departments[d] for d in (1, 2, 3))
    # 响应率 over May's assignments: dept 1 yes; dept 2 late, yes, never (past 05-21); dept 3 not acknowledged but
    # past its acknowledgement day (06-01 < 06-15): late.
    assert (n(one.response), n(two.response), n(three.response)) == ((1, 1), (1, 3), (0, 1))
    # 按期办结率: dept 1 on time; dept 2 late (05-18 > 05-15), late (05-13 > 05-12), on time; dept 3 not judged.
    assert (n(one.on_time), n(two.on_time), n(three.on_time)) == ((1, 1), (1, 3), (0, 0))
    # 解决率: dept 1 closed 1 (solved) and 2 (redirected: left out); dept 2 closed 1 and 3 (answered on the spot
    # does not count as solved).
    assert (n(one.solved), n(two.solved)) == ((1, 1), (1, 2))
    # 满意率: dept 1: basically + satisfied; dept 2: basically, and an unreachable raiser who gave no verdict.
    assert n(one.satisfaction) == (pytest.approx(1.9), 2) and n(two.satisfaction) == (pytest.approx(0.9), 1)
    # The city counts case 1 once: closed 1, 2, 3 → solved 1 of 2 valid, verdicts 0.9 + 1 of 2.
    assert n(table.city.solved) == (1, 2) and n(table.city.satisfaction) == (pytest.approx(1.9), 2)
    assert n(table.city.response) == (2, 5) and table.city.closings.closed == 3
    assert three.composite() == 0 and two.composite() == pytest.approx(100 * (1 / 3 + 1 / 3 + 1 / 2 + 0.9) / 4)


def test_a_day_earlier_nothing_of_department_3_is_judged_yet():
    three = compute(ROWS, START, END, D("2026-06-01"), 0.9).departments[3]
    assert three.response.denominator == 0 and three.response.value is None and three.composite() is None
