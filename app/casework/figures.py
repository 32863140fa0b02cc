"""Per-department figures of casework: how many cases, answered, answered on time, overdue — and the rates.

The on-time rate judges the cases whose deadline has been put to the test: answered ones (on time or late) and
overdue ones. A case still within its deadline counts in ``total`` but not in the rate yet.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from app.casework.deadlines import Deadline


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
    def on_time_rate(self) -> float | None:
        """Answered on time among the cases answered or overdue; None when there is none yet."""
        judged = self.answered + self.overdue
        return self.on_time / judged if judged else None

    def count(self, case: Deadline, today: date) -> None:
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

    def count(self, case: Deadline, today: date) -> None:
        """Add one case to its department's figures and to the city's."""
        for figures in (self[case.department_id], self.city):
            figures.count(case, today)


def figures_by_department(cases: Iterable[Deadline], today: date,
                          figures: Callable[[], F] = CaseFigures) -> FiguresByDepartment[F]:
    """The figures of ``cases`` (rows of one kind of case) per department and for the city, as of ``today``."""
    result = FiguresByDepartment(figures)
    for case in cases:
        result.count(case, today)
    return result
