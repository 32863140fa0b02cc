"""The public policy catalogue (惠企政策): the published items, searched and filtered, one item in plain words, and
the self-check — an enterprise's figures matched against an item's rules without anything being stored.

Only published items of the current version are shown; nothing here reads or names an enterprise. The self-check
turns what a visitor typed into the facts the eligibility core reads (``eligibility.fields.build_facts``, every
figure entered counting as updated today, a field left empty as missing) and matches the item's rules: the result,
its trace (``app.policy.explain``) and the benefit estimate come back to the page and are forgotten.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable, Mapping

from flask import abort
from flask_babel import format_decimal, gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from app.departments.models import Department
from app.extensions import db
from app.policy import explain
from app.policy.models import ItemKind, ItemStatus, Policy, PolicyItem, PolicyItemVersion, \
    PolicyLevel, PolicyWindow
from app.profiles.facts import stale_days
from eligibility.benefits import Benefit
from eligibility.evaluation import Match, RuleSet
from eligibility import industries
from eligibility.fields import SIZES, build_facts
from rules.expressions import Compare, Literal, Var, parse_expression

PER_PAGE = 20
SECTIONS = tuple(industries.SECTIONS)  # GB/T 4754's sections (门类) A–T

def section_label(section: str) -> str:
    """``C 制造业``: a section of the industry classification with its name."""
    name = industries.SECTIONS.get(str(section).upper()[:1], "")
    return f"{section} {name}" if name else str(section)


# --------------------------------------------------------------------------- the catalogue

def _choice(value: str | None, allowed: Iterable[str]) -> str:
    value = (value or "").strip()
    return value if value in set(allowed) else ""


@dataclass(frozen=True)
class CatalogueFilter:
    """What the visitor searched for; anything unknown in the query string is ignored, never an error."""

    text: str = ""
    kind: str = ""
    department_id: int | None = None
    level: str = ""
    size: str = ""
    industry: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "CatalogueFilter":
        department = (args.get("department") or "").strip()
        return cls(
            text=" ".join((args.get("q") or "").split())[:100],
            kind=_choice(args.get("kind"), (k.value for k in ItemKind)),
            department_id=int(department) if department.isdigit() and len(department) < 10 else None,
            level=_choice(args.get("level"), (v.value for v in PolicyLevel)),
            size=_choice(args.get("size"), SIZES),
            industry=_choice((args.get("industry") or "").upper(), SECTIONS),
        )

    @property
    def narrowed(self) -> bool:
        return bool(self.text or self.kind or self.department_id or self.level or self.size or self.industry)

    def args(self) -> dict[str, Any]:
        """The filter as query arguments (for the pagination's links)."""
        out = {"q": self.text, "kind": self.kind, "department": self.department_id or "", "level": self.level,
               "size": self.size, "industry": self.industry}
        return {k: v for k, v in out.items() if v}


def _published():
    return (select(PolicyItem, PolicyItemVersion, Policy)
            .join(PolicyItemVersion, PolicyItemVersion.id == PolicyItem.current_version_id)
            .join(Policy, Policy.id == PolicyItem.policy_id)
            .where(PolicyItem.status == ItemStatus.published))


@dataclass(frozen=True)
class Entry:
    """One item in the list: its code, current version and policy."""

    item: PolicyItem
    version: PolicyItemVersion
    policy: Policy


def _fits(version: PolicyItemVersion, filters: CatalogueFilter) -> bool:
    """Sizes and industry sections an item is meant for (an empty list: all of them)."""
    if filters.size and version.sizes and filters.size not in version.sizes:
        return False
    if filters.industry and version.industries and not any(
            str(s).upper().startswith(filters.industry) for s in version.industries):
        return False
    return True


def search(filters: CatalogueFilter) -> list[Entry]:
    """The published items that match, ordered by policy level, policy and item code."""
    query = _published().options(joinedload(PolicyItemVersion.department))
    if filters.text:
        words = [w for w in filters.text.split(" ") if w]
        for word in words:
            query = query.where(or_(PolicyItemVersion.name.icontains(word, autoescape=True),
                                    Policy.title.icontains(word, autoescape=True),
                                    Policy.doc_number.icontains(word, autoescape=True)))
    if filters.kind:
        query = query.where(PolicyItemVersion.kind == ItemKind(filters.kind))
    if filters.department_id:
        query = query.where(PolicyItemVersion.department_id == filters.department_id)
    if filters.level:
        query = query.where(Policy.level == PolicyLevel(filters.level))
    rows = db.session.execute(query.order_by(PolicyItem.code)).all()
    return [Entry(item, version, policy) for item, version, policy in rows if _fits(version, filters)]


@dataclass
class Page:
    """A page of a list held in memory, with what ``_pagination.html`` reads."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(entries: list[Any], page: int, per_page: int = PER_PAGE) -> Page:
    pages = max(1, math.ceil(len(entries) / per_page))
    page = min(max(page, 1), pages)
    return Page(entries[(page - 1) * per_page:page * per_page], page, per_page, len(entries))


def departments() -> list[Department]:
    """The departments responsible for a published item, for the filter."""
    ids = select(PolicyItemVersion.department_id).join(
        PolicyItem, PolicyItem.current_version_id == PolicyItemVersion.id).where(
        PolicyItem.status == ItemStatus.published)
    return list(db.session.scalars(Department.ordered().where(Department.id.in_(ids))))


def published(code: str) -> Entry:
    """The published item with this code, or 404 (a draft, expired or repealed item is not public)."""
    row = db.session.execute(_published().where(PolicyItem.code == code)).first()
    if row is None:
        abort(404)
    return Entry(*row)


def windows() -> list[PolicyWindow]:
    """Where to apply: the city's window first, then the counties'."""
    return list(db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order, PolicyWindow.name)))


@dataclass(frozen=True)
class Condition:
    label: str
    legal_ref: str
    review: bool  # checked by a person, not computed


def conditions(version: PolicyItemVersion) -> list[Condition]:
    """The item's conditions in plain words: each rule's label and article, then those a person checks."""
    return ([Condition(r.get("label") or r["expression"], r.get("legal_ref", ""), False) for r in version.rules or ()]
            + [Condition(r["label"], r.get("legal_ref", ""), True) for r in version.reviews or ()])


def benefit_of(version: PolicyItemVersion) -> Benefit:
    return Benefit(version.benefit_kind, amount=version.amount, rate=version.rate, base=version.rate_base or "",
                   cap=version.cap, text=version.benefit_text or "")


def benefit_words(benefit: Benefit) -> str:
    """What the item gives, in words: an amount, a rate of a figure with its cap, or the item's text."""
    if benefit.kind == "fixed" and benefit.amount is not None:
        words = _("%(amount)s (10k yuan)", amount=format_decimal(benefit.amount))
    elif benefit.kind == "rate" and benefit.rate is not None:
        words = _("%(rate)s%% of %(base)s", rate=format_decimal(benefit.rate),
                  base=explain.field_label(benefit.base) if benefit.base else _("the declared figure"))
        if benefit.cap is not None:
            words += _(", at most %(cap)s (10k yuan)", cap=format_decimal(benefit.cap))
    else:
        return benefit.text
    return f"{words}。{benefit.text}" if benefit.text else words


def money(amount: Decimal) -> str:
    return _("%(amount)s (10k yuan)", amount=format_decimal(amount))


def source_link(url: str) -> str:
    """The policy's source address if it is a web address (anything else, e.g. ``javascript:``, is not linked)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


# --------------------------------------------------------------------------- the self-check

# What a visitor is asked for each fact a rule reads: a derived fact is asked as the stored field behind it.
ASKED = {"industry": "industry", "industry_door": "industry", "industry_major": "industry", "size": "size",
         "district": "district", "age_years": "registered_on", "revenue": "revenue", "employees": "employees",
         "tax_paid": "tax_paid", "rd_ratio": "rd_ratio", "qualifications": "qualifications"}
ORDER = ("industry", "size", "district", "registered_on", "revenue", "employees", "tax_paid", "rd_ratio",
         "qualifications")


def asked_fields(version: PolicyItemVersion) -> list[str]:
    """The stored fields the self-check asks for: those the item's rules read, and a rate benefit's base."""
    keys = {ASKED[k] for k in explain.rule_set(version).fields if k in ASKED}
    if version.benefit_kind == "rate" and version.rate_base in ASKED:
        keys.add(ASKED[version.rate_base])
    return [k for k in ORDER if k in keys]


def mentioned_qualifications(version: PolicyItemVersion) -> list[str]:
    """The qualifications the rules test (``{qualifications} contains '…'``), in the order they appear."""
    seen: dict[str, None] = {}
    for rule in version.rules or ():
        for node in parse_expression(rule["expression"]).tree.walk():
            if (isinstance(node, Compare) and node.op == "contains" and isinstance(node.left, Var)
                    and node.left.name == "qualifications" and isinstance(node.right, Literal)
                    and isinstance(node.right.value, str)):
                seen.setdefault(node.right.value, None)
    return list(seen)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    return float(value) if isinstance(value, Decimal) else value


@dataclass(frozen=True)
class SelfCheck:
    """What the self-check shows: the result and its trace in plain words, and what the item would give."""

    match: Match
    lines: list[explain.Line]
    missing: list[str]  # the questions left empty that would decide it (stored field keys)
    estimate: Decimal | None


def self_check(version: PolicyItemVersion, answers: Mapping[str, Any], today: date) -> SelfCheck:
    """Match the version's rules against what the visitor entered (nothing is stored).

    ``answers`` holds the stored fields asked for (``asked_fields``): text, numbers, a date, a list of
    qualification names. Everything entered counts as updated ``today``; a field left empty is missing. The
    qualifications are ticked boxes: none ticked is a known "none".
    """
    record: dict[str, Any] = {}
    updated: dict[str, date] = {}
    for key in ORDER:
        value = answers.get(key)
        if key == "qualifications":
            value = [(name, None) for name in value or ()]
            if "qualifications" in answers:
                updated[key] = today
        elif key in ("revenue", "tax_paid", "rd_ratio", "employees"):
            value = _number(value)
        elif isinstance(value, str):
            value = value.strip() or None
        if value is not None and value != [] and key != "qualifications":
            updated[key] = today
        record[key] = value
    facts = build_facts(record, updated, today, stale_days())
    rules: RuleSet = explain.rule_set(version)
    match = rules.match(facts)
    trace = explain.trace_json(match)
    figures = {k: facts.values.get(k) for k in ("revenue", "tax_paid") if k not in facts.unknown}
    missing = list(dict.fromkeys(ASKED.get(k, k) for k in match.missing_fields))
    return SelfCheck(match, explain.lines(version, trace), missing, benefit_of(version).estimate(figures))
