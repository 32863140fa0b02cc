"""An eligibility result in plain words: the result's name, each rule's verdict with the values it read.

A match's trace is stored as JSON (``trace_json``) with the result, and read back against the item version it was
decided by (``lines``): the staff's pages, the enterprise's personal page and the public self-check all show it
through ``templates/policy/_trace.html``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l

from app.policy.models import PolicyItemVersion
from eligibility.evaluation import Match, Result, Review, Rule, RuleSet, State
from eligibility.fields import BY_KEY, LIST, NUMBER

RESULT_LABELS = {
    Result.eligible: _l("Eligible"),
    Result.likely: _l("Likely eligible"),
    Result.missing: _l("Missing data"),
    Result.ineligible: _l("Not eligible"),
}
RESULT_HINTS = {
    Result.eligible: _l("Every condition is met."),
    Result.likely: _l("Every condition that can be computed is met; some conditions are checked by a person."),
    Result.missing: _l("Some conditions cannot be decided because data are missing or out of date."),
    Result.ineligible: _l("A condition is not met."),
}
STATE_LABELS = {State.holds: _l("Met"), State.fails: _l("Not met"), State.unknown: _l("Cannot be decided")}


def result_label(result: str | Result) -> str:
    return str(RESULT_LABELS[Result(result)])


def rule_set(version: PolicyItemVersion) -> RuleSet:
    """The version's conditions, parsed and compiled (once per match run)."""
    return RuleSet([Rule(r["expression"], r.get("label", ""), r.get("legal_ref", "")) for r in version.rules or ()],
                   [Review(r["label"], r.get("legal_ref", "")) for r in version.reviews or ()])


def _plain(value: Any) -> Any:
    if isinstance(value, (date,)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


_AS_IS = frozenset({int, float, str, bool, list, type(None)})  # values JSON takes as they are
_STATE_VALUES = {state: state.value for state in State}


def trace_json(match: Match) -> list[dict[str, Any]]:
    """The match's trace as stored: per rule its index, state, the values read and what kept it undecided.

    Written as a loop with the common values passed through untouched: a match run makes one per enterprise and
    item (bench/bench_policy_match.py --app).
    """
    out = []
    for c in match.checks:
        entry = {"index": c.index, "state": _STATE_VALUES[c.state],
                 "values": {k: v if type(v) in _AS_IS else _plain(v) for k, v in c.values}}
        if c.missing:
            entry["missing"] = list(c.missing)
        if c.stale:
            entry["stale"] = list(c.stale)
        out.append(entry)
    return out


def field_label(key: str) -> str:
    field = BY_KEY.get(key)
    return _(field.label) if field else key


def format_value(key: str, value: Any) -> str:
    """A field's value as a person reads it: numbers with their unit, lists joined, nothing as 未填写."""
    field = BY_KEY.get(key)
    if value is None or value == "":
        return _("not recorded")
    if field and field.kind == LIST:
        return "、".join(value) if value else _("none")
    if field and field.kind == NUMBER:
        unit = _(field.unit) if field.unit and field.unit != "%" else field.unit
        return f"{format_decimal(value)}{(' ' + unit) if unit and unit != '%' else unit}"
    return str(value)


@dataclass(frozen=True)
class Line:
    """One condition as shown: its words and article, its verdict, what it read, why it is undecided."""

    label: str
    legal_ref: str
    state: str  # holds | fails | unknown | review
    state_label: str
    reads: str
    note: str


def lines(version: PolicyItemVersion, trace: list[dict[str, Any]]) -> list[Line]:
    """The trace read against its version: one line per rule, then one per review condition."""
    rules = version.rules or []
    out = []
    for entry in trace:
        rule = rules[entry["index"]] if entry["index"] < len(rules) else {"label": "", "legal_ref": ""}
        state = State(entry["state"])
        reads = "；".join(f"{field_label(k)}：{format_value(k, v)}" for k, v in entry.get("values", {}).items())
        notes = []
        if entry.get("missing"):
            notes.append(_("missing: %(fields)s", fields="、".join(field_label(k) for k in entry["missing"])))
        if entry.get("stale"):
            notes.append(_("out of date: %(fields)s", fields="、".join(field_label(k) for k in entry["stale"])))
        out.append(Line(rule.get("label") or rule.get("expression", ""), rule.get("legal_ref", ""), state.value,
                        str(STATE_LABELS[state]), reads, "；".join(notes)))
    for review in version.reviews or []:
        out.append(Line(review["label"], review.get("legal_ref", ""), "review", _("Checked by a person"), "", ""))
    return out


def missing_fields(trace: list[dict[str, Any]]) -> list[str]:
    """The fields (keys) that left a rule undecided, in the order of the rules."""
    seen: dict[str, None] = {}
    for entry in trace:
        if entry["state"] == State.unknown.value:
            for key in entry.get("missing", []) + entry.get("stale", []):
                seen.setdefault(key, None)
    return list(seen)


def deciding_rule(version: PolicyItemVersion, trace: list[dict[str, Any]]) -> str:
    """The first failed rule, else the first undecided one, with its article ("" when every rule holds)."""
    entry = next((e for e in trace if e["state"] == State.fails.value), None) or \
        next((e for e in trace if e["state"] == State.unknown.value), None)
    if entry is None:
        return ""
    rule = (version.rules or [])[entry["index"]]
    label = rule.get("label") or rule["expression"]
    return f"{label}（{rule['legal_ref']}）" if rule.get("legal_ref") else label


def summary(version: PolicyItemVersion, result: str, trace: list[dict[str, Any]]) -> str:
    """One line: the result, and for 不符合 the first failed rule with its article, for 缺少信息 the fields."""
    label = result_label(result)
    if result == Result.ineligible.value and deciding_rule(version, trace):
        return f"{label}：{deciding_rule(version, trace)}"
    if result == Result.missing.value:
        return f"{label}：{'、'.join(field_label(k) for k in missing_fields(trace))}"
    return label
