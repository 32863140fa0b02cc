"""Working-day deadlines: weekends skipped, holidays skipped, make-up working days counted."""
from datetime import date

import pytest

from app.platform.calendar import add_workdays, is_workday, parse_dates

WEDNESDAY = date(2026, 11, 25)
FRIDAY = date(2026, 11, 27)


def test_weekends_do_not_count():
    assert add_workdays(FRIDAY, 1, [], []) == date(2026, 11, 30)  # Monday
    assert add_workdays(WEDNESDAY, 5, [], []) == date(2026, 12, 2)  # the next Wednesday
    assert add_workdays(date(2026, 11, 28), 1, [], []) == date(2026, 11, 30)  # from a Saturday


def test_zero_days_is_the_same_day():
    assert add_workdays(WEDNESDAY, 0, [], []) == WEDNESDAY


def test_holidays_are_skipped_and_make_up_days_count():
    # National Day week 2026: 1–7 October off, Saturday 10 October worked (illustrative).
    holidays = [date(2026, 10, d) for d in range(1, 8)]
    extra = [date(2026, 10, 10)]
    assert add_workdays(date(2026, 9, 30), 1, holidays, extra) == date(2026, 10, 8)
    assert add_workdays(date(2026, 10, 9), 1, holidays, extra) == date(2026, 10, 10)  # the make-up Saturday
    assert is_workday(date(2026, 10, 10), holidays, extra)
    assert not is_workday(date(2026, 10, 5), holidays, extra)


def test_the_configured_calendar_is_used(app):
    app.config["WORKDAY_HOLIDAYS"] = "2026-11-30, 2026-12-01"
    app.config["WORKDAY_EXTRA_WORKDAYS"] = ""
    assert add_workdays(FRIDAY, 1) == date(2026, 12, 2)


@pytest.mark.parametrize("raw,expected", [("", []), ("2026-01-01", [date(2026, 1, 1)]),
                                          ("2026-01-01, ,2026-02-17", [date(2026, 1, 1), date(2026, 2, 17)])])
def test_parse_dates(raw, expected):
    assert parse_dates(raw) == expected


@pytest.mark.parametrize("start,end", [("9999-12-31", None), ("0001-01-01", "9999-12-31"), ("nonsense", "2026-13-01")])
def test_report_periods_ignore_absurd_dates(app, start, end):
    from app.platform.calendar import local_today, report_period

    default = date(2026, 1, 1)
    first, last = report_period(start, end, default)
    assert (first, last) == (default, local_today())


def test_report_periods_put_the_dates_in_order(app):
    from app.platform.calendar import report_period

    assert report_period("2026-03-31", "2026-03-01", date(2026, 1, 1)) == (date(2026, 3, 1), date(2026, 3, 31))
