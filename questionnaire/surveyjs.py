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
from questionnaire.types import DEFAULT_SCALE, NO, NOT_FAMILIAR, NOT_FAMILIAR_LABEL, OTHER, REGISTRY, YES
from rules.expressions import And, Compare, Literal, Node, Not, Or, Var, to_source


class SurveyJSError(QuestionnaireError):
    """A SurveyJS document that cannot be imported; problems carry JSON paths into it."""


# ============================================================================ expressions

def to_surveyjs_expression(text: str, panel_keys: frozenset[str] = frozenset(),
                           other_keys: frozenset[str] = frozenset()) -> str:
    """Translate our expression to SurveyJS; variables in ``panel_keys`` become {panel.x}; the text of the
    "other" option of a question in ``other_keys`` is its comment, {x-Comment}."""
    from rules.expressions import parse_expression

    return _sj(parse_expression(text).tree, _Names(frozenset(panel_keys), frozenset(other_keys)), boolean=True)


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
    r"|(?P<op>==|!=|<>|<=|>=|=|<|>|&&|\|\||!)|(?P<punct>[()\[\],])|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
)
_SJ_OPS = {"=": "=", "==": "=", "equal": "=", "!=": "!=", "<>": "!=", "notequal": "!=", "<": "<", "less": "<",
           "<=": "<=", "lessorequal": "<=", ">": ">", "greater": ">", ">=": ">=", "greaterorequal": ">=",
           "contains": "contains", "contain": "contains"}


OTHER_COMMENT = "-Comment"  # SurveyJS keeps the text of a question's "other" option as {name-Comment}


def from_surveyjs_expression(text: str) -> str:
    """Translate a SurveyJS expression to ours; ValueError for what we do not support."""
    tokens, pos, text = [], 0, str(text).strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _SJ_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read {text[pos:pos + 10]!r} in {text!r}")
        tokens.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    tokens.append(("end", None))
    parser = _SJParser(tokens, text)
    node = parser.or_expr()
    if tokens[parser.i][0] != "end":
        raise ValueError(f"unexpected {tokens[parser.i][1]!r} in {text!r}")
    return to_source(node)


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
                raise ValueError(f"empty list after {word} in {self.text!r}")
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
            raise ValueError(f"expected a list [...] in {self.text!r}")
        self.take()
        while not self.peek("]"):
            node = self.primary()
            if not isinstance(node, Literal):
                raise ValueError(f"lists may only hold values in {self.text!r}")
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
            if not re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?", name):
                raise ValueError(f"the variable {value} is not supported in {self.text!r}")
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
                raise ValueError(f"missing ')' in {self.text!r}")
            self.take()
            return node
        raise ValueError(f"unexpected {value if value is not None else 'end'} in {self.text!r}"
                         + (" (functions are not supported)" if kind == "word" else ""))


# ============================================================================ export

def _loc(text: dict | None) -> Any:
    if not text:
        return None
    return {"default": text["zh"], "en": text["en"]} if text.get("en") else text["zh"]


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != {}}


def _element_common(q: dict, sj_type: str, ctx: dict) -> dict:
    pk, ok = ctx["panel_keys"], ctx.get("other_keys", frozenset())
    el = {"type": sj_type, "name": q["key"], "title": _loc(q.get("label")), "description": _loc(q.get("help"))}
    if q.get("show_if"):
        el["visibleIf"] = to_surveyjs_expression(q["show_if"], pk, ok)
    if q.get("required_if"):
        el["requiredIf"] = to_surveyjs_expression(q["required_if"], pk, ok)
    if q.get("required"):
        el["isRequired"] = True
    if REGISTRY[q["type"]].scorable:
        el["bkb"] = _clean({"scored": q.get("scored"), "weight": q.get("weight"), "dimension": q.get("dimension")})
    if q.get("other"):
        el["showOtherItem"] = True
    return el


def _scale_values(q: dict) -> list[dict]:
    values = [{"value": o["value"], "text": _loc(o["label"]), "score": o["score"]} for o in q.get("options") or DEFAULT_SCALE]
    if q.get("not_familiar"):
        values.append({"value": NOT_FAMILIAR, "text": _loc(q.get("not_familiar_label") or NOT_FAMILIAR_LABEL)})
    return values


def _choices(q: dict) -> list[dict]:
    return [_clean({"value": o["value"], "text": _loc(o["label"]), "score": o.get("score")}) for o in q["options"]]


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
    el["rows"] = [_clean({"value": r["key"], "text": _loc(r["label"]), "weight": r.get("weight")}) for r in q["rows"]]
    return el


