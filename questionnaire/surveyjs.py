"""SurveyJS JSON export and import (the subset we need).

Mapping (one exporter/importer per type, in ``_EXPORTERS`` and ``_IMPORTERS``):

=================  ==============================================================
section            a page (name = key, title, description, visibleIf)
rating             ``rating`` with ``rateValues``; 不了解 is the rate value ``"na"``
single / multiple  ``radiogroup`` / ``checkbox`` (min/maxSelectedChoices)
text / textarea    ``text`` / ``comment`` (maxLength)
number             ``text`` with inputType ``number`` (min, max; step 1 = integer)
nps                ``rating`` 0..10 with ``"bkb": {"type": "nps"}``
matrix             ``matrix`` (columns = the scale, rows; isAllRowRequired)
department_block   a picker page holding a ``checkbox`` (valuePropertyName
                   ``department``) and a page holding a ``paneldynamic`` whose
                   ``valueName`` is the checkbox's name: one panel per department
note               ``html`` (the text, HTML-escaped; help in ``description``);
                   ``expression`` is read as a note showing its title
date               ``text`` with inputType ``date`` (min, max)
dropdown           ``dropdown`` (choices)
yes_no             ``boolean`` with valueTrue ``yes``, valueFalse ``no``, labelTrue/labelFalse
ranking            ``ranking`` (choices)
multi_text         ``multipletext`` (items: name, title; maxLength)
other: true        ``showOtherItem`` (``hasOther`` is read too); {key.other} <-> {key-Comment}
=================  ==============================================================

What SurveyJS cannot hold travels in properties it ignores: ``score`` on choices / rate
values / columns, ``weight`` on matrix rows, and ``"bkb": {...}`` on elements and pages
(scored, weight, dimension; page roles). Labels are ``{"default": zh, "en": en}``.
"""
from __future__ import annotations

import html as html_text
import re
from dataclasses import dataclass
from typing import Any

from questionnaire.schema import (
    SCHEMA_VERSION,
    Problem,
    QuestionnaireError,
    check_document,
    format_path,
    validate_document,
)
from questionnaire import interop
from questionnaire.i18n import N_, Message, Refusal, reason_of
from questionnaire.interop import (
    Imported,
    KeyMaker,
    confirmed,
    option_value,
    rewrite,
    source_maps,
    valid_values,
    variables,
)
from questionnaire.types import DEFAULT_SCALE, NO, NOT_FAMILIAR, NOT_FAMILIAR_LABEL, OTHER, REGISTRY, YES
from rules.expressions import And, Compare, Literal, Node, Not, Or, Var, to_source


class SurveyJSError(QuestionnaireError):
    """A SurveyJS document that cannot be imported; problems carry JSON paths into it."""


# ============================================================================ expressions

def to_surveyjs_expression(text: str, panel_keys: frozenset[str] = frozenset(),
                           other_keys: frozenset[str] = frozenset(), names: dict | None = None,
                           values: dict | None = None) -> str:
    """Translate our expression to SurveyJS; variables in ``panel_keys`` become {panel.x}; the text of the
    "other" option of a question in ``other_keys`` is its comment, {x-Comment}; ``names`` and ``values`` give the
    names and option values as an imported file wrote them (key -> name, key -> {value: as written})."""
    from rules.expressions import parse_expression

    tree = parse_expression(text).tree
    if names or values:
        tree = rewrite(rewrite(tree, {}, values or {}), names or {}, {})
    return _sj(tree, _Names(frozenset(panel_keys), frozenset(other_keys)), boolean=True)


@dataclass(frozen=True)
class _Names:
    """The keys that change how a variable is written: asked per department ({panel.x}), offering "other"."""

    panel: frozenset[str]
    other: frozenset[str]


def _sj_name(name: str, names: _Names) -> str:
    base, _, part = name.partition(".")
    if part == OTHER and base in names.other:
        name = f"{base}{OTHER_COMMENT}"
    return "{" + ("panel." if base in names.panel else "") + name + "}"


def _sj_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if "'" not in value else '"' + value.replace('"', '\\"') + '"'
    return repr(value)


def _sj(node: Node, pk, boolean: bool) -> str:
    if isinstance(node, Var):
        return f"{_sj_name(node.name, pk)} notempty" if boolean else _sj_name(node.name, pk)
    if isinstance(node, Literal):
        return _sj_literal(node.value)
    if isinstance(node, Not):
        if isinstance(node.operand, Var):
            return f"{_sj_name(node.operand.name, pk)} empty"
        return f"!({_sj(node.operand, pk, True)})"
    if isinstance(node, Compare):
        left, right = (_sj_operand(n, pk) for n in (node.left, node.right))
        return f"{left} {node.op} {right}"
    if isinstance(node, And):
        return f"{_sj_wrap(node.left, pk, 2)} and {_sj_wrap(node.right, pk, 3)}"
    if isinstance(node, Or):
        return f"{_sj_wrap(node.left, pk, 1)} or {_sj_wrap(node.right, pk, 2)}"
    raise TypeError(node)  # pragma: no cover


def _sj_operand(node, pk) -> str:
    text = _sj(node, pk, boolean=False)
    return f"({text})" if isinstance(node, (Compare, And, Or)) else text


def _sj_wrap(node, pk, minimum) -> str:
    text = _sj(node, pk, boolean=True)
    return f"({text})" if node.precedence < minimum else text


_SJ_TOKEN = re.compile(
    r"(?P<var>\{[^{}]*\})|(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<op>==|!=|<>|<=|>=|=<|=>|=|<|>|&&|\|\||!)|(?P<punct>[()\[\],])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
)
_SJ_OPS = {"=<": "<=", "=>": ">=", "=": "=", "==": "=", "equal": "=", "!=": "!=", "<>": "!=", "notequal": "!=", "<": "<", "less": "<",
           "<=": "<=", "lessorequal": "<=", ">": ">", "greater": ">", ">=": ">=", "greaterorequal": ">=",
           "contains": "contains", "contain": "contains"}


