"""The questionnaire document: its JSON Schema, semantic checks, normalisation and traversal.

A questionnaire version is a JSON document::

    {"schema_version": 1, "title": {"zh": ..., "en": ...}, "description": {...}, "items": [...]}

``items`` is a flat list in display order; a ``section`` item starts a new page; the single
``department_block`` holds the questions asked once per picked department. See
docs/QUESTIONNAIRE.md for the full reference.
"""
from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator

import jsonschema

from questionnaire.i18n import Message, N_
from questionnaire.types import (
    BLOCK_TYPES,
    DATE_PATTERN,
    KEY_PATTERN,
    NOT_FAMILIAR,
    OTHER,
    OTHER_TYPES,
    QUESTION_TYPES,
    REGISTRY,
    Slot,
    local_text_schema,
    parse_date,
    text_of,
    type_of,
)
from rules.expressions import ExpressionError, canonical_expression, parse_expression

SCHEMA_VERSION = 1
EXPRESSION_FIELDS = ("show_if", "required_if")
# A questionnaire nests about 7 levels deep; a deeper document is refused before the schema (which recurses) sees it.
MAX_DEPTH = 32
# C0 controls but tab, LF and CR (no spreadsheet cell holds them), and lone UTF-16 surrogates (no database stores them).
NESTED_TOO_DEEP = N_("nested more than %(levels)d levels deep")
BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


@dataclass(frozen=True)
class Problem:
    """One problem found in a questionnaire, located by a JSON path or a spreadsheet cell.

    ``message`` is the English text (the CLI, the logs); ``template`` and ``params`` are the same message for the
    app to translate (``render(gettext)``); ``item`` is the key of the question the path points into, so that a
    page can name the place as the designer knows it ("the condition of visit", not items[2].show_if).
    """

    path: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    template: str = ""
    params: tuple = ()
    item: str | None = None

    @classmethod
    def of(cls, template: str, *, path: str = "", sheet=None, row=None, column=None, item=None,
           **params) -> "Problem":
        """The problem ``template`` filled with ``params`` (its English text is the message)."""
        return cls.said(Message.of(template, **params), path=path, sheet=sheet, row=row, column=column, item=item)

    @classmethod
    def said(cls, reason: Message, *, path: str = "", sheet=None, row=None, column=None, item=None) -> "Problem":
        """The problem that says ``reason`` at the given place."""
        return cls(path, str(reason), sheet, row, column, reason.template, reason.params, item)

    @property
    def reason(self) -> Message:
        """What is wrong, as a message to translate."""
        return Message(self.template, self.params) if self.template else Message(self.message)

    def render(self, gettext) -> str:
        """What is wrong, in the reader's language."""
        return self.reason.render(gettext) if self.template else self.message

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class QuestionnaireError(ValueError):
    """Raised with the list of all problems when a questionnaire (or an import) is invalid."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid questionnaire")


# ------------------------------------------------------------------------------ JSON Schema

def _item_schema(type_names: tuple[str, ...]) -> dict:
    # "type" picks the fragment (if/then) so that errors come from one fragment only.
    return {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": list(type_names)}},
        "allOf": [
            {"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
             "then": REGISTRY[name].schema()}
            for name in type_names
        ],
    }


@lru_cache(maxsize=1)
def document_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a questionnaire document."""
    top = _item_schema(QUESTION_TYPES)
    block_items = _item_schema(BLOCK_TYPES)
    for branch in top["allOf"]:
        if branch["if"]["properties"]["type"]["const"] == "department_block":
            branch["then"]["properties"]["items"]["items"] = block_items
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://beikaobei.example/schemas/questionnaire-1.json",
        "title": "Beikaobei questionnaire",
        "type": "object",
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "title": local_text_schema(),
            "description": local_text_schema(),
            "items": {"type": "array", "items": top, "maxItems": 1000},
        },
        "required": ["schema_version", "title", "items"],
        "additionalProperties": False,
    }


