"""The city's calendar: its time zone, local days and their UTC bounds, report periods, and working days.

Working-day deadlines skip weekends, plus the configured public holidays and make-up working days.

China's official calendar moves weekend days around holidays (调休), so the
settings have both lists: ``WORKDAY_HOLIDAYS`` (days off on weekdays) and
``WORKDAY_EXTRA_WORKDAYS`` (weekend days that are worked). Dates are local
(the app's timezone, Asia/Shanghai by default).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def _calendar() -> tuple[frozenset[date], frozenset[date]]:
    if not has_app_context():
        return frozenset(), frozenset()
    return (frozenset(parse_dates(current_app.config.get("WORKDAY_HOLIDAYS", ()))),
            frozenset(parse_dates(current_app.config.get("WORKDAY_EXTRA_WORKDAYS", ()))))


def parse_dates(values: Iterable[str | date] | str) -> list[date]:
    """ISO dates from a list or a comma-separated string; blanks ignored."""
    if isinstance(values, str):
        values = values.split(",")
    result = []
    for value in values:
        if isinstance(value, date):
            result.append(value)
        elif value and value.strip():
            result.append(date.fromisoformat(value.strip()))
    return result


def is_workday(day: date, holidays: Iterable[date] | None = None, extra_workdays: Iterable[date] | None = None) -> bool:
    """Monday to Friday, except holidays; a make-up working day counts even on a weekend."""
    if holidays is None and extra_workdays is None:
        holidays, extra_workdays = _calendar()
    if day in set(extra_workdays or ()):
        return True
    return day.weekday() < 5 and day not in set(holidays or ())


def add_workdays(start: date, days: int, holidays: Iterable[date] | None = None,
                 extra_workdays: Iterable[date] | None = None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if holidays is None and extra_workdays is None:
        holidays, extra_workdays = _calendar()
    holidays, extra_workdays = set(holidays or ()), set(extra_workdays or ())
    day = start
    remaining = max(days, 0)
    while remaining:
        day += timedelta(days=1)
        if is_workday(day, holidays, extra_workdays):
            remaining -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if end is not after start)."""
    holidays, extra = _calendar()
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day, holidays, extra):
            count += 1
    return count


def local_zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def local_date(moment: datetime) -> date:
    """The calendar day of an aware timestamp in the city's timezone."""
    return moment.astimezone(local_zone()).date()


# The one way a moment is written on every page and in every export: the city's local time, numbers only (read
# the same in Chinese and English), to the minute; to the second where the order of close events matters (the
# audit log, the steps of a draw). Never "UTC": a reader in the city reads the city's clock.
TIME_PATTERN = "%Y-%m-%d %H:%M"
SECONDS_PATTERN = "%Y-%m-%d %H:%M:%S"


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """An aware timestamp as people read it: local time of the city, ``2026-12-07 09:30`` ("" for none)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
    return moment.astimezone(local_zone()).strftime(SECONDS_PATTERN if seconds else TIME_PATTERN)


def local_day(moment: datetime | date | None) -> str:
    """The local calendar day of an aware timestamp (a date is its own day), ``2026-12-07`` ("" for none)."""
    if moment is None:
        return ""
    return (local_date(moment) if isinstance(moment, datetime) else moment).isoformat()


def local_today() -> date:
    return datetime.now(local_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and ends."""
    zone = local_zone()
    start = datetime.combine(day, time.min, zone).astimezone(timezone.utc)
    return start, datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(timezone.utc)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC bounds of the local dates ``start`` to ``end`` inclusive."""
    return day_bounds(start)[0], day_bounds(end)[1]


# Report periods come from query strings; years outside this range are typos (and overflow datetime arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def report_period(start_text: str | None, end_text: str | None, default_start: date) -> tuple[date, date]:
    """A (start, end) period from ISO dates typed in a URL: unreadable or absurd dates fall back, order is fixed."""
    today = local_today()

    def parse(text: str | None, fallback: date) -> date:
        try:
            day = date.fromisoformat(text or "")
        except ValueError:
            return fallback
        return day if FIRST_YEAR <= day.year <= LAST_YEAR else fallback

    start, end = parse(start_text, default_start), parse(end_text, today)
    return (start, end) if start <= end else (end, start)