OTHER_COMMENT = "-Comment"  # SurveyJS keeps the text of a question's "other" option as {name-Comment}


def from_surveyjs_expression(text: str) -> str:
    """Translate a SurveyJS expression to ours; ValueError for what we do not support."""
    tree = _sj_tree(text)
    for name in variables(tree):
        if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?", name):
            raise Refusal(N_("the variable {%(name)s} is not supported in %(text)s"), name=name, text=repr(text))
    return to_source(tree)


def _sj_tree(text: str) -> Node:
    """Parse a SurveyJS expression into the shared expression tree (variables as the file writes them)."""
    tokens, pos, text = [], 0, str(text).strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _SJ_TOKEN.match(text, pos)
        if not m:
            raise Refusal(N_("cannot read %(part)s in %(text)s"), part=repr(text[pos:pos + 10]), text=repr(text))
        tokens.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    tokens.append(("end", None))
    parser = _SJParser(tokens, text)
    node = parser.or_expr()
    if tokens[parser.i][0] != "end":
        raise Refusal(N_("unexpected %(part)s in %(text)s"), part=repr(tokens[parser.i][1]), text=repr(text))
    return node


class _SJParser:
    def __init__(self, tokens, text):
        self.tokens, self.i, self.text = tokens, 0, text

    def peek(self, *values) -> bool:
        kind, value = self.tokens[self.i]
        return kind != "end" and (value in values if kind in ("op", "punct") else value.lower() in values)

    def take(self):
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def or_expr(self):
        node = self.and_expr()
        while self.peek("or", "||"):
            self.take()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.peek("and", "&&"):
            self.take()
            node = And(node, self.unary())
        return node

    def unary(self):
        if self.peek("!", "negate", "not"):
            self.take()
            return Not(self.unary())
        return self.cmp()

    def cmp(self):
        left = self.primary()
        if self.peek("empty"):
            self.take()
            return Not(left)
        if self.peek("notempty"):
            self.take()
            return left
        kind, value = self.tokens[self.i]
        op = _SJ_OPS.get(value.lower() if isinstance(value, str) and kind == "word" else value) if kind in ("op", "word") else None
        if op is None and kind == "word" and value.lower() in ("notcontains", "notcontain", "anyof", "allof", "noneof"):
            self.take()
            word = value.lower()
            if word.startswith("notcontain"):
                return Not(Compare("contains", left, self.primary()))
            items = self.array()
            parts = [Compare("contains", left, Literal(v)) for v in items]
            if not parts:
                raise Refusal(N_("empty list after %(word)s in %(text)s"), word=word, text=repr(self.text))
            node = parts[0]
            for part in parts[1:]:
                node = And(node, part) if word == "allof" else Or(node, part)
            return Not(node) if word == "noneof" else node
        if op is not None:
            self.take()
            return Compare(op, left, self.primary())
        return left

    def array(self):
        values = []
        if not self.peek("["):
            raise Refusal(N_("expected a list [...] in %(text)s"), text=repr(self.text))
        self.take()
        while not self.peek("]"):
            node = self.primary()
            if not isinstance(node, Literal):
                raise Refusal(N_("lists may only hold values in %(text)s"), text=repr(self.text))
            values.append(node.value)
            if self.peek(","):
                self.take()
        self.take()
        return values

    def primary(self):
        kind, value = self.take()
        if kind == "var":
            name = value[1:-1].strip()
            if name.startswith("panel."):
                name = name[len("panel."):]
            if name.endswith(OTHER_COMMENT):
                name = f"{name[:-len(OTHER_COMMENT)]}.{OTHER}"
            return Var(name)
        if kind == "num":
            return Literal(float(value) if "." in value else int(value))
        if kind == "str":
            body = value[1:-1]
            return Literal(re.sub(r"\\(.)", r"\1", body))
        if kind == "word" and value.lower() in ("true", "false"):
            return Literal(value.lower() == "true")
        if kind == "punct" and value == "(":
            node = self.or_expr()
            if not self.peek(")"):
                raise Refusal(N_("missing ')' in %(text)s"), text=repr(self.text))
            self.take()
            return node
        found = value if value is not None else Message.of(N_("the end"))
        if kind == "word":
            raise Refusal(N_("unexpected %(part)s in %(text)s (functions are not supported)"), part=found,
                          text=repr(self.text))
        raise Refusal(N_("unexpected %(part)s in %(text)s"), part=found, text=repr(self.text))


# ============================================================================ export

def _loc(text: dict | None) -> Any:
    if not text:
        return None
    return {"default": text["zh"], "en": text["en"]} if text.get("en") else text["zh"]


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != {}}


def _element_common(q: dict, sj_type: str, ctx: dict) -> dict:
    pk, ok, names, values = ctx["panel_keys"], ctx.get("other_keys", frozenset()), ctx.get("names"), ctx.get("values")
    el = {"type": sj_type, "name": q.get("source_name") or q["key"], "title": _loc(q.get("label")),
          "description": _loc(q.get("help"))}
    if q.get("show_if"):
        el["visibleIf"] = to_surveyjs_expression(q["show_if"], pk, ok, names, values)
    if q.get("required_if"):
        el["requiredIf"] = to_surveyjs_expression(q["required_if"], pk, ok, names, values)
    if q.get("required"):
        el["isRequired"] = True
    if REGISTRY[q["type"]].scorable:
        el["bkb"] = _clean({"scored": q.get("scored"), "weight": q.get("weight"), "dimension": q.get("dimension")})
    if q.get("other"):
        el["showOtherItem"] = True
    return el


def _scale_values(q: dict) -> list[dict]:
    values = [{"value": o.get("source_value", o["value"]), "text": _loc(o["label"]), "score": o["score"]}
              for o in q.get("options") or DEFAULT_SCALE]
    if q.get("not_familiar"):
        values.append({"value": NOT_FAMILIAR, "text": _loc(q.get("not_familiar_label") or NOT_FAMILIAR_LABEL)})
    return values