def format_path(parts) -> str:
    """Render a JSON path as items[3].options[1].score."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TOO_FEW = {"options": N_("too few options: at least %(limit)d needed"),
            "rows": N_("too few rows: at least %(limit)d needed"),
            "fields": N_("too few text boxes: at least %(limit)d needed"),
            "items": N_("too few questions: at least %(limit)d needed")}
_NONE = {"options": N_("no options: at least %(limit)d needed"), "rows": N_("no rows: at least %(limit)d needed"),
         "fields": N_("no text boxes: at least %(limit)d needed"),
         "items": N_("no questions: at least %(limit)d needed")}
_KINDS = {"string": N_("a text"), "number": N_("a number"), "integer": N_("a whole number"),
          "boolean": N_("true or false"), "array": N_("a list"), "object": N_("an object"), "null": N_("empty")}


def _schema_message(error: jsonschema.ValidationError) -> Message:
    """A designer-readable message for a jsonschema error (never jsonschema's own English)."""
    v, value, last = error.validator, error.validator_value, (error.path[-1] if error.path else None)
    m = Message.of
    if v == "enum" and last == "type":
        return m(N_("unknown question type %(value)s; expected one of %(choices)s"), value=repr(error.instance),
                 choices=", ".join(value))
    if v == "enum":
        return m(N_("%(value)s is not one of the allowed values (%(choices)s)"), value=repr(error.instance),
                 choices=", ".join(map(str, value)))
    if v == "pattern" and value == DATE_PATTERN:
        return m(N_("%(value)s is no date: write YYYY-MM-DD"), value=repr(error.instance))
    if v == "pattern" and (last == "key" or value == KEY_PATTERN):
        # a ranked item's value is a key too: it names an answer
        return m(N_("%(value)s is not a valid key: start with a lowercase letter, then lowercase letters, digits "
                    "or _ (at most 40 characters)") if last == "key" else
                 N_("%(value)s is not a valid value: start with a lowercase letter, then lowercase letters, "
                    "digits or _ (at most 40 characters)"), value=repr(error.instance))
    if v == "pattern":
        return m(N_("%(value)s is not a valid value: use letters, digits, _ . - (at most 40, no spaces)"),
                 value=repr(error.instance))
    if v == "required":
        return m(N_("this is required"))
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return m(N_("unknown field(s) %(fields)s"), fields=", ".join(map(repr, extra)))
    if v == "const" and last == "schema_version":
        return m(N_("%(field)s must be %(version)d"), field="schema_version", version=SCHEMA_VERSION)
    if v == "const":
        return m(N_("must be %(value)s"), value=repr(value))
    if v == "type":
        kind = value[0] if isinstance(value, list) else value
        return m(N_("must be %(kind)s"), kind=m(_KINDS.get(kind, N_("a value of another kind"))))
    if v == "minItems" and last in _TOO_FEW:
        return m((_TOO_FEW if error.instance else _NONE)[last], limit=value)
    if v == "minItems":
        return m(N_("too few entries: at least %(limit)d needed"), limit=value)
    if v == "maxItems":
        return m(N_("too many entries: at most %(limit)d"), limit=value)
    if v == "minimum" and last == "weight":
        return m(N_("a weight cannot be negative"))
    if v in ("minimum", "exclusiveMinimum"):
        return m(N_("must be at least %(limit)s"), limit=value)
    if v in ("maximum", "exclusiveMaximum"):
        return m(N_("must be at most %(limit)s"), limit=value)
    if v == "minLength":
        return m(N_("cannot be empty") if value <= 1 else N_("too short: at least %(limit)d characters"), limit=value)
    if v == "maxLength":
        return m(N_("too long: at most %(limit)d characters"), limit=value)
    return m(N_("this value is not allowed here"))


def item_key(doc: Any, parts) -> str | None:
    """The key of the question a JSON path points into (``("items", 2, "show_if")`` -> the key of items[2])."""
    parts, item = tuple(parts), None
    items = doc.get("items") if isinstance(doc, dict) else None
    for depth in (0, 2):
        if len(parts) > depth + 1 and parts[depth] == "items" and isinstance(parts[depth + 1], int) \
                and isinstance(items, list) and 0 <= parts[depth + 1] < len(items) \
                and isinstance(items[parts[depth + 1]], dict):
            item = items[parts[depth + 1]]
            items = item.get("items")
        else:
            break
    key = item.get("key") if item is not None else None
    return key if isinstance(key, str) else None


def problem_at(doc: Any, parts, template: str, **params) -> Problem:
    """The problem ``template`` at the JSON path ``parts`` of ``doc``, naming the question it is in."""
    return Problem.of(template, path=format_path(parts), item=item_key(doc, parts), **params)


def schema_problems(doc: Any) -> list[Problem]:
    """Problems found by the JSON Schema alone."""
    validator = jsonschema.Draft202012Validator(document_schema())
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        if error.validator in ("if", "allOf"):
            continue
        parts = tuple(error.absolute_path)
        reason = _schema_message(error)
        if error.validator == "required":  # the place is each missing field: its name is said in the reader's words
            places = [parts + (name,) for name in error.validator_value if name not in (error.instance or {})]
        else:
            places = [parts]
        problems += [Problem.said(reason, path=format_path(p), item=item_key(doc, p)) for p in places]
    return problems


# ------------------------------------------------------------------------------ traversal

@dataclass(frozen=True)
class Located:
    """An item with its JSON path and whether it sits in the department block."""

    item: dict
    path: tuple
    in_block: bool
    block: dict | None = None


def iter_items(doc: dict) -> Iterator[Located]:
    """Every item in document order, including those inside the department block."""
    for i, item in enumerate(_list(doc.get("items"))):
        if not isinstance(item, dict):
            continue
        yield Located(item, ("items", i), False)
        if item.get("type") == "department_block":
            for j, sub in enumerate(_list(item.get("items"))):
                if isinstance(sub, dict):
                    yield Located(sub, ("items", i, "items", j), True, item)


def department_block(doc: dict) -> dict | None:
    """The department block of a document, or None."""
    return next((it for it in _list(doc.get("items")) if isinstance(it, dict) and it.get("type") == "department_block"),
                None)


def dimension_labels(doc: dict, locale: str = "zh") -> dict[str, str]:
    """What people read for each dimension of the department block: the label of the question whose key the
    dimension is (服务态度 for ``attitude``), else that of the first question scored on it; keys are never shown."""
    items = [q for q in _list((department_block(doc) or {}).get("items")) if isinstance(q, dict)]
    by_key = {q.get("key"): q for q in items}
    out: dict[str, str] = {}
    for q in items:
        dimension = q.get("dimension") or (q.get("key") if q.get("scored") else None)
        if dimension and dimension not in out:
            source = by_key.get(dimension, q)
            out[dimension] = text_of(source.get("label"), locale) or text_of(q.get("label"), locale) or dimension
    return out


def _list(value) -> list:
    """``value`` if it is a list, else an empty one: the semantic checks also run on documents the schema refuses."""
    return value if isinstance(value, list) else []


def _kind(item: dict) -> str | None:
    """An item's type if it is a registered one (a list or dict in its place is no type at all)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) and kind in REGISTRY else None


def top_level_questions(doc: dict) -> list[dict]:
    """Top-level answerable items (not sections, not the block)."""
    return [it for it in doc["items"] if REGISTRY[it["type"]].answerable and it["type"] != "department_block"]


def slots_of(q: dict) -> list[Slot]:
    """The answer slots of a question."""
    return type_of(q).slots(q)


# ------------------------------------------------------------------------------ semantic checks

# What a condition says of a part it names: one template per kind of part (a matrix's rows, a ranking's items,
# the boxes of several short texts), so that each reads well once translated.
_NO_SUCH_PART = {"row": N_("{%(name)s}: the question %(base)s has no such row"),
                 "item": N_("{%(name)s}: the question %(base)s has no such item to rank"),
                 "field": N_("{%(name)s}: the question %(base)s has no such text box")}
_ONE_PART = {"row": N_("{%(name)s} has several rows: refer to one row, e.g. %(example)s"),
             "item": N_("{%(name)s} ranks several items: refer to one item, e.g. %(example)s"),
             "field": N_("{%(name)s} has several text boxes: refer to one box, e.g. %(example)s")}


@dataclass
class _Scope:
    """What an expression at some point of the document may refer to."""

    kinds: dict[str, str] = field(default_factory=dict)  # variable name -> question type
    questions: dict[str, dict] = field(default_factory=dict)


def semantic_problems(doc: Any) -> list[Problem]:
    """Checks JSON Schema cannot express; robust to documents that also fail the schema."""
    problems: list[Problem] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        return problems
    add = lambda path, template, **params: problems.append(problem_at(doc, path, template, **params))  # noqa: E731

    all_keys: dict[str, tuple] = {}
    blocks = 0
    for loc in iter_items(doc):
        key = loc.item.get("key")
        if isinstance(key, str):
            if key in all_keys:
                add(loc.path + ("key",), N_("duplicate key %(key)s: an earlier question has it already"), key=repr(key))
            else:
                all_keys[key] = loc.path
            if "__" in key:
                add(loc.path + ("key",), N_("%(key)s: a key cannot contain '__' (it separates parts of field names)"),
                    key=repr(key))
        if loc.item.get("type") == "department_block":
            blocks += 1
            if blocks > 1:
                add(loc.path, N_("a questionnaire has at most one department block"))
        _check_item(loc, add)

    # Expressions: refer only to earlier questions in scope.
    top = _Scope()
    block_scope: _Scope | None = None
    block_keys: set[str] = set()
    block = department_block(doc) if blocks else None
    if isinstance(block, dict):
        block_keys = {s.get("key") for s in _list(block.get("items"))
                      if isinstance(s, dict) and isinstance(s.get("key"), str)}
    for loc in iter_items(doc):
        item = loc.item
        if loc.in_block:
            if block_scope is None:
                block_scope = _Scope(dict(top.kinds), dict(top.questions))
            scope = block_scope
        else:
            scope = top
        for name in EXPRESSION_FIELDS:
            if isinstance(item.get(name), str):
                _check_expression(item[name], loc.path + (name,), scope, all_keys, block_keys, loc.in_block, add)
        _declare(item, scope)
    return problems


def _declare(item: dict, scope: _Scope) -> None:
    kind, key = _kind(item), item.get("key")
    if not isinstance(key, str) or kind is None:
        return
    scope.kinds[key] = kind
    scope.questions[key] = item
    if REGISTRY[kind].answerable:
        # Parts a condition names as {key.part}: matrix rows, ranked items, sub-fields, the text of "other".
        for part in _parts(item, kind):
            scope.kinds[f"{key}.{part}"] = f"{kind}_part"
            scope.questions[f"{key}.{part}"] = item


def _parts(item: dict, kind: str) -> list[str]:
    """The part keys of an item, read defensively (the semantic checks also run on documents the schema refuses)."""
    if kind == "matrix":
        return [r["key"] for r in _list(item.get("rows")) if isinstance(r, dict) and isinstance(r.get("key"), str)]
    if kind == "multi_text":
        return [f["key"] for f in _list(item.get("fields")) if isinstance(f, dict) and isinstance(f.get("key"), str)]
    if kind == "ranking":
        return [o["value"] for o in _list(item.get("options"))
                if isinstance(o, dict) and isinstance(o.get("value"), str)]
    if kind in OTHER_TYPES and item.get("other") is True:
        return [OTHER]
    return []


def _check_expression(text, path, scope, all_keys, block_keys, in_block, add) -> None:
    try:
        expr = parse_expression(text)
    except ExpressionError as e:
        add(path, N_("%(reason)s at character %(at)d:\n%(pointer)s"), reason=e.reason, at=e.position + 1,
            pointer=e.pointer())
        return
    for var in expr.var_nodes():
        name = var.name
        kind = scope.kinds.get(name)
        base = name.split(".")[0]
        if kind is None:
            base_type = REGISTRY.get(scope.kinds.get(base, ""))
            if base in block_keys and not in_block:
                add(path, N_("{%(name)s} is asked per department: only questions in the department block can use it"),
                    name=name)
            elif "." in name and base_type is not None and base_type.part_word:
                add(path, _NO_SUCH_PART[base_type.part_word], name=name, base=repr(base))
            elif "." in name and base in scope.kinds:
                add(path, N_("{%(name)s}: %(base)s has no part %(part)s"), name=name, base=repr(base),
                    part=repr(name.split(".", 1)[1]))
            elif base in all_keys or name in scope.kinds:
                add(path, N_("{%(name)s} is defined later: an expression can only use questions asked before it"),
                    name=name)
            else:
                add(path, N_("{%(name)s} does not refer to any question"), name=name)
        elif kind in ("section", "note"):
            add(path, N_("{%(name)s} is a page: it has no answer") if kind == "section" else
                N_("{%(name)s} is a note: it has no answer"), name=name)
        elif kind in REGISTRY and REGISTRY[kind].part_word:
            word = REGISTRY[kind].part_word
            add(path, _ONE_PART[word], name=name, example=f"{{{name}.{word}}}")
    _check_literals(expr, path, scope, add)


def _check_literals(expr, path, scope, add) -> None:
    """Catch comparisons with option values that do not exist (typos a designer cannot see)."""
    from rules.expressions import Compare, Literal, Not, Var, to_source

    for node in expr.tree.walk():
        if not isinstance(node, Compare):
            continue
        if isinstance(node.left, Not):
            # 'not' binds tighter than comparisons: not {a} = 'x' compares true/false with 'x'.
            fixed = to_source(Not(Compare(node.op, node.left.operand, node.right)))
            add(path, N_("'%(word)s' applies to %(operand)s alone here; write %(fixed)s instead"), word="not",
                operand=to_source(node.left.operand), fixed=fixed)
        pairs = [(node.left, node.right), (node.right, node.left)] if node.op != "contains" else [(node.left, node.right)]
        for var, lit in pairs:
            if not (isinstance(var, Var) and isinstance(lit, Literal)):
                continue
            q, kind = scope.questions.get(var.name), scope.kinds.get(var.name)
            values = _option_values(q, kind)
            if values is None:
                continue
            if isinstance(lit.value, str) and lit.value not in values:
                add(path, N_("%(value)s is not an option of {%(name)s} (options: %(options)s)"), value=repr(lit.value),
                    name=var.name, options=", ".join(map(str, values)))
            elif not isinstance(lit.value, str):
                add(path, N_("{%(name)s} has text values: compare it with a 'quoted' option value"), name=var.name)


def _option_values(q: dict | None, kind: str | None) -> list | None:
    """The values a choice question's answer can take (None for a question that is no choice)."""
    if q is None or kind not in ("single", "multiple", "dropdown", "yes_no"):
        return None
    if kind == "yes_no":
        return REGISTRY[kind].option_values(q)
    values = [o.get("value") for o in _list(q.get("options")) if isinstance(o, dict)]
    return values + [OTHER] if q.get("other") is True else values


def _check_item(loc: Located, add) -> None:
    item, path = loc.item, loc.path
    kind = _kind(item)
    if kind is None:
        return
    if loc.in_block and not REGISTRY[kind].in_block:
        return  # the schema reports it
    options = item.get("options")
    if isinstance(options, list):
        seen = {}
        for i, option in enumerate(options):
            if not isinstance(option, dict) or not isinstance(option.get("value"), (str, int, float)):
                continue  # no value, or one the schema refuses (a list cannot even be compared)
            value = option["value"]
            if value in seen and type(value) is type(options[seen[value]].get("value")):
                add(path + ("options", i, "value"), N_("duplicate option value %(value)s (also option %(other)d)"),
                    value=repr(value), other=seen[value] + 1)
            seen.setdefault(value, i)
            if kind in ("rating", "matrix") and value == NOT_FAMILIAR:
                add(path + ("options", i, "value"), N_("use the question's “not familiar” setting for the 不了解 option"))
    _check_min_max(item, path, "min", "max", add)
    _check_min_max(item, path, "min_picks", "max_picks", add)
    if kind == "multiple" and isinstance(options, list):
        for bound in ("min_picks", "max_picks"):
            if isinstance(item.get(bound), int) and item[bound] > len(options):
                add(path + (bound,), N_("at least %(picks)d picks are asked but there are only %(options)d options")
                    if bound == "min_picks" else
                    N_("up to %(picks)d picks are allowed but there are only %(options)d options"),
                    picks=item[bound], options=len(options))
    parts, word = {"matrix": ("rows", "row"), "multi_text": ("fields", "field")}.get(kind, (None, None))
    if parts and isinstance(item.get(parts), list):
        seen_rows = set()
        for i, row in enumerate(item[parts]):
            key = row.get("key") if isinstance(row, dict) and isinstance(row.get("key"), str) else None
            if key is not None and key in seen_rows:
                add(path + (parts, i, "key"), N_("duplicate row key %(key)s") if word == "row" else
                    N_("duplicate text box key %(key)s"), key=repr(key))
            seen_rows.add(key)
    if kind in ("single", "multiple", "dropdown") and item.get("scored") is True and isinstance(options, list):
        if not any(isinstance(o, dict) and "score" in o for o in options):
            add(path + ("scored",), N_("a scored question needs a score on at least one option"))
    if kind == "yes_no" and item.get("scored") is True and "yes_score" not in item and "no_score" not in item:
        add(path + ("scored",), N_("a scored yes/no question needs a score for “yes” or for “no”"))
    if item.get("other") is True and isinstance(options, list):
        for i, option in enumerate(options):
            if isinstance(option, dict) and option.get("value") == OTHER:
                add(path + ("options", i, "value"), N_("%(value)s is the value of the \"other, please specify\" "
                                                       "option: give this option another value, or remove it"),
                    value=repr(OTHER))
    if kind == "date":
        _check_dates(item, path, add)
    if item.get("required") is True and "required_if" in item:
        add(path + ("required_if",), N_("the question is already required: remove the required condition, or make it not required"))


def _check_dates(item, path, add):
    """A date's bounds: real days (the schema checks the YYYY-MM-DD shape), min not after max."""
    for bound in ("min", "max"):
        text = item.get(bound)
        if isinstance(text, str) and re.fullmatch(DATE_PATTERN, text) and not parse_date(text):
            add(path + (bound,), N_("%(value)s is no date: write YYYY-MM-DD"), value=repr(text))
    bounds = [item.get(b) for b in ("min", "max")]
    if all(isinstance(b, str) and parse_date(b) for b in bounds) and bounds[0] > bounds[1]:
        add(path + ("min",), N_("the earliest date (%(low)s) is after the latest (%(high)s)"), low=bounds[0],
            high=bounds[1])


def _check_min_max(item, path, lo, hi, add):
    a, b = item.get(lo), item.get(hi)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and a > b:
        add(path + (lo,), N_("the minimum (%(low)s) is greater than the maximum (%(high)s)") if lo == "min" else
            N_("the fewest picks (%(low)s) are more than the most picks (%(high)s)"), low=a, high=b)


# ------------------------------------------------------------------------------ public API

def value_problems(doc: Any) -> list[Problem]:
    """Values no questionnaire may hold, wherever they are: too deep a nesting, control characters and lone
    surrogates in texts and keys, numbers that are not finite (NaN, Infinity)."""
    problems: list[Problem] = []
    stack = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return [Problem.of(NESTED_TOO_DEEP, path=format_path(path[:MAX_DEPTH]), levels=MAX_DEPTH)]
        if isinstance(value, dict):
            for key, sub in value.items():
                if isinstance(key, str) and BAD_CHARACTERS.search(key):
                    problems.append(Problem.of(N_("a field name contains %(character)s"), path=format_path(path),
                                               character=_character(key)))
                stack.append((sub, path + (key,)))
        elif isinstance(value, list):
            stack.extend((sub, path + (i,)) for i, sub in enumerate(value))
        elif isinstance(value, str) and BAD_CHARACTERS.search(value):
            problems.append(Problem.of(N_("the text contains %(character)s, which cannot be shown or stored: remove it"),
                                       path=format_path(path), item=item_key(doc, path), character=_character(value)))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem.of(N_("not a finite number"), path=format_path(path), item=item_key(doc, path)))
    return sorted(problems, key=lambda p: p.path)