def _ex_note(q, ctx):
    escaped = {lang: html_text.escape(text) for lang, text in q["label"].items()}
    return {"type": "html", "name": q["key"], "html": _loc(escaped), "description": _loc(q.get("help")),
            "visibleIf": to_surveyjs_expression(q["show_if"], ctx["panel_keys"], ctx["other_keys"])
            if q.get("show_if") else None}


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
    top_ctx = {"panel_keys": frozenset(), "other_keys": _other_keys(doc)}
    pages: list[dict] = []
    current: dict | None = None
    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            current = _clean({"name": item["key"], "title": _loc(item["label"]),
                              "description": _loc(item.get("description")), "elements": []})
            if item.get("show_if"):
                current["visibleIf"] = to_surveyjs_expression(item["show_if"], frozenset(), top_ctx["other_keys"])
            pages.append(current)
        elif kind == "department_block":
            pages.extend(_export_block(item, departments))
            current = None
        else:
            if current is None:
                current = {"name": f"page{len(pages) + 1}", "elements": [], "bkb": {"implicit": True}}
                pages.append(current)
            current["elements"].append(_element(item, top_ctx))
    return _clean({"title": _loc(doc["title"]), "description": _loc(doc.get("description")), "locale": "zh-cn",
                   "bkb": {"schema_version": SCHEMA_VERSION}, "pages": pages})


def _other_keys(container: dict) -> frozenset[str]:
    """The keys of the questions offering "other, please specify", anywhere in a document or block."""
    items = list(container["items"])
    items += [sub for it in container["items"] if it["type"] == "department_block" for sub in it["items"]]
    return frozenset(it["key"] for it in items if it.get("other"))


def _export_block(block: dict, departments) -> list[dict]:
    visible = to_surveyjs_expression(block["show_if"]) if block.get("show_if") else None
    picker = _clean({
        "type": "checkbox", "name": block["key"], "title": _loc(block["label"]), "description": _loc(block.get("help")),
        "valuePropertyName": "department", "choices": [{"value": c, "text": n} for c, n in departments or []],
        "minSelectedChoices": block.get("min_picks"), "maxSelectedChoices": block.get("max_picks"),
        "isRequired": True if block.get("min_picks", 0) > 0 else None, "visibleIf": visible,
        "bkb": {"type": "department_block"},
    })
    ctx = {"panel_keys": frozenset(q["key"] for q in block["items"]), "other_keys": _other_keys(block)}
    panels = _clean({
        "type": "paneldynamic", "name": f"{block['key']}_panels", "valueName": block["key"],
        "templateTitle": "{panel.department}", "allowAddPanel": False, "allowRemovePanel": False,
        "renderMode": "progressTop", "visibleIf": visible,
        "templateElements": [_element(q, ctx) for q in block["items"]],
    })
    return [{"name": block["key"], "elements": [picker], "bkb": {"role": "picker"}},
            {"name": f"{block['key']}_departments", "elements": [panels], "bkb": {"role": "departments"}}]


# ============================================================================ import

def _seq(value: Any) -> list:
    """``value`` if it is a list, else an empty one (hostile files put anything anywhere)."""
    return value if isinstance(value, list) else []


def _name(value: Any) -> str | None:
    """``value`` if it is a string: names are looked up in sets and dicts, where a list cannot go."""
    return value if isinstance(value, str) else None