def _choices(q: dict) -> list[dict]:
    return [_clean({"value": o.get("source_value", o["value"]), "text": _loc(o["label"]), "score": o.get("score")})
            for o in q["options"]]


def _ex_rating(q, ctx):
    return {**_element_common(q, "rating", ctx), "rateValues": _scale_values(q)}


def _ex_single(q, ctx):
    return {**_element_common(q, "radiogroup", ctx), "choices": _choices(q)}


def _ex_multiple(q, ctx):
    return {**_element_common(q, "checkbox", ctx), "choices": _choices(q),
            "minSelectedChoices": q.get("min_picks"), "maxSelectedChoices": q.get("max_picks")}


def _ex_text(q, ctx):
    kind = "comment" if q["type"] == "textarea" else "text"
    return {**_element_common(q, kind, ctx), "maxLength": q.get("max_length")}


def _ex_number(q, ctx):
    return {**_element_common(q, "text", ctx), "inputType": "number", "min": q.get("min"), "max": q.get("max"),
            "step": 1 if q.get("integer", True) else None}


def _ex_nps(q, ctx):
    el = {**_element_common(q, "rating", ctx), "rateMin": 0, "rateMax": 10}
    el["bkb"] = {**el["bkb"], "type": "nps"}
    return el


def _ex_matrix(q, ctx):
    el = _element_common(q, "matrix", ctx)
    if el.pop("isRequired", None):
        el["isAllRowRequired"] = True
    el["columns"] = _scale_values(q)
    el["rows"] = [_clean({"value": r.get("source_name") or r["key"], "text": _loc(r["label"]), "weight": r.get("weight")})
                  for r in q["rows"]]
    return el


def _ex_note(q, ctx):
    escaped = {lang: html_text.escape(text) for lang, text in q["label"].items()}
    return {"type": "html", "name": q.get("source_name") or q["key"], "html": _loc(escaped),
            "description": _loc(q.get("help")),
            "visibleIf": to_surveyjs_expression(q["show_if"], ctx["panel_keys"], ctx["other_keys"], ctx.get("names"),
                                                ctx.get("values")) if q.get("show_if") else None}


def _ex_date(q, ctx):
    return {**_element_common(q, "text", ctx), "inputType": "date", "min": q.get("min"), "max": q.get("max")}


def _ex_dropdown(q, ctx):
    return {**_element_common(q, "dropdown", ctx), "choices": _choices(q)}


def _ex_yes_no(q, ctx):
    el = {**_element_common(q, "boolean", ctx), "valueTrue": YES, "valueFalse": NO,
          "labelTrue": _loc(q.get("yes_label")), "labelFalse": _loc(q.get("no_label"))}
    if "bkb" in el:
        el["bkb"] = _clean({**el["bkb"], "yes_score": q.get("yes_score"), "no_score": q.get("no_score")})
    return el


def _ex_ranking(q, ctx):
    return {**_element_common(q, "ranking", ctx), "choices": _choices(q)}


def _ex_multi_text(q, ctx):
    # SurveyJS reads the length of each box from the box: written there, and on the question for our reading.
    return {**_element_common(q, "multipletext", ctx), "maxLength": q.get("max_length"),
            "items": [_clean({"name": f["key"], "title": _loc(f["label"]), "maxLength": q.get("max_length")})
                      for f in q["fields"]]}


_EXPORTERS = {"note": _ex_note, "date": _ex_date, "dropdown": _ex_dropdown, "yes_no": _ex_yes_no,
              "ranking": _ex_ranking, "multi_text": _ex_multi_text,
              "rating": _ex_rating, "single": _ex_single, "multiple": _ex_multiple, "text": _ex_text,
              "textarea": _ex_text, "number": _ex_number, "nps": _ex_nps, "matrix": _ex_matrix}


def _element(q: dict, ctx: dict) -> dict:
    return _clean(_EXPORTERS[q["type"]](q, ctx))


def export_surveyjs(doc: dict, departments: list[tuple[str, str]] | None = None) -> dict:
    """Write a questionnaire as SurveyJS JSON (``departments`` fill the picker's choices if given)."""
    check_document(doc)
    names, values = source_maps(doc)
    top_ctx = {"panel_keys": frozenset(), "other_keys": _other_keys(doc), "names": names, "values": values}
    pages: list[dict] = []
    current: dict | None = None
    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            current = _clean({"name": item.get("source_name") or item["key"], "title": _loc(item["label"]),
                              "description": _loc(item.get("description")), "elements": []})
            if item.get("show_if"):
                current["visibleIf"] = to_surveyjs_expression(item["show_if"], frozenset(), top_ctx["other_keys"],
                                                              names, values)
            pages.append(current)
        elif kind == "department_block":
            pages.extend(_export_block(item, departments, top_ctx))
            current = None
        else:
            if current is None:
                current = {"name": f"page{len(pages) + 1}", "elements": [], "bkb": {"implicit": True}}
                pages.append(current)
            current["elements"].append(_element(item, top_ctx))
    return _clean({"title": _loc(doc["title"]), "description": _loc(doc.get("description")), "locale": "zh-cn",
                   "bkb": {"schema_version": SCHEMA_VERSION}, "pages": pages})


def _other_keys(container: dict) -> frozenset[str]:
    """The names of the questions offering "other, please specify" (as an export writes them), anywhere in a
    document or block."""
    items = list(container["items"])
    items += [sub for it in container["items"] if it["type"] == "department_block" for sub in it["items"]]
    return frozenset(it.get("source_name") or it["key"] for it in items if it.get("other"))


