"""An item's conditions decided for one enterprise, in three values, with the trace of every rule.

A rule is an expression of the safe language (``rules``) over the profile's fields (``eligibility.fields``). With
the facts of one enterprise it **holds**, **fails**, or is **unknown** — when what decides it is missing or stale
(Kleene's logic: ``{a} >= 1 or {b} = 'x'`` holds when ``b`` is 'x' though ``a`` is missing). Conditions no
computer can decide (“无重大安全事故”) are review conditions, left to a person.

The result of an item:

- **eligible** (符合): every rule holds and there is nothing to review;
- **likely** (可能符合): every rule holds and review conditions remain;
- **missing** (缺少信息): no rule fails but some are unknown — the fields they need are named;
- **ineligible** (不符合): a rule fails — the first one, with its legal reference.
"""
from __future__ import annotations

import enum
import operator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from eligibility.fields import BY_KEY, LIST, NUMBER, TEXT, Facts
from rules.expressions import And, Compare, Expression, ExpressionError, Literal, Node, Not, Or, Var, compare, \
    parse_expression, truthy
from rules.messages import Message, N_


class State(str, enum.Enum):
    holds = "holds"
    fails = "fails"
    unknown = "unknown"


class Result(str, enum.Enum):
    eligible = "eligible"
    likely = "likely"
    missing = "missing"
    ineligible = "ineligible"


RESULTS = tuple(Result)
UNKNOWN = object()  # a value that cannot be used: its field is missing or stale


@dataclass(frozen=True)
class Rule:
    """A computable condition: its expression, the label a person reads, the article it comes from."""

    expression: str
    label: str
    legal_ref: str = ""


@dataclass(frozen=True)
class Review:
    """A condition only a person can check (free text)."""

    label: str
    legal_ref: str = ""


@dataclass(slots=True)
class RuleCheck:
    """One rule's verdict for one enterprise: the values it read, and the fields that kept it undecided.

    Not frozen: a match makes 300,000 of them for the whole catalogue, and a frozen dataclass pays a setattr call
    per field (docs/PERFORMANCE.md § Policy matching). Nothing changes one once made."""

    index: int
    rule: Rule
    state: State
    values: tuple[tuple[str, Any], ...]
    missing: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()


@dataclass(slots=True)
class Match:
    result: Result
    checks: tuple[RuleCheck, ...]
    reviews: tuple[Review, ...]

    @property
    def first_failed(self) -> RuleCheck | None:
        return next((c for c in self.checks if c.state == State.fails), None)

    @property
    def first_unknown(self) -> RuleCheck | None:
        return next((c for c in self.checks if c.state == State.unknown), None)

    @property
    def missing_fields(self) -> tuple[str, ...]:
        """The missing or stale fields that left a rule undecided, in the order of the rules."""
        seen: dict[str, None] = {}
        for check in self.checks:
            if check.state == State.unknown:
                for key in check.missing + check.stale:
                    seen.setdefault(key, None)
        return tuple(seen)

    @property
    def deciding(self) -> RuleCheck | None:
        """The rule a one-line summary names: the first failed one, else the first unknown one."""
        return self.first_failed or self.first_unknown


# --------------------------------------------------------------------------- checking a rule when it is written

def rule_errors(text: str) -> list[Message]:
    """What is wrong with a rule's expression: syntax, unknown fields, a literal of the wrong type."""
    try:
        expression = parse_expression(text)
    except ExpressionError as error:
        return [Message.of(N_("%(reason)s (at character %(position)d)"), reason=error.reason,
                           position=error.position + 1)]
    errors: list[Message] = []
    for name in expression.variables:
        if name not in BY_KEY:
            errors.append(Message.of(N_("{%(name)s} is not a profile field"), name=name))
    for node in expression.tree.walk():
        if isinstance(node, Compare) and isinstance(node.left, Var) and isinstance(node.right, Literal):
            field = BY_KEY.get(node.left.name)
            if field is None:
                continue
            value = node.right.value
            if field.kind == NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
                errors.append(Message.of(N_("{%(name)s} is a number: compare it with a number"), name=field.key))
            elif field.kind == TEXT and not isinstance(value, str):
                errors.append(Message.of(N_("{%(name)s} is a text: compare it with a quoted text"), name=field.key))
            elif field.kind == LIST and node.op != "contains":
                errors.append(Message.of(N_("{%(name)s} is a list: test it with contains"), name=field.key))
            elif field.kind != LIST and node.op == "contains" and field.kind != TEXT:
                errors.append(Message.of(N_("{%(name)s} is a number: contains does not apply"), name=field.key))
    return errors


# --------------------------------------------------------------------------- three-valued evaluation

Evaluator = Callable[[Mapping[str, Any], frozenset], Any]


