"""Sensible ranges for every date a person types: form fields, imported cells and the dates of report filters.

Issue 24, finding 9: a complaint dated 9999-12-31 was accepted, and an audit filter of that day overflowed into a
500. One range for all of them: nothing before EARLIEST (the platform holds no record older, and a year like
1900 is a typo), nothing after today for "when did it happen", and no more than FUTURE_DAYS ahead for a date that
is planned (a round's closing day, a deadline) or a filter's end. The message names the field and the range; a
form's date input gets the same range as its ``min`` and ``max``, so that the browser's picker offers no other.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash
from flask_babel import gettext as _
from wtforms.validators import ValidationError

from app.platform.calendar import local_today, report_period

EARLIEST = date(2000, 1, 1)
FUTURE_DAYS = 366  # a planned date (a round's closing day, a deadline) lies within a year


def bounds(*, future_days: int = 0, from_today: bool = False) -> tuple[date, date]:
    """The (first, last) day allowed: from EARLIEST (or today) to today plus ``future_days``."""
    today = local_today()
    return (today if from_today else EARLIEST), today + timedelta(days=future_days)


def out_of_range(field: str, day: date, low: date, high: date) -> str | None:
    """The message for a day outside [low, high], naming the field; None if it is inside."""
    if low <= day <= high:
        return None
    return _("%(field)s must be between %(low)s and %(high)s (you gave %(value)s).", field=field,
             low=low.isoformat(), high=high.isoformat(), value=day.isoformat())


class DateWithin:
    """A DateField's range: ``future_days`` (0: not in the future), ``from_today`` (not in the past).

    Its ``field_flags`` become the input's ``min`` and ``max`` attributes (WTForms' DateInput renders them); they
    are read when a form is built, so they follow the calendar day.
    """

    def __init__(self, *, future_days: int = 0, from_today: bool = False) -> None:
        self.future_days, self.from_today = future_days, from_today

    @property
    def field_flags(self) -> dict[str, str]:
        low, high = bounds(future_days=self.future_days, from_today=self.from_today)
        return {"min": low.isoformat(), "max": high.isoformat()}

    def __call__(self, form, field) -> None:
        if isinstance(field.data, date):
            message = out_of_range(field.label.text, field.data,
                                   *bounds(future_days=self.future_days, from_today=self.from_today))
            if message:
                raise ValidationError(message)


def filter_date(text: str | None, field: str, messages: list[str]) -> date | None:
    """A report filter's date from the query string, or None (absent, unreadable or out of range: said in
    ``messages``, and the filter is ignored)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        messages.append(_("%(field)s: %(value)s is not a date (YYYY-MM-DD); the filter is ignored.",
                          field=field, value=text[:40]))
        return None
    problem = out_of_range(field, day, *bounds(future_days=FUTURE_DAYS))
    if problem:
        messages.append(_("%(problem)s The filter is ignored.", problem=problem))
        return None
    return day


def filter_range() -> dict[str, str]:
    """``min`` and ``max`` of a report filter's date inputs (the range filter_date accepts)."""
    low, high = bounds(future_days=FUTURE_DAYS)
    return {"min": low.isoformat(), "max": high.isoformat()}


def period_from_query(args, default_start: date, *, say: bool = True) -> tuple[date, date]:
    """The report period of ?start=&end= (this period's default where absent or refused); with ``say``, a date
    refused is flashed, so that the page tells which filter it ignored."""
    messages: list[str] = []
    start = filter_date(args.get("start"), _("Start date"), messages)
    end = filter_date(args.get("end"), _("End date"), messages)
    if say:
        for message in messages:
            flash(message, "error")
    return report_period(start and start.isoformat(), end and end.isoformat(), default_start)