def _export_block(block: dict, departments, top_ctx: dict) -> list[dict]:
    names, values = top_ctx["names"], top_ctx["values"]
    visible = (to_surveyjs_expression(block["show_if"], frozenset(), top_ctx["other_keys"], names, values)
               if block.get("show_if") else None)
    picker = _clean({
        "type": "checkbox", "name": block.get("source_name") or block["key"], "title": _loc(block["label"]), "description": _loc(block.get("help")),
        "valuePropertyName": "department", "choices": [{"value": c, "text": n} for c, n in departments or []],
        "minSelectedChoices": block.get("min_picks"), "maxSelectedChoices": block.get("max_picks"),
        "isRequired": True if block.get("min_picks", 0) > 0 else None, "visibleIf": visible,
        "bkb": {"type": "department_block"},
    })
    ctx = {"panel_keys": frozenset(q.get("source_name") or q["key"] for q in block["items"]),
           "other_keys": _other_keys(block), "names": names, "values": values}
    panels = _clean({
        "type": "paneldynamic", "name": f"{block['key']}_panels", "valueName": picker["name"],
        "templateTitle": "{panel.department}", "allowAddPanel": False, "allowRemovePanel": False,
        "renderMode": "progressTop", "visibleIf": visible,
        "templateElements": [_element(q, ctx) for q in block["items"]],
    })
    return [{"name": block["key"], "elements": [picker], "bkb": {"role": "picker"}},
            {"name": f"{block['key']}_departments", "elements": [panels], "bkb": {"role": "departments"}}]


# ============================================================================ import

TEXT_INPUT_TYPES = ("text", "email", "tel", "url")


def _seq(value: Any) -> list:
    """``value`` if it is a list, else an empty one (hostile files put anything anywhere)."""
    return value if isinstance(value, list) else []


def _name(value: Any) -> str | None:
    """``value`` if it is a string: names are looked up in sets and dicts, where a list cannot go."""
    return value if isinstance(value, str) else None


def _written(value: Any) -> str:
    """A name as the file wrote it (SurveyJS allows numbers)."""
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


def _unloc(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"zh": value} if value else None
    if isinstance(value, dict):
        zh = value.get("zh-cn") or value.get("zh") or value.get("default") or value.get("zh-tw")
        if not isinstance(zh, str):
            zh = next((v for v in value.values() if isinstance(v, str) and v), None)
        out = {"zh": zh} if zh else {}
        if isinstance(value.get("en"), str) and value.get("en") and value.get("en") != zh:
            out["en"] = value["en"]
        return out or None
    return {"zh": str(value)}


def _choice(v: Any) -> dict:
    """A choice as {"value", "text"}: SurveyJS also writes a bare value, or "value|text"."""
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and "|" in v:
        value, _, text = v.partition("|")
        return {"value": value, "text": text}
    return {"value": v}


class _Pending:
    """An expression, translated once every element's key is known."""

    def __init__(self, q: dict, field: str, path: tuple, text: Any):
        self.q, self.field, self.path, self.text = q, field, path, text


class _Importer:
    def __init__(self, keys: KeyMaker):
        self.problems: list[Problem] = []
        self.dropped: list[Problem] = []
        self.origins: dict[str, str] = {}
        self.keys = keys
        self.pending: list[_Pending] = []
        self.values: dict[str, dict[str, str]] = {}
        self.dropped_names: set[str] = set()
        self.row_names: dict[str, str] = {}
        self.booleans: dict[str, dict] = {}  # key of a boolean (yes/no) question -> its SurveyJS values -> yes/no

    def fail(self, path: tuple, template: str, **params):
        self.problems.append(Problem.of(template, path=format_path(path), **params))

    def drop(self, path: tuple, template: str, el: dict | None = None, **params):
        self.dropped.append(interop.LeftOut.of(template, path=format_path(path), **params))
        if el is not None and _written(el.get("name")):
            self.dropped_names.add(_written(el.get("name")))

    def expr(self, q: dict, field: str, path: tuple, text: Any) -> None:
        q[field] = _Pending(q, field, path, text)
        self.pending.append(q[field])

    def key(self, el: dict, stem: str = "q") -> tuple[str, str | None]:
        name = _written(el.get("name"))
        key = self.keys.key(name, stem) if name else self.keys.fresh(stem)
        return key, (name if name and name != key else None)

    def common(self, el: dict, kind: str, path: tuple) -> dict:
        key, source = self.key(el)
        q: dict = {"type": kind, "key": key, "label": _unloc(el.get("title")) or {"zh": _written(el.get("name")) or key}}
        if source:
            q["source_name"] = source
        if el.get("description") is not None and _unloc(el["description"]):
            q["help"] = _unloc(el["description"])
        if el.get("isRequired") or el.get("isAllRowRequired"):
            q["required"] = True
        bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
        if REGISTRY[kind].scorable:
            for name in ("scored", "weight", "dimension"):
                if name in bkb:
                    q[name] = bkb[name]
        q = {k: v for k, v in q.items() if v is not None}
        if el.get("visibleIf"):
            self.expr(q, "show_if", path + ("visibleIf",), el["visibleIf"])
        if el.get("requiredIf") and REGISTRY[kind].answerable:
            self.expr(q, "required_if", path + ("requiredIf",), el["requiredIf"])
        return q

    def scale(self, q: dict, values: list, path: tuple, key: str) -> None:
        """A rating scale: whole-number values (others are numbered 1, 2, ... and kept as written), scores given
        or spread evenly from 0 to 100."""
        entries = [_choice(v) for v in _seq(values)]
        kept = [v for v in entries if v.get("value") != NOT_FAMILIAR]
        numeric = all(isinstance(v.get("value"), int) and not isinstance(v.get("value"), bool)
                      and -1000 <= v["value"] <= 1000 for v in kept)
        numbers = [v["value"] if numeric else i + 1 for i, v in enumerate(kept)]
        lo, hi = (min(numbers), max(numbers)) if numbers else (0, 1)
        options = []
        for i, v in enumerate(entries):
            if v.get("value") == NOT_FAMILIAR:
                q["not_familiar"] = True
                q["not_familiar_label"] = _unloc(v.get("text")) or dict(NOT_FAMILIAR_LABEL)
                continue
            number = numbers[len(options)]
            option = {"value": number, "label": _unloc(v.get("text")) or {"zh": _written(v.get("value"))},
                      "score": v["score"] if "score" in v else round(100 * (number - lo) / max(hi - lo, 1), 4)}
            if not numeric:
                option["source_value"] = _written(v.get("value")) or str(number)
            self.origins[f"options[{len(options)}]"] = format_path(path + (key, i))
            options.append(option)
        if not numeric:
            self.values[q["key"]] = {o["source_value"]: o["value"] for o in options}
        q["options"] = options

    def choices(self, q: dict, values: list, path: tuple, keyed: bool = False) -> None:
        """The options of a choice; ``keyed``: their values must be keys (a ranking's items are named in
        conditions as {q.item}), derived like names when the file's are not."""
        options, written = [], {}
        taken = valid_values(_written(_choice(v).get("value")) for v in _seq(values))
        keys = KeyMaker()
        for i, v in enumerate(_seq(values)):
            self.origins[f"options[{len(options)}]"] = format_path(path + ("choices", i))
            v = _choice(v)
            if keyed:
                value = keys.key(_written(v.get("value")), "item")
                source = _written(v.get("value")) if value != _written(v.get("value")) else None
            else:
                value, source = option_value(_written(v.get("value")), taken)
            if source is None and re.fullmatch(r"-?\d+(\.\d+)?", value):
                written[value] = value  # a number: conditions compare it as the text it is here
            option = {"value": value, "label": _unloc(v.get("text")) or {"zh": _written(v.get("value")) or value}}
            if source is not None:
                option["source_value"] = source
                written[source] = value
            if "score" in v:
                option["score"] = v["score"]
            options.append(option)
        if written:
            self.values[q["key"]] = written
        q["options"] = options