def _character(text: str) -> Message:
    found = BAD_CHARACTERS.search(text).group()
    if "\ud800" <= found <= "\udfff":
        return Message.of(N_("a lone surrogate (U+%(code)04X)"), code=ord(found))
    return Message.of(N_("a control character (U+%(code)04X)"), code=ord(found))


def validate_document(doc: Any) -> list[Problem]:
    """Return every problem of a questionnaire document (empty list when valid)."""
    values = value_problems(doc)
    if any(p.template == NESTED_TOO_DEEP for p in values):
        return values
    return values + schema_problems(doc) + semantic_problems(doc)


def check_document(doc: Any) -> dict:
    """Validate a document and return it, or raise QuestionnaireError with all problems."""
    problems = validate_document(doc)
    if problems:
        raise QuestionnaireError(problems)
    return doc


def normalize_document(doc: dict) -> dict:
    """A deep copy with every default filled in and expressions in canonical form."""
    doc = copy.deepcopy(doc)
    for key in ("title", "description"):
        if key in doc:
            doc[key] = _normalize_text(doc[key])
    for loc in iter_items(doc):
        item = loc.item
        type_of(item).normalize(item)
        for name in ("label", "help", "description", "not_familiar_label", "yes_label", "no_label"):
            if name in item:
                item[name] = _normalize_text(item[name])
        for name in EXPRESSION_FIELDS:
            if name in item:
                item[name] = canonical_expression(item[name])
        for sub in (item.get("options") or []) + (item.get("rows") or []) + (item.get("fields") or []):
            sub["label"] = _normalize_text(sub["label"])
        for number in ("weight", "yes_score", "no_score"):
            if number in item:
                item[number] = float(item[number])
        for option in item.get("options") or []:
            if "score" in option:
                option["score"] = float(option["score"])
        for row in item.get("rows") or []:
            if "weight" in row:
                row["weight"] = float(row["weight"])
    return doc


def _normalize_text(text: dict) -> dict:
    out = {"zh": text.get("zh", "")}
    if text.get("en"):
        out["en"] = text["en"]
    return out
