"""The profile fields rules may read, and the facts of one enterprise on one day.

A fact is **missing** when the profile has no value for it, and **stale** when its value is older than the field
allows (last year's figures go stale: ``STALE_FIELDS``). A rule that needs a missing or stale fact cannot be
decided: the result is "missing data", naming the field, never "ineligible".
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from datetime import date
from typing import Any, Iterable, Mapping

from rules.messages import N_

NUMBER, TEXT, LIST = "number", "text", "list"

SIZES = ("大型", "中型", "小型", "微型")


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # English msgid, translated where shown
    kind: str
    unit: str = ""
    source: str = ""  # a derived field names the stored field it comes from


FIELDS: tuple[Field, ...] = (
    Field("industry", N_("Industry code"), TEXT),
    Field("industry_door", N_("Industry section"), TEXT, source="industry"),
    Field("industry_major", N_("Industry division"), TEXT, source="industry"),
    Field("size", N_("Enterprise size"), TEXT),
    Field("district", N_("County or district"), TEXT),
    Field("age_years", N_("Years since registration"), NUMBER, N_("years"), source="registered_on"),
    Field("revenue", N_("Last year's revenue"), NUMBER, N_("10k yuan")),
    Field("employees", N_("Employees"), NUMBER, N_("people")),
    Field("tax_paid", N_("Last year's tax paid"), NUMBER, N_("10k yuan")),
    Field("rd_ratio", N_("R&D spending ratio"), NUMBER, "%"),
    Field("qualifications", N_("Qualifications"), LIST),
)
BY_KEY = {f.key: f for f in FIELDS}

# The stored fields behind the facts (a derived fact is missing or stale with its source).
STORED = ("industry", "size", "district", "registered_on", "revenue", "employees", "tax_paid", "rd_ratio",
          "qualifications")
# Yearly figures: stale once older than the configured number of days.
STALE_FIELDS = frozenset({"size", "revenue", "employees", "tax_paid", "rd_ratio"})


@dataclass(frozen=True)
class Facts:
    """One enterprise's facts on one day: ``values`` by field key, and the keys that are missing or stale."""

    values: Mapping[str, Any]
    missing: frozenset[str]
    stale: frozenset[str]

    @cached_property
    def unknown(self) -> frozenset[str]:
        """Missing or stale (computed once: every rule of every item asks)."""
        return self.missing | self.stale


def completed_years(since: date, today: date) -> int:
    years = today.year - since.year
    return years - 1 if (today.month, today.day) < (since.month, since.day) else years


def current_qualifications(held: Iterable[tuple[str, date | None]], today: date) -> list[str]:
    """The qualifications valid on ``today`` (one without a valid-to date is valid)."""
    return sorted({name for name, valid_to in held if valid_to is None or valid_to >= today})


def build_facts(record: Mapping[str, Any], updated: Mapping[str, date | None], today: date,
                stale_days: int) -> Facts:
    """The facts of a profile ``record`` (stored field → value; qualifications as (name, valid_to) pairs).

    ``updated`` gives the day each stored field was last updated; a field never updated and empty is missing
    (an empty list of qualifications that was updated is a known "none").
    """
    missing: set[str] = set()
    stale: set[str] = set()
    for key in STORED:
        value = record.get(key)
        when = updated.get(key)
        empty = value is None or value == "" or (key == "qualifications" and not value and when is None)
        if empty:
            missing.add(key)
        elif key in STALE_FIELDS and when is not None and (today - when).days > stale_days:
            stale.add(key)
        elif key in STALE_FIELDS and when is None:
            stale.add(key)  # a figure of unknown date cannot be trusted as last year's
    values: dict[str, Any] = {}
    industry = record.get("industry") or None
    values["industry"] = industry
    values["industry_door"] = industry[0] if industry else None
    values["industry_major"] = industry[1:3] if industry and len(industry) >= 3 else None
    if industry and len(industry) < 3:
        missing.add("industry_major")
    for key in ("size", "district", "revenue", "employees", "tax_paid", "rd_ratio"):
        value = record.get(key)
        values[key] = None if value == "" else value
    registered = record.get("registered_on")
    values["age_years"] = completed_years(registered, today) if registered else None
    values["qualifications"] = current_qualifications(record.get("qualifications") or (), today)

    def spread(keys: set[str]) -> frozenset[str]:
        out = set(keys)
        for f in FIELDS:
            if f.source and f.source in keys:
                out.add(f.key)
        return frozenset(k for k in out if k in BY_KEY)

    return Facts(values, spread(missing), spread(stale))