def _unloc(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {"zh": value}
    if isinstance(value, dict):
        zh = value.get("zh-cn") or value.get("zh") or value.get("default") or value.get("zh-tw")
        out = {"zh": zh} if zh else {}
        if value.get("en") and value.get("en") != zh:
            out["en"] = value["en"]
        return out
    return {"zh": str(value)}


class _Importer:
    def __init__(self):
        self.problems: list[Problem] = []
        self.origins: dict[str, str] = {}
        self.booleans: dict[str, dict] = {}  # key of a boolean (yes/no) question -> its SurveyJS values -> yes/no

    def fail(self, path: tuple, message: str):
        self.problems.append(Problem(format_path(path), message))

    def expr(self, path: tuple, text: Any) -> str | None:
        try:
            return from_surveyjs_expression(text)
        except ValueError as e:
            self.fail(path, str(e))
            return None

    def common(self, el: dict, kind: str, path: tuple) -> dict:
        q: dict = {"type": kind, "key": str(el.get("name", "")), "label": _unloc(el.get("title")) or {"zh": str(el.get("name", ""))}}
        if el.get("description") is not None:
            q["help"] = _unloc(el["description"])
        if el.get("visibleIf"):
            q["show_if"] = self.expr(path + ("visibleIf",), el["visibleIf"])
        if el.get("requiredIf"):
            q["required_if"] = self.expr(path + ("requiredIf",), el["requiredIf"])
        if el.get("isRequired") or el.get("isAllRowRequired"):
            q["required"] = True
        bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
        if REGISTRY[kind].scorable:
            for name in ("scored", "weight", "dimension"):
                if name in bkb:
                    q[name] = bkb[name]
        return {k: v for k, v in q.items() if v is not None}

    def scale(self, q: dict, values: list, path: tuple, key: str) -> None:
        options = []
        for i, v in enumerate(_seq(values)):
            v = v if isinstance(v, dict) else {"value": v}
            if v.get("value") == NOT_FAMILIAR:
                q["not_familiar"] = True
                q["not_familiar_label"] = _unloc(v.get("text")) or dict(NOT_FAMILIAR_LABEL)
                continue
            option = {"value": v.get("value"), "label": _unloc(v.get("text")) or {"zh": str(v.get("value"))}}
            if "score" in v:
                option["score"] = v["score"]
            self.origins[f"options[{len(options)}]"] = format_path(path + (key, i))
            options.append(option)
        q["options"] = options

    def choices(self, q: dict, values: list, path: tuple) -> None:
        options = []
        for i, v in enumerate(_seq(values)):
            self.origins[f"options[{len(options)}]"] = format_path(path + ("choices", i))
            v = v if isinstance(v, dict) else {"value": v}
            option = {"value": str(v.get("value")), "label": _unloc(v.get("text")) or {"zh": str(v.get("value"))}}
            if "score" in v:
                option["score"] = v["score"]
            options.append(option)
        q["options"] = options


def _im_rating(imp, el, path):
    bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
    rate_values = el.get("rateValues")
    if bkb.get("type") == "nps" or (not rate_values and el.get("rateMin") == 0 and el.get("rateMax") == 10):
        return imp.common(el, "nps", path)
    q = imp.common(el, "rating", path)
    if rate_values:
        imp.scale(q, rate_values, path, "rateValues")
    else:
        lo, hi = el.get("rateMin", 1), el.get("rateMax", 5)
        if not all(isinstance(v, int) and not isinstance(v, bool) and -1000 <= v <= 1000 for v in (lo, hi)):
            imp.fail(path + ("rateMin",), "rateMin and rateMax must be whole numbers from -1000 to 1000")
            return q
        if (lo, hi) == (1, 5):
            q["options"] = [dict(o) for o in DEFAULT_SCALE]
        else:  # a linear 0..100 score over any other range
            span = max(hi - lo, 1)
            q["options"] = [{"value": v, "label": {"zh": str(v)}, "score": round(100 * (v - lo) / span, 4)}
                            for v in range(hi, lo - 1, -1)]
    return q


def _other(el: dict, q: dict) -> dict:
    if el.get("showOtherItem") or el.get("hasOther"):
        q["other"] = True
    return q


def _im_radiogroup(imp, el, path):
    q = _other(el, imp.common(el, "single", path))
    imp.choices(q, el.get("choices"), path)
    return q


def _im_checkbox(imp, el, path):
    q = _other(el, imp.common(el, "multiple", path))
    imp.choices(q, el.get("choices"), path)
    for ours, theirs in (("min_picks", "minSelectedChoices"), ("max_picks", "maxSelectedChoices")):
        if el.get(theirs) is not None and el.get(theirs) != 0:
            q[ours] = el[theirs]
    return q


def _im_comment(imp, el, path):
    q = imp.common(el, "textarea", path)
    if el.get("maxLength"):
        q["max_length"] = el["maxLength"]
    return q


def _im_text(imp, el, path):
    input_type = el.get("inputType", "text")
    if input_type == "number":
        q = imp.common(el, "number", path)
        q["integer"] = el.get("step") == 1
        for name in ("min", "max"):
            if el.get(name) is not None:
                q[name] = el[name]
        return q
    if input_type == "date":
        q = imp.common(el, "date", path)
        for name in ("min", "max"):
            if isinstance(el.get(name), str) and el[name]:
                q[name] = el[name]
        return q
    if input_type not in ("text", "email", "tel", "url"):
        imp.fail(path + ("inputType",), f"unsupported text inputType {input_type!r}")
        return None
    q = imp.common(el, "text", path)
    if el.get("maxLength"):
        q["max_length"] = el["maxLength"]
    return q


def _im_matrix(imp, el, path):
    q = imp.common(el, "matrix", path)
    imp.scale(q, el.get("columns"), path, "columns")
    rows = []
    for r in _seq(el.get("rows")):
        r = r if isinstance(r, dict) else {"value": r}
        row = {"key": str(r.get("value")), "label": _unloc(r.get("text")) or {"zh": str(r.get("value"))}}
        if "weight" in r:
            row["weight"] = r["weight"]
        rows.append(row)
    q["rows"] = rows
    return q


def _im_html(imp, el, path):
    """An ``html`` element: text shown among the questions, a note."""
    source = el.get("html")
    local = _unloc(source) if isinstance(source, (str, dict)) else None
    label = {lang: html_text.unescape(_strip_html(text)) for lang, text in (local or {}).items()
             if isinstance(text, str)}
    q = {"type": "note", "key": str(el.get("name", "")), "label": {k: v for k, v in label.items() if v}}
    if el.get("description") is not None:
        q["help"] = _unloc(el["description"])
    if el.get("visibleIf"):
        q["show_if"] = imp.expr(path + ("visibleIf",), el["visibleIf"])
    return {k: v for k, v in q.items() if v is not None}


def _im_expression(imp, el, path):
    """An ``expression`` element shows a computed value under its title: the title is kept, as a note."""
    q = {"type": "note", "key": str(el.get("name", "")),
         "label": _unloc(el.get("title")) or {"zh": str(el.get("name", ""))}}
    if el.get("visibleIf"):
        q["show_if"] = imp.expr(path + ("visibleIf",), el["visibleIf"])
    return {k: v for k, v in q.items() if v is not None}


def _im_dropdown(imp, el, path):
    q = _other(el, imp.common(el, "dropdown", path))
    choices = el.get("choices")
    low, high, step = el.get("choicesMin"), el.get("choicesMax"), el.get("choicesStep", 1)
    if not choices and all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)) and step > 0:
        choices = list(range(low, high + 1, step))[:1000]  # a numeric list written as its bounds (ages, years …)
    imp.choices(q, choices, path)
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
    q = imp.common(el, "ranking", path)
    imp.choices(q, el.get("choices"), path)
    return q


