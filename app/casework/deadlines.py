"""Deadlines in working days: when a case is due, whether it is overdue or due soon, whether it was answered on time.

A case is due on a local date (``due_on``). It is overdue from the day after that date while it still waits for
the department; it was answered on time when the department answered on its due date or before, the day being
the city's local day (a reply at 23:30 in Shanghai on the due date is on time, whatever the UTC date).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_
from sqlalchemy.ext.hybrid import hybrid_method

from app.platform.calendar import add_workdays, local_date

# "Due soon" on the supervision lists: due today or within this many working days.
DUE_SOON_WORKDAYS = 2


def due_date(start: date | datetime, workdays: int) -> date:
    """The due date ``workdays`` working days after ``start`` (a local date, or a timestamp read as one)."""
    day = local_date(start) if isinstance(start, datetime) else start
    return add_workdays(day, workdays)


def answered_on_time(answered_at: datetime | None, due_on: date) -> bool | None:
    """Whether an answer given at ``answered_at`` came on the local due date or before; None when not answered."""
    if answered_at is None:
        return None
    return local_date(answered_at) <= due_on


class Deadline:
    """Mixin for a model of a case that a department must answer by ``due_on`` (a date column of the model).

    The model names its ``status`` value for a case waiting for the department (``WAITING``), the one for an
    answered case (``ANSWERED``), and the column holding when the department answered (``ANSWERED_AT``).
    ``overdue`` and ``due_soon`` work on a loaded case and, on the class, as SQL conditions for queries.
    """

    WAITING = None
    ANSWERED = None
    ANSWERED_AT = ""

    @property
    def answered(self) -> bool:
        """The department has answered the case."""
        return self.status == self.ANSWERED

    @property
    def answered_at(self) -> datetime | None:
        """When the department answered, or None."""
        return getattr(self, self.ANSWERED_AT)

    @property
    def on_time(self) -> bool | None:
        """Answered by the due date (None while not answered)."""
        return answered_on_time(self.answered_at, self.due_on)

    @hybrid_method
    def overdue(self, today: date) -> bool:
        """Still waiting for the department after its due date."""
        return self.status == self.WAITING and today > self.due_on

    @overdue.expression
    def overdue(cls, today: date):
        return and_(cls.status == cls.WAITING, cls.due_on < today)

    @hybrid_method
    def due_soon(self, today: date, workdays: int = DUE_SOON_WORKDAYS) -> bool:
        """Still waiting, and due today or within ``workdays`` working days."""
        return self.status == self.WAITING and today <= self.due_on <= add_workdays(today, workdays)

    @due_soon.expression
    def due_soon(cls, today: date, workdays: int = DUE_SOON_WORKDAYS):
        return and_(cls.status == cls.WAITING, cls.due_on >= today, cls.due_on <= add_workdays(today, workdays))