def _choices_elsewhere(imp: _Importer, el: dict, path: tuple) -> bool:
    if _seq(el.get("choices")):
        return False
    if el.get("choicesByUrl") or el.get("choicesFromQuestion"):
        imp.drop(path, interop.CHOICES_ELSEWHERE, el)
    else:
        imp.drop(path, interop.NO_CHOICES, el)
    return True


def _extras(imp: _Importer, q: dict, el: dict, path: tuple) -> None:
    """The special choices SurveyJS adds: "other" maps where the type has it; "none" and "select all" do not."""
    if el.get("hasOther") or el.get("showOtherItem"):
        if "other" in REGISTRY[q["type"]].properties():
            q["other"] = True
        else:
            imp.drop(path + ("showOtherItem",), interop.OTHER_CHOICE)
    for flag, reason in (("hasNone", interop.NONE_CHOICE), ("showNoneItem", interop.NONE_CHOICE),
                         ("hasSelectAll", interop.SELECT_ALL_CHOICE), ("showSelectAllItem", interop.SELECT_ALL_CHOICE)):
        if el.get(flag):
            imp.drop(path + (flag,), reason)


def _im_rating(imp, el, path):
    bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
    rate_values = el.get("rateValues")
    if bkb.get("type") == "nps" or (not rate_values and el.get("rateMin") == 0 and el.get("rateMax") == 10):
        return imp.common(el, "nps", path)
    q = imp.common(el, "rating", path)
    if rate_values:
        imp.scale(q, rate_values, path, "rateValues")
    else:
        lo, hi = el.get("rateMin", 1), el.get("rateMax", el.get("rateCount", 5) + el.get("rateMin", 1) - 1
                                                         if isinstance(el.get("rateCount"), int) else 5)
        if not all(isinstance(v, int) and not isinstance(v, bool) and -1000 <= v <= 1000 for v in (lo, hi)):
            imp.fail(path + ("rateMin",), N_("%(low)s and %(high)s must be whole numbers from -1000 to 1000"), low="rateMin",
                     high="rateMax")
            return q
        if (lo, hi) == (1, 5):
            q["options"] = [dict(o) for o in DEFAULT_SCALE]
        else:  # a linear 0..100 score over any other range
            span = max(hi - lo, 1)
            q["options"] = [{"value": v, "label": {"zh": str(v)}, "score": round(100 * (v - lo) / span, 4)}
                            for v in range(hi, lo - 1, -1)]
    return q


def _im_radiogroup(imp, el, path):
    if _choices_elsewhere(imp, el, path):
        return None
    q = imp.common(el, "single", path)
    imp.choices(q, el.get("choices"), path)
    _extras(imp, q, el, path)
    return q


def _im_checkbox(imp, el, path):
    if _choices_elsewhere(imp, el, path):
        return None
    q = imp.common(el, "multiple", path)
    imp.choices(q, el.get("choices"), path)
    for ours, theirs in (("min_picks", "minSelectedChoices"), ("max_picks", "maxSelectedChoices")):
        if el.get(theirs) is not None and el.get(theirs) != 0:
            q[ours] = el[theirs]
    _extras(imp, q, el, path)
    return q


def _im_comment(imp, el, path):
    q = imp.common(el, "textarea", path)
    if el.get("maxLength"):
        q["max_length"] = el["maxLength"]
    return q


def _im_number(imp, el, path, integer: bool):
    q = imp.common(el, "number", path)
    q["integer"] = integer
    for name in ("min", "max"):
        if isinstance(el.get(name), (int, float)) and not isinstance(el.get(name), bool):
            q[name] = el[name]
    return q


def _im_text(imp, el, path):
    input_type = el.get("inputType", "text")
    if input_type in ("number", "range"):
        return _im_number(imp, el, path, el.get("step") == 1 or input_type == "range")
    if input_type == "date":
        q = imp.common(el, "date", path)
        for name in ("min", "max"):
            if isinstance(el.get(name), str) and el[name]:
                q[name] = el[name]
        return q
    if input_type not in TEXT_INPUT_TYPES:
        imp.drop(path + ("inputType",), interop.TEXT_INPUT, el, kind=input_type)
        return None
    q = imp.common(el, "text", path)
    if el.get("maxLength"):
        q["max_length"] = el["maxLength"]
    return q