def _im_multipletext(imp, el, path):
    q = imp.common(el, "multi_text", path)
    q["fields"] = [{"key": str(item.get("name")), "label": _unloc(item.get("title")) or {"zh": str(item.get("name"))}}
                   for item in (i if isinstance(i, dict) else {"name": i} for i in _seq(el.get("items")))]
    lengths = [i["maxLength"] for i in _seq(el.get("items")) if isinstance(i, dict)
               and isinstance(i.get("maxLength"), int) and not isinstance(i["maxLength"], bool) and i["maxLength"] > 0]
    if el.get("maxLength") or lengths:
        q["max_length"] = el.get("maxLength") or max(lengths)  # one length for every box: the most generous
    return q


_IMPORTERS = {"html": _im_html, "expression": _im_expression, "dropdown": _im_dropdown, "boolean": _im_boolean,
              "ranking": _im_ranking, "multipletext": _im_multipletext,
              "rating": _im_rating, "radiogroup": _im_radiogroup, "checkbox": _im_checkbox, "comment": _im_comment,
              "text": _im_text, "matrix": _im_matrix}


def _strip_html(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


def import_surveyjs(survey: dict) -> dict:
    """Read SurveyJS JSON into a questionnaire document; SurveyJSError lists problems with JSON paths."""
    imp = _Importer()
    if not isinstance(survey, dict) or not isinstance(survey.get("pages", survey.get("elements")), list):
        raise SurveyJSError([Problem("", "a SurveyJS survey is an object with 'pages' (or 'elements')")])
    pages = survey.get("pages") or [{"name": "page1", "elements": survey.get("elements")}]
    doc: dict = {"schema_version": SCHEMA_VERSION, "title": _unloc(survey.get("title")) or {"zh": "问卷"}, "items": []}
    if survey.get("description"):
        doc["description"] = _unloc(survey["description"])
    items = doc["items"]
    # The department picker is the checkbox whose name a paneldynamic uses as valueName.
    panel_value_names = {_name(el.get("valueName")) or _name(el.get("name")) for _, el in _walk(pages)
                         if el.get("type") == "paneldynamic"}
    pickers: dict[str, dict] = {}
    for p, page in enumerate(pages):
        page_path = ("pages", p)
        if not isinstance(page, dict):
            imp.fail(page_path, "a page is an object with 'elements'")
            continue
        bkb = page.get("bkb") if isinstance(page.get("bkb"), dict) else {}
        if not bkb:
            section = {"type": "section", "key": str(page.get("name", "")),
                       "label": _unloc(page.get("title")) or {"zh": str(page.get("name", ""))}}
            if page.get("description"):
                section["description"] = _unloc(page["description"])
            if page.get("visibleIf"):
                section["show_if"] = imp.expr(page_path + ("visibleIf",), page["visibleIf"])
            imp.origins[f"items[{len(items)}]"] = format_path(page_path)
            items.append({k: v for k, v in section.items() if v is not None})
        for path, el in _walk_elements(_seq(page.get("elements")), page_path + ("elements",)):
            kind = el.get("type")
            here = f"items[{len(items)}]"
            el_bkb = el.get("bkb") if isinstance(el.get("bkb"), dict) else {}
            if kind == "checkbox" and (_name(el.get("name")) in panel_value_names
                                       or el_bkb.get("type") == "department_block"):
                pickers[_name(el.get("name"))] = el
                continue
            if kind == "paneldynamic":
                block = _import_block(imp, el, path, pickers, len(items))
                imp.origins[here] = format_path(path)
                items.append(block)
                continue
            q = _import_question(imp, el, path)
            if q is not None:
                _record(imp, here, path)
                items.append(q)
    if imp.problems:
        raise SurveyJSError(imp.problems)
    _yes_no_literals(doc, imp.booleans)
    located = []
    for problem in validate_document(doc):
        where = _find_origin(imp.origins, problem.path)
        located.append(Problem(where or problem.path, f"{problem.message} ({problem.path})"))
    if located:
        raise SurveyJSError(located)
    return doc


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


def _import_question(imp: _Importer, el: dict, path: tuple) -> dict | None:
    for key in [k for k in imp.origins if k.startswith("options[")]:
        del imp.origins[key]
    kind = el.get("type")
    importer = _IMPORTERS.get(_name(kind))
    if importer is None:
        imp.fail(path + ("type",), f"unsupported SurveyJS element type {kind!r}; supported: "
                                   f"{', '.join(sorted(_IMPORTERS))}, panel, paneldynamic")
        return None
    return importer(imp, el, path)


def _import_block(imp: _Importer, el: dict, path: tuple, pickers: dict, index: int) -> dict:
    picker = pickers.get(_name(el.get("valueName")) or _name(el.get("name"))) or {}
    source = picker or el
    block = {"type": "department_block", "key": str(source.get("name", "")),
             "label": _unloc(source.get("title")) or {"zh": str(source.get("name", ""))}, "items": []}
    if source.get("description"):
        block["help"] = _unloc(source["description"])
    if source.get("visibleIf"):
        block["show_if"] = imp.expr(path + ("visibleIf",), source["visibleIf"])
    for ours, theirs in (("min_picks", "minSelectedChoices"), ("max_picks", "maxSelectedChoices")):
        if picker.get(theirs) is not None:
            block[ours] = picker[theirs]
    for sub_path, sub in _walk_elements(_seq(el.get("templateElements")), path + ("templateElements",)):
        if sub.get("type") == "paneldynamic":
            imp.fail(sub_path + ("type",), f"{sub.get('type')!r} is not supported inside the department panel")
            continue
        q = _import_question(imp, sub, sub_path)
        if q is not None:
            _record(imp, f"items[{index}].items[{len(block['items'])}]", sub_path)
            block["items"].append(q)
    return {k: v for k, v in block.items() if v is not None}


def _walk_elements(elements: list, path: tuple):
    """Elements in order, with plain panels flattened into their elements."""
    for i, el in enumerate(elements):
        if not isinstance(el, dict):
            continue
        if el.get("type") == "panel":
            yield from _walk_elements(_seq(el.get("elements")), path + (i, "elements"))
        else:
            yield path + (i,), el


def _walk(pages: list):
    for p, page in enumerate(pages):
        if isinstance(page, dict):
            yield from _walk_elements(_seq(page.get("elements")), ("pages", p, "elements"))


def _find_origin(origins: dict[str, str], path: str) -> str | None:
    best = None
    for prefix in origins:
        if (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")) and (
                best is None or len(prefix) > len(best)):
            best = prefix
    return origins[best] + path[len(best):] if best else None
