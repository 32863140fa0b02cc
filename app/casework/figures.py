"""Per-department figures of casework: how many cases, answered, answered on time, overdue — and the rates.

The on-time rate judges the cases whose deadline has been put to the test: answered ones (on time or late) and
overdue ones. A case still within its deadline counts in ``total`` but not in the rate yet.

The figures count anything with a ``department_id`` that says whether it was ``answered``, whether ``on_time`` and
whether ``overdue(today)``: a case model (``deadlines.Deadline``) or a plain ``Task`` — one deadline read off a
row, as the 三率 (``rates``) judge both the acknowledgement and the reply of an assignment with these figures.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from app.casework.deadlines import Deadline


@dataclass(frozen=True)
class Task:
    """One deadline as plain values: a department had until the local date ``due_on`` and did it on ``done_on``
    (None while not done). Counted by ``CaseFigures`` like a case."""

    department_id: int
    due_on: date
    done_on: date | None

    @property
    def answered(self) -> bool:
        return self.done_on is not None

    @property
    def on_time(self) -> bool | None:
        """Done on the due date or before (None while not done)."""
        return None if self.done_on is None else self.done_on <= self.due_on

    def overdue(self, today: date) -> bool:
        """Not done, and the due date has passed."""
        return self.done_on is None and today > self.due_on


@dataclass
class CaseFigures:
    """A department's (or the city's) cases: how many, answered, answered on time, overdue."""

    total: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def late(self) -> int:
        """Answered after the due date."""
        return self.answered - self.on_time

    @property
    def judged(self) -> int:
        """The cases whose deadline has been put to the test: answered, or overdue."""
        return self.answered + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Answered on time among the cases answered or overdue; None when there is none yet."""
        return self.on_time / self.judged if self.judged else None

    def count(self, case: Deadline | Task, today: date) -> None:
        """Add one case as it stands on ``today``."""
        self.total += 1
        if case.answered:
            self.answered += 1
            self.on_time += bool(case.on_time)
        elif case.overdue(today):
            self.overdue += 1


F = TypeVar("F", bound=CaseFigures)


class FiguresByDepartment(defaultdict, Generic[F]):
    """Figures per department id (made on first use), and ``city`` for every department together."""

    def __init__(self, figures: Callable[[], F]):
        super().__init__(figures)
        self.city: F = figures()

    def count(self, case: Deadline | Task, today: date) -> None:
        """Add one case to its department's figures and to the city's."""
        for figures in (self[case.department_id], self.city):
            figures.count(case, today)


def figures_by_department(cases: Iterable[Deadline | Task], today: date,
                          figures: Callable[[], F] = CaseFigures) -> FiguresByDepartment[F]:
    """The figures of ``cases`` (rows of one kind of case) per department and for the city, as of ``today``."""
    result = FiguresByDepartment(figures)
    for case in cases:
        result.count(case, today)
    return result
