"""The small-group rule, one for every channel (DESIGN.md; issue 24, finding 1).

A department-side reader (a liaison) sees no figure that fewer than k people gave — survey raters, real-time
raters, complainants — nor one that could be recovered by subtracting the figures they do see. ``k`` is the
setting ``SMALL_GROUP_K`` (default 5). Staff of the supervising office keep the detail they need; callers decide
who is department-side (``department_side``) and apply the rule only to them.

The functions here are pure (the setting is read only by ``k()``, and only inside an application): the assessment,
the real-time channel and the complaints centre call them (and casework's pages will), so the rule is written once.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, TypeVar

from app.platform.roles import Role

DEFAULT_K = 5  # DESIGN.md: no figure from fewer than 5 raters for a department's own eyes

Key = TypeVar("Key", bound=Hashable)


def k() -> int:
    """The configured k (``SMALL_GROUP_K``); ``DEFAULT_K`` outside an application. Never below 2."""
    from flask import current_app, has_app_context

    value = current_app.config.get("SMALL_GROUP_K", DEFAULT_K) if has_app_context() else DEFAULT_K
    return max(2, int(value))


def department_side(user) -> bool:
    """Whether ``user`` reads as a department (a liaison, or any account tied to a department), not as the
    supervising office."""
    return getattr(user, "role", None) == Role.liaison or getattr(user, "department_id", None) is not None


def enough(n: int | None, k: int) -> bool:
    """A figure resting on ``n`` people may be shown to a department-side reader."""
    return n is not None and n >= k


@dataclass(frozen=True)
class Suppression(Generic[Key]):
    """Which cells of a table are withheld, and whether its total is."""

    cells: frozenset[Key]
    total: bool


def suppress(counts: Mapping[Key, int], k: int, *, total_known: bool = True) -> Suppression[Key]:
    """The cells of one table (``counts``: cell → how many people its figures rest on) a department-side reader
    may not see.

    Primary suppression: a cell of 1 … k−1 people. Complementary suppression: when the table's total is known to
    the reader (``total_known``: shown on the page, or elsewhere), the withheld cells together are the total minus
    the shown cells, so they must hold k people or more between them; otherwise the next-smallest shown cell
    (of at least one person) is withheld too, and so on. If even all of them hold fewer than k, the total is
    withheld as well. An empty cell (0) is never withheld: it says nothing about anybody.
    """
    hidden = {key for key, n in counts.items() if 0 < n < k}
    total = sum(counts.values())
    if hidden and total_known:
        spare = sorted((n, index) for index, (key, n) in enumerate(counts.items()) if n > 0 and key not in hidden)
        keys = list(counts)
        while sum(counts[key] for key in hidden) < k and spare:
            hidden.add(keys[spare.pop(0)[1]])
    return Suppression(frozenset(hidden), 0 < total < k)


# --------------------------------------------------------------------------- the periods a department may choose

def closed_months(today: date, count: int = 24) -> list[date]:
    """The first days of the last ``count`` calendar months that have ended, newest first.

    A department-side reader chooses among these only: whole, non-overlapping months that no longer grow, so no
    two periods differ by a day (start…end minus start…end−1) nor by a rating added since the last visit.
    """
    months, first = [], today.replace(day=1)
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months


def month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return ((first.replace(day=28) + timedelta(days=4)).replace(day=1)) - timedelta(days=1)


def parse_month(text: str | None) -> date | None:
    """``YYYY-MM`` as the month's first day; None when unreadable."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


def choose_month(asked: str | None, today: date) -> tuple[date, list[date], bool]:
    """The month a department-side reader asked for (``YYYY-MM``), the months it may choose from, and whether it
    asked for one it may not (then the last ended month is given)."""
    months = closed_months(today)
    month = parse_month(asked)
    if month in months:
        return month, months, False
    return months[0], months, asked is not None