def _im_slider(imp, el, path):
    q = _im_number(imp, el, path, not isinstance(el.get("step"), float))
    q.setdefault("min", 0)
    q.setdefault("max", 100)
    return q


def _matrix_rows(imp: _Importer, q: dict, rows: list) -> None:
    keys = KeyMaker()
    out = []
    for r in _seq(rows):
        r = _choice(r)
        written = _written(r.get("value"))
        row = {"key": keys.key(written, "row"), "label": _unloc(r.get("text")) or {"zh": written}}
        if written and written != row["key"]:
            row["source_name"] = written
        imp.row_names[f"{q.get('source_name', q['key'])}.{written}"] = f"{q['key']}.{row['key']}"
        if "weight" in r:
            row["weight"] = r["weight"]
        out.append(row)
    q["rows"] = out


def _im_matrix(imp, el, path):
    q = imp.common(el, "matrix", path)
    imp.scale(q, el.get("columns"), path, "columns")
    _matrix_rows(imp, q, el.get("rows"))
    return q


CHOICE_CELLS = ("dropdown", "radiogroup", "checkbox", "tagbox", "rating", "default")


def _im_matrixdropdown(imp, el, path):
    """A matrix of dropdowns whose cells are choices: one matrix per column (rows x the column's choices)."""
    columns = [c for c in _seq(el.get("columns")) if isinstance(c, dict)]
    cell_type = el.get("cellType", "dropdown")
    if not columns or any(c.get("cellType", cell_type) not in ("dropdown", "radiogroup", "default")
                          or not _seq(c.get("choices") or el.get("choices")) for c in columns):
        imp.drop(path + ("type",), interop.MATRIX_CELLS, el)
        return None
    out = []
    for c in columns:
        single = dict(el, name=f"{_written(el.get('name'))}-{_written(c.get('name'))}",
                      title=c.get("title") or c.get("name"), visibleIf=el.get("visibleIf"))
        q = imp.common(single, "matrix", path)
        imp.scale(q, c.get("choices") or el.get("choices"), path, "columns")
        _matrix_rows(imp, q, el.get("rows"))
        out.append(q)
    return out


def _im_html(imp, el, path):
    """An ``html`` element: text shown among the questions, a note."""
    source = el.get("html")
    local = _unloc(source) if isinstance(source, (str, dict)) else None
    label = {lang: html_text.unescape(_strip_html(text)) for lang, text in (local or {}).items() if isinstance(text, str)}
    key, source = imp.key(el, "text")
    q = {"type": "note", "key": key, "label": {k: v for k, v in label.items() if v} or {"zh": _written(el.get("name"))
                                                                                     or key}}
    if source:
        q["source_name"] = source
    if el.get("description") is not None and _unloc(el["description"]):
        q["help"] = _unloc(el["description"])
    if el.get("visibleIf"):
        imp.expr(q, "show_if", path + ("visibleIf",), el["visibleIf"])
    return q


def _im_expression(imp, el, path):
    """An ``expression`` element shows a computed value under its title: the title is kept, as a note."""
    return imp.common({k: v for k, v in el.items() if k not in ("isRequired", "requiredIf")}, "note", path)


def _im_dropdown(imp, el, path):
    if not _seq(el.get("choices")) and el.get("choicesMax") is not None:
        low, high, step = el.get("choicesMin"), el.get("choicesMax"), el.get("choicesStep", 1)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)) and step > 0:
            el = dict(el, choices=list(range(low, high + 1, step))[:1000])  # a numeric list written as its bounds
    if _choices_elsewhere(imp, el, path):
        return None
    q = imp.common(el, "dropdown", path)
    imp.choices(q, el.get("choices"), path)
    _extras(imp, q, el, path)
    return q


def _im_boolean(imp, el, path):
    q = imp.common(el, "yes_no", path)
    # Conditions compare a boolean with true/false or with its valueTrue/valueFalse: read as 'yes'/'no' below.
    values = {True: YES, False: NO}
    for theirs, ours in ((el.get("valueTrue"), YES), (el.get("valueFalse"), NO)):
        if isinstance(theirs, (str, int, float)):
            values[theirs] = ours
    imp.booleans[q["key"]] = values
    for ours, theirs in (("yes_label", "labelTrue"), ("no_label", "labelFalse")):
        if el.get(theirs) is not None:
            q[ours] = _unloc(el[theirs])
    bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
    for name in ("yes_score", "no_score"):
        if name in bkb:
            q[name] = bkb[name]
    return q


def _im_ranking(imp, el, path):
    if _choices_elsewhere(imp, el, path):
        return None
    q = imp.common(el, "ranking", path)
    imp.choices(q, el.get("choices"), path, keyed=True)
    return q


def _im_multipletext(imp, el, path):
    q = imp.common(el, "multi_text", path)
    keys, q["fields"] = KeyMaker(), []
    for item in (i if isinstance(i, dict) else {"name": i} for i in _seq(el.get("items"))):
        written = _written(item.get("name"))
        field = {"key": keys.key(written, "field"), "label": _unloc(item.get("title")) or {"zh": written}}
        imp.row_names[f"{_written(el.get('name'))}.{written}"] = f"{q['key']}.{field['key']}"
        q["fields"].append(field)
    lengths = [i["maxLength"] for i in _seq(el.get("items")) if isinstance(i, dict)
               and isinstance(i.get("maxLength"), int) and not isinstance(i["maxLength"], bool) and i["maxLength"] > 0]
    if el.get("maxLength") or lengths:
        q["max_length"] = el.get("maxLength") or max(lengths)  # one length for every box: the most generous
    return q


_IMPORTERS = {"html": _im_html, "expression": _im_expression, "dropdown": _im_dropdown, "boolean": _im_boolean,
              "ranking": _im_ranking, "multipletext": _im_multipletext,
              "rating": _im_rating, "radiogroup": _im_radiogroup, "checkbox": _im_checkbox, "comment": _im_comment,
              "text": _im_text, "matrix": _im_matrix, "tagbox": _im_checkbox, "slider": _im_slider,
              "matrixdropdown": _im_matrixdropdown}
