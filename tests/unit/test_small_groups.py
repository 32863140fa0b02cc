"""The small-group rule as a function (issue 24, finding 1): which cells of a table a department may not see."""
from __future__ import annotations

from app.platform.small_groups import DEFAULT_K, department_side, enough, k, suppress


def test_k_is_five_by_default_and_follows_the_setting(app):
    assert DEFAULT_K == 5 and k() == 5  # outside a request too: the app fixture pushes a context
    app.config["SMALL_GROUP_K"] = 8
    assert k() == 8


def test_a_figure_needs_k_people():
    assert not enough(None, 5) and not enough(0, 5) and not enough(4, 5) and enough(5, 5)


def test_a_table_without_small_cells_is_shown_whole():
    shown = suppress({"W01": 12, "W02": 5, "W03": 0}, 5)
    assert shown.cells == frozenset() and not shown.total


def test_a_small_cell_takes_the_next_smallest_with_it_when_the_total_is_known():
    # W02 alone would be the total minus W01 and W03: the smallest other cell (W03, 6) goes too.
    shown = suppress({"W01": 30, "W02": 1, "W03": 6}, 5)
    assert shown.cells == {"W02", "W03"} and not shown.total


def test_withheld_cells_hold_k_people_between_them():
    # 1 + 2 = 3 < 5: the withheld pair would still be a group of 3 recovered by subtraction; 4 joins them.
    assert suppress({"a": 1, "b": 2, "c": 4, "d": 40}, 5).cells == {"a", "b", "c"}
    # 3 + 4 = 7: two small cells that are together k or more need no third.
    assert suppress({"a": 3, "b": 4, "c": 40}, 5).cells == {"a", "b"}


def test_empty_cells_are_neither_withheld_nor_used_to_complement():
    assert suppress({"a": 1, "b": 0, "c": 9}, 5).cells == {"a", "c"}


def test_without_a_known_total_only_the_small_cells_go():
    assert suppress({"a": 1, "b": 9}, 5, total_known=False).cells == {"a"}


def test_a_table_of_fewer_than_k_in_all_withholds_its_total_too():
    shown = suppress({"a": 1, "b": 2}, 5)
    assert shown.cells == {"a", "b"} and shown.total
    assert not suppress({}, 5).total and not suppress({"a": 0}, 5).total


def test_a_liaison_reads_as_its_department_and_the_office_does_not():
    from app.platform.roles import Role

    class Account:
        def __init__(self, role, department_id):
            self.role, self.department_id = role, department_id

    assert department_side(Account(Role.liaison, 3)) and department_side(Account(Role.liaison, None))
    assert not department_side(Account(Role.hr, None)) and not department_side(Account(Role.admin, None))


def test_a_department_chooses_among_whole_months_that_have_ended():
    from datetime import date

    from app.platform.small_groups import closed_months, month_end, parse_month

    assert closed_months(date(2026, 3, 15), 3) == [date(2026, 2, 1), date(2026, 1, 1), date(2025, 12, 1)]
    assert closed_months(date(2026, 3, 1), 1) == [date(2026, 2, 1)]  # the month of today never
    assert month_end(date(2024, 2, 1)) == date(2024, 2, 29) and month_end(date(2026, 12, 1)) == date(2026, 12, 31)
    assert parse_month("2026-02") == date(2026, 2, 1)
    assert parse_month("2026-13") is None and parse_month("abc") is None and parse_month(None) is None


def test_a_month_not_offered_gives_the_last_ended_month_and_says_so():
    from datetime import date

    from app.platform.small_groups import choose_month

    today = date(2026, 3, 15)
    assert choose_month(None, today)[::2] == (date(2026, 2, 1), False)
    assert choose_month("2026-01", today)[::2] == (date(2026, 1, 1), False)
    assert choose_month("2026-03", today)[::2] == (date(2026, 2, 1), True)  # still running
    assert choose_month("junk", today)[::2] == (date(2026, 2, 1), True)