def _compile(node: Node) -> Evaluator:
    """A closure evaluating ``node`` in three values: a value, or UNKNOWN."""
    if isinstance(node, Var):
        name = node.name
        return lambda values, unknown: UNKNOWN if name in unknown else values.get(name)
    if isinstance(node, Literal):
        value = node.value
        return lambda values, unknown: value
    if isinstance(node, Not):
        operand = _compile(node.operand)

        def negate(values, unknown):
            v = operand(values, unknown)
            return UNKNOWN if v is UNKNOWN else not truthy(v)
        return negate
    if isinstance(node, Compare):
        if isinstance(node.left, Var) and isinstance(node.right, Literal):
            fast = _field_against_literal(node.left.name, node.op, node.right.value)
            if fast is not None:
                return fast
        op, left, right = node.op, _compile(node.left), _compile(node.right)

        def comparison(values, unknown):
            a, b = left(values, unknown), right(values, unknown)
            return UNKNOWN if a is UNKNOWN or b is UNKNOWN else compare(op, a, b)
        return comparison
    if isinstance(node, (And, Or)):
        left, right = _compile(node.left), _compile(node.right)
        decisive = not isinstance(node, And)  # a false decides an And, a true decides an Or

        def junction(values, unknown):
            a = left(values, unknown)
            if a is not UNKNOWN and truthy(a) == decisive:
                return decisive
            b = right(values, unknown)
            if b is not UNKNOWN and truthy(b) == decisive:
                return decisive
            return UNKNOWN if a is UNKNOWN or b is UNKNOWN else not decisive
        return junction
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover - the parser makes no other node


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _field_against_literal(name: str, op: str, literal: Any) -> Evaluator | None:
    """``{field} op literal`` — nearly every rule — as one closure, for speed (the matching benchmark).

    The same verdict as ``rules.expressions.compare`` (a missing value is false; a number only equals or orders
    against a number, a text against a text; ``contains`` tests a list's elements of the literal's kind, or a
    substring), without its general type dispatch. None for a literal of another type (the general path).
    """
    number = isinstance(literal, (int, float)) and not isinstance(literal, bool)
    if not number and not isinstance(literal, str):
        return None
    kinds = (int, float) if number else str

    def same_kind(a) -> bool:  # _same_kind(a, literal) of rules.expressions
        return isinstance(a, kinds) and a is not True and a is not False

    if op in _ORDER:
        order = _ORDER[op]

        def ordered(values, unknown):
            if name in unknown:
                return UNKNOWN
            a = values.get(name)
            return a is not None and same_kind(a) and order(a, literal)
        return ordered
    if op in ("=", "!="):
        equal = op == "="

        def equality(values, unknown):
            if name in unknown:
                return UNKNOWN
            a = values.get(name)
            if a is None:
                return False
            return (same_kind(a) and a == literal) == equal
        return equality
    if op == "contains":
        def contains(values, unknown):
            if name in unknown:
                return UNKNOWN
            a = values.get(name)
            if isinstance(a, (list, tuple)):
                return any(same_kind(x) and x == literal for x in a)
            return not number and isinstance(a, str) and literal in a
        return contains
    return None


@dataclass(frozen=True)
class _Compiled:
    rule: Rule
    evaluate: Evaluator
    fields: tuple[str, ...]


class RuleSet:
    """An item version's conditions, parsed and compiled once, matched against many enterprises."""

    def __init__(self, rules: Sequence[Rule], reviews: Sequence[Review] = ()):
        compiled = []
        for rule in rules:
            expression: Expression = parse_expression(rule.expression)
            compiled.append(_Compiled(rule, _compile(expression.tree), tuple(expression.variables)))
        self._rules = tuple(compiled)
        self._plan = tuple((i, c.rule, c.evaluate, c.fields) for i, c in enumerate(compiled))
        self.reviews = tuple(reviews)

    @property
    def fields(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in self._rules:
            for key in c.fields:
                seen.setdefault(key, None)
        return tuple(seen)

    def match(self, facts: Facts) -> Match:
        checks = []
        values, missing, stale, unknown = facts.values, facts.missing, facts.stale, facts.unknown
        get, holds, fails = values.get, State.holds, State.fails
        any_failed = any_unknown = False
        for index, rule, evaluate, fields in self._plan:
            value = evaluate(values, unknown)
            if len(fields) == 1:
                key = fields[0]
                read = ((key, None if key in missing else get(key)),)
            else:
                read = tuple([(key, None if key in missing else get(key)) for key in fields])
            if value is UNKNOWN:
                any_unknown = True
                check = RuleCheck(index, rule, State.unknown, read, tuple([k for k in fields if k in missing]),
                                  tuple([k for k in fields if k in stale]))
            else:
                if value is True or (value is not False and truthy(value)):
                    state = holds
                else:
                    state, any_failed = fails, True
                check = RuleCheck(index, rule, state, read, (), ())
            checks.append(check)
        if any_failed:
            result = Result.ineligible
        elif any_unknown:
            result = Result.missing
        elif self.reviews:
            result = Result.likely
        else:
            result = Result.eligible
        return Match(result, tuple(checks), self.reviews)