# Elements that ask nothing or repeat without limit: left out with their reason.
_LEFT_OUT = {"matrixdynamic": interop.TABLE, "signaturepad": interop.UPLOAD, "file": interop.UPLOAD,
             "image": interop.PICTURE, "imagepicker": interop.PICTURE}


def _strip_html(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


def _all_names(pages: list) -> list[str]:
    names = []
    for page in pages:
        if isinstance(page, dict):
            names.append(_written(page.get("name")))
    for _, el in _walk(pages):
        names.append(_written(el.get("name")))
        for sub_path, sub in _walk_elements(_seq(el.get("templateElements")), ()):
            names.append(_written(sub.get("name")))
    return [n for n in names if n]


def read_surveyjs(survey: dict) -> Imported:
    """Read SurveyJS JSON: the document and what was left out (each with its JSON path and reason).

    SurveyJSError lists every problem of a survey that cannot be imported at all."""
    if not isinstance(survey, dict) or not isinstance(survey.get("pages", survey.get("elements")), list):
        raise SurveyJSError([Problem.of(N_("a SurveyJS survey is an object with %(pages)s (or %(elements)s)"), pages="pages",
                                           elements="elements")])
    paged = bool(survey.get("pages"))
    # A survey of bare elements is one page that starts no section (as our export writes questions before one).
    pages = survey.get("pages") or [{"elements": survey.get("elements"), "bkb": {"implicit": True}}]
    imp = _Importer(KeyMaker(_all_names(pages)))
    doc: dict = {"schema_version": SCHEMA_VERSION, "title": _unloc(survey.get("title")) or {"zh": "问卷"}, "items": []}
    if _unloc(survey.get("description")):
        doc["description"] = _unloc(survey["description"])
    items = doc["items"]
    # The department picker is the checkbox whose name a paneldynamic uses as valueName.
    panel_value_names = {_name(el.get("valueName")) or _name(el.get("name")) for _, el in _walk(pages)
                         if el.get("type") == "paneldynamic"}
    pickers: dict[str, dict] = {}
    for _, el in _walk(pages):
        el_bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
        if el.get("type") == "checkbox" and (_name(el.get("name")) in panel_value_names
                                             or el_bkb.get("type") == "department_block"):
            pickers[_name(el.get("name"))] = el
    for p, page in enumerate(pages):
        page_path = ("pages", p) if paged else ()
        if not isinstance(page, dict):
            imp.fail(page_path, N_("a page is an object with %(elements)s"), elements="elements")
            continue
        bkb = page.get("bkb") if isinstance(page.get("bkb"), dict) else {}
        if not bkb:
            name = _written(page.get("name"))
            key = imp.keys.key(name, "page") if name else imp.keys.fresh("page")
            section = {"type": "section", "key": key,
                       "label": _unloc(page.get("title")) or {"zh": name or f"第{p + 1}页"}}
            if name and name != key:
                section["source_name"] = name
            if _unloc(page.get("description")):
                section["description"] = _unloc(page["description"])
            if page.get("visibleIf"):
                imp.expr(section, "show_if", page_path + ("visibleIf",), page["visibleIf"])
            imp.origins[f"items[{len(items)}]"] = format_path(page_path)
            items.append(section)
        elements = page.get("elements") if "elements" in page else page.get("questions")
        for path, el in _walk_elements(_seq(elements), page_path + ("elements" if "elements" in page else "questions",)):
            kind = el.get("type")
            here = f"items[{len(items)}]"
            if kind == "checkbox" and _name(el.get("name")) in pickers and pickers[_name(el.get("name"))] is el:
                continue
            if kind == "paneldynamic":
                picker = pickers.get(_name(el.get("valueName")) or _name(el.get("name")))
                if picker is None and not (isinstance(el.get("bkb"), dict) and el["bkb"]):
                    _import_repeat(imp, el, path, items)
                    continue
                block = _import_block(imp, el, path, picker or {}, len(items))
                imp.origins[here] = format_path(path)
                items.append(block)
                continue
            _add(imp, items, _import_question(imp, el, path), path)
    _resolve_expressions(imp)
    _yes_no_literals(doc, imp.booleans)
    if not imp.problems and not any(REGISTRY[i["type"]].answerable or i["type"] == "department_block"
                                    for i in items if isinstance(i, dict)):
        imp.fail((), N_("nothing is left to import: the survey has no question this platform can ask"))
    located = []
    for problem in validate_document(doc):
        where = _find_origin(imp.origins, problem.path)
        # The place in the file and the question's key: the JSON path of our document would mean nothing there.
        located.append(Problem.said(problem.reason, path=where or problem.path, item=problem.item))
    if imp.problems or located:
        # Every reason at once: what refuses the survey, then what would be left out.
        raise SurveyJSError(imp.problems + [p for p in located if p not in imp.problems] + imp.dropped)
    return Imported(doc, imp.dropped)


def import_surveyjs(survey: dict, *, allow_drops: bool = False) -> dict:
    """Read SurveyJS JSON into a questionnaire document; SurveyJSError lists problems with JSON paths, and
    DropsToConfirm lists what would be left out unless ``allow_drops``."""
    return confirmed(read_surveyjs(survey), allow_drops)


def _add(imp: _Importer, items: list, result, path: tuple) -> None:
    for q in result if isinstance(result, list) else [result] if result is not None else []:
        _record(imp, f"items[{len(items)}]", path)
        items.append(q)


def _import_repeat(imp: _Importer, el: dict, path: tuple, items: list) -> None:
    """Another survey's dynamic panel: its questions are asked once (and the list says so)."""
    imp.drop(path + ("type",), interop.DYNAMIC_PANEL)
    for sub_path, sub in _walk_elements(_seq(el.get("templateElements")), path + ("templateElements",)):
        if sub.get("type") == "paneldynamic":
            imp.drop(sub_path + ("type",), interop.PANEL_IN_PANEL, sub)
            continue
        _add(imp, items, _import_question(imp, sub, sub_path), sub_path)


def _resolve_expressions(imp: _Importer) -> None:
    """Translate the conditions now that every key is known; one that cannot be read, or that reads a question
    left out, is itself left out (and listed)."""
    names = {**imp.keys.made, **imp.row_names}
    for p in imp.pending:
        try:
            tree = _sj_tree(p.text)
        except ValueError as e:
            del p.q[p.field]
            imp.drop(p.path, interop.CONDITION_UNREADABLE, text=p.text, reason=reason_of(e))
            continue
        gone = [n for n in variables(tree) if n.split(".")[0] in imp.dropped_names]
        if gone:
            del p.q[p.field]
            imp.drop(p.path, interop.CONDITION_READS_LEFT_OUT, text=p.text, names=", ".join(gone))
            continue
        tree = rewrite(tree, names, imp.values)
        strange = [n for n in variables(tree) if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?", n)]
        if strange:
            del p.q[p.field]
            imp.drop(p.path, interop.CONDITION_READS_UNKNOWN, text=p.text, names=", ".join(strange))
            continue
        p.q[p.field] = to_source(tree)


def _yes_no_literals(doc: dict, booleans: dict[str, dict]) -> None:
    """SurveyJS compares a boolean question with true/false (or its valueTrue/valueFalse); ours is 'yes'/'no'."""
    if not booleans:
        return
    from rules.expressions import parse_expression

    def fix(node):
        if isinstance(node, Compare):
            left, right = node.left, node.right
            for var, lit in ((left, right), (right, left)):
                if isinstance(var, Var) and isinstance(lit, Literal) and var.name in booleans:
                    value = booleans[var.name].get(lit.value)
                    if value is not None:
                        lit = Literal(value)
                        return Compare(node.op, var, lit) if var is left else Compare(node.op, lit, var)
            return node
        if isinstance(node, Not):
            return Not(fix(node.operand))
        if isinstance(node, (And, Or)):
            return type(node)(fix(node.left), fix(node.right))
        return node

    items = [it for it in doc["items"]] + [sub for it in doc["items"] if it.get("type") == "department_block"
                                           for sub in it.get("items", [])]
    for item in items:
        for name in ("show_if", "required_if"):
            if isinstance(item.get(name), str):
                item[name] = to_source(fix(parse_expression(item[name]).tree))


def _record(imp: _Importer, here: str, path: tuple) -> None:
    imp.origins[here] = format_path(path)
    # Option origins were recorded relative to the element: re-anchor them under this item.
    for key in [k for k in imp.origins if k.startswith("options[")]:
        imp.origins[f"{here}.{key}"] = imp.origins.pop(key)


def _import_question(imp: _Importer, el: dict, path: tuple):
    for key in [k for k in imp.origins if k.startswith("options[")]:
        del imp.origins[key]
    kind = el.get("type")
    importer = _IMPORTERS.get(_name(kind))
    if importer is None:
        if not kind:
            imp.drop(path, interop.NO_TYPE, el)
        elif _name(kind) in _LEFT_OUT:
            imp.drop(path + ("type",), _LEFT_OUT[kind], el, kind=kind)
        else:
            imp.drop(path + ("type",), interop.UNSUPPORTED, el, kind=kind)
        return None
    return importer(imp, el, path)


def _import_block(imp: _Importer, el: dict, path: tuple, picker: dict, index: int) -> dict:
    source = picker or el
    key, written = imp.key(source)
    block = {"type": "department_block", "key": key,
             "label": _unloc(source.get("title")) or {"zh": _written(source.get("name")) or key}, "items": []}
    if written:
        block["source_name"] = written
    if _unloc(source.get("description")):
        block["help"] = _unloc(source["description"])
    if source.get("visibleIf"):
        imp.expr(block, "show_if", path + ("visibleIf",), source["visibleIf"])
    for ours, theirs in (("min_picks", "minSelectedChoices"), ("max_picks", "maxSelectedChoices")):
        if picker.get(theirs) is not None:
            block[ours] = picker[theirs]
    for sub_path, sub in _walk_elements(_seq(el.get("templateElements")), path + ("templateElements",)):
        if sub.get("type") == "paneldynamic":
            imp.fail(sub_path + ("type",), N_("%(type)s is not supported inside the department panel"),
                     type=repr(sub.get("type")))
            continue
        result = _import_question(imp, sub, sub_path)
        for q in result if isinstance(result, list) else [result] if result is not None else []:
            _record(imp, f"items[{index}].items[{len(block['items'])}]", sub_path)
            block["items"].append(q)
    return block


def _walk_elements(elements: list, path: tuple):
    """Elements in order, with plain panels flattened into their elements."""
    for i, el in enumerate(elements):
        if not isinstance(el, dict):
            continue
        if el.get("type") == "panel":
            yield from _walk_elements(_seq(el.get("elements") or el.get("questions")),
                                      path + (i, "elements" if "elements" in el else "questions"))
        else:
            yield path + (i,), el


def _walk(pages: list):
    for p, page in enumerate(pages):
        if isinstance(page, dict):
            field = "elements" if "elements" in page else "questions"
            yield from _walk_elements(_seq(page.get(field)), ("pages", p, field))


def _find_origin(origins: dict[str, str], path: str) -> str | None:
    best = None
    for prefix in origins:
        if (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")) and (
                best is None or len(prefix) > len(best)):
            best = prefix
    if not best:
        return None
    rest = path[len(best):]
    return origins[best] + _SJ_FIELDS.get(rest, rest)


# Our field names as SurveyJS calls them, for locating a problem in the file.
_SJ_FIELDS = {".show_if": ".visibleIf", ".required_if": ".requiredIf", ".key": ".name", ".label": ".title",
              ".help": ".description", ".label.zh": ".title"}
