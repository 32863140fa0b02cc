"""XLSForm import and export (.xlsx with the sheets survey, choices, settings).

Mapping (one row of ``_EXPORTERS`` per type; see docs/QUESTIONNAIRE.md):

=================  ==============================================================
section            begin_group / end_group (hint = description)
rating             select_one <list>, bkb_type=rating; 不了解 is the choice ``na``
single, multiple   select_one / select_multiple <list>; count-selected() constraint
text, textarea     text; textarea has appearance ``multiline``; string-length() constraint
number             integer / decimal; ``. >= min and . <= max`` constraint
nps                range, parameters ``start=0 end=10 step=1``, bkb_type=nps
matrix             begin_group (appearance table-list, bkb_type=matrix), one
                   select_one row per matrix row named ``<key>__<row>``, end_group
department_block   begin_repeat / end_repeat, parameters ``min_picks=1 max_picks=3``
note               note
date               date; ``. >= date('2024-01-01') and . <= date('2024-12-31')`` constraint
dropdown           select_one <list>, appearance ``minimal`` (``autocomplete`` is read too)
yes_no             select_one <list> of ``yes`` / ``no``, bkb_type=yes_no; scores on the choices
ranking            rank <list>; {key.item} <-> ${key__item}
multi_text         begin_group (bkb_type=multi_text), one text row named ``<key>__<field>``, end_group
other: true        ``or_other`` after the list name; {key.other} <-> ${key_other}, as pyxform names it
=================  ==============================================================

Expressions: ``{q}`` <-> ``${q}``, ``{m.row}`` <-> ``${m__row}``, ``{q} contains 'x'`` <->
``selected(${q}, 'x')`` (multiple choice) or ``contains(${q}, 'x')`` (text), ``not X`` <->
``not(X)``, a bare ``{q}`` used as a condition <-> ``${q} != ''``, true/false <-> true()/false().
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any

from openpyxl import Workbook, load_workbook

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
from questionnaire.schema import SCHEMA_VERSION, Problem, QuestionnaireError, iter_items, validate_document
from questionnaire.types import (
    DEFAULT_SCALE,
    NO,
    NO_LABEL,
    NOT_FAMILIAR,
    NOT_FAMILIAR_LABEL,
    OTHER,
    OTHER_TYPES,
    REGISTRY,
    YES,
    YES_LABEL,
)
from rules.expressions import And, Compare, Literal, Node, Not, Or, Var, parse_expression, to_source

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
# Zip-bomb guards (as app/platform/xlsx_reader.py): real workbook parts compress 5-20 times, repeated cells about 1,000.
MAX_RATIO = 100
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 2000
MAX_ROWS = 5000
LANGS = ("zh", "en")
SURVEY_COLUMNS = [
    "type", "name", "label::zh", "label::en", "hint::zh", "hint::en", "required", "relevant", "constraint",
    "appearance", "parameters", "bkb_type", "scored", "weight", "dimension",
]
CHOICES_COLUMNS = ["list_name", "name", "label::zh", "label::en", "score"]
SETTINGS_COLUMNS = ["form_title", "title::en", "description::zh", "description::en", "form_id", "default_language",
                    "bkb_schema_version"]
OR_OTHER = "or_other"
DROPDOWN_APPEARANCES = ("minimal", "autocomplete")


END_WITHOUT_BEGIN = N_("%(end)s without a matching %(begin)s")


class XLSFormError(QuestionnaireError):
    """An XLSForm that cannot be imported; ``problems`` name the sheet and row of each."""


# ============================================================================ expressions

class _XPathError(Refusal):
    pass


class Kinds(dict):
    """Variable -> question type, with the names and option values as the imported file wrote them (``names``:
    key -> name, ``values``: key -> {value: value as written}), which the export writes back."""

    def __init__(self, kinds=(), names=None, values=None):
        super().__init__(kinds)
        self.names, self.values = names or {}, values or {}


def to_xpath(text: str, kinds: dict[str, str]) -> str:
    """Translate one of our expressions to XLSForm syntax (``kinds``: variable -> question type)."""
    tree = parse_expression(text).tree
    if isinstance(kinds, Kinds) and (kinds.names or kinds.values):
        # Option values first (they are keyed by our names), then the names as the file wrote them.
        tree = rewrite(rewrite(tree, {}, kinds.values), kinds.names, {})
    return _xp(tree, kinds, boolean=True)


def _xp_name(name: str, kinds: dict[str, str] | None = None) -> str:
    base, _, part = name.partition(".")
    if part == OTHER and (kinds or {}).get(base) in OTHER_TYPES:
        return "${" + f"{base}_{OTHER}" + "}"  # pyxform's name of an or_other question's text
    return "${" + name.replace(".", "__") + "}"


def _xp_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, str):
        if "'" not in value:
            return f"'{value}'"
        if '"' not in value:
            return f'"{value}"'
        raise _XPathError(N_("the string %(value)s has both kinds of quotes, which XLSForm cannot write"),
                          value=repr(value))
    return repr(value)


def _xp(node: Node, kinds: dict[str, str], boolean: bool) -> str:
    if isinstance(node, Var):
        return f"{_xp_name(node.name, kinds)} != ''" if boolean else _xp_name(node.name, kinds)
    if isinstance(node, Literal):
        return _xp_literal(node.value)
    if isinstance(node, Not):
        return f"not({_xp(node.operand, kinds, True)})"
    if isinstance(node, Compare):
        left, right = (_xp_operand(n, kinds) for n in (node.left, node.right))
        if node.op == "contains":
            listy = isinstance(node.left, Var) and kinds.get(node.left.name) in ("multiple", "department_block")
            return f"{'selected' if listy else 'contains'}({left}, {right})"
        return f"{left} {node.op} {right}"
    if isinstance(node, And):
        return f"{_xp_wrap(node.left, kinds, 2)} and {_xp_wrap(node.right, kinds, 3)}"
    if isinstance(node, Or):
        return f"{_xp_wrap(node.left, kinds, 1)} or {_xp_wrap(node.right, kinds, 2)}"
    raise TypeError(node)  # pragma: no cover


def _xp_operand(node: Node, kinds) -> str:
    text = _xp(node, kinds, boolean=False)
    return f"({text})" if isinstance(node, (Compare, And, Or)) else text


def _xp_wrap(node: Node, kinds, minimum: int) -> str:
    text = _xp(node, kinds, boolean=True)
    # A bare variable becomes a comparison (${q} != ''), which binds tighter than and/or.
    return f"({text})" if node.precedence < minimum else text


_XP_TOKEN = re.compile(
    r"\s*(?:(?P<var>\$\{[^}]*\})|(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<op>!=|<=|>=|=|<|>)|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_-]*))"
)


def from_xpath(text: str, row_names: dict[str, str] | None = None) -> str:
    """Translate an XLSForm expression to ours; raises ValueError with a message if unsupported."""
    return to_source(rewrite(_xpath_tree(text), row_names or {}, {}))


def _xpath_tree(text: str) -> Node:
    """Parse an XLSForm expression into the shared expression tree (variables as written in the file)."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _XP_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Refusal(N_("cannot read %(part)s in %(text)s"), part=repr(text[pos:pos + 10]), text=repr(text))
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    tokens.append(("end", None))
    parser = _XPathParser(tokens, text)
    node = parser.or_expr()
    if tokens[parser.i][0] != "end":
        raise Refusal(N_("unexpected %(part)s in %(text)s"), part=repr(tokens[parser.i][1]), text=repr(text))
    return node


class _XPathParser:
    def __init__(self, tokens, text):
        self.tokens, self.i, self.text = tokens, 0, text

    def peek(self, kind=None, value=None) -> bool:
        k, v = self.tokens[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind=None, value=None):
        if not self.peek(kind, value):
            got = self.tokens[self.i][1]
            raise Refusal(N_("expected %(expected)s but found %(found)s in %(text)s"), expected=value or kind,
                          found=got if got is not None else Message.of(N_("the end")), text=repr(self.text))
        tok = self.tokens[self.i]
        self.i += 1
        return tok[1]

    def or_expr(self):
        node = self.and_expr()
        while self.peek("word", "or"):
            self.take()
            node = Or(node, self.and_expr())
        return node

    def and_expr(self):
        node = self.cmp()
        while self.peek("word", "and"):
            self.take()
            node = And(node, self.cmp())
        return node

    def cmp(self):
        left = self.primary()
        if self.peek("op"):
            op = self.take()
            right = self.primary()
            if isinstance(right, Literal) and right.value == "" and isinstance(left, Var) and op in ("=", "!="):
                return Var(left.name) if op == "!=" else Not(Var(left.name))
            return Compare(op, left, right)
        return left

    def primary(self):
        if self.peek("var"):
            return Var(self.take()[2:-1].strip())
        if self.peek("num"):
            raw = self.take()
            return Literal(float(raw) if "." in raw else int(raw))
        if self.peek("str"):
            return Literal(self.take()[1:-1])
        if self.peek("punct", "("):
            self.take()
            node = self.or_expr()
            self.take("punct", ")")
            return node
        if self.peek("word"):
            name = self.take()
            self.take("punct", "(")
            args = []
            if not self.peek("punct", ")"):
                args.append(self.or_expr())
                while self.peek("punct", ","):
                    self.take()
                    args.append(self.or_expr())
            self.take("punct", ")")
            return self.call(name, args)
        got = self.tokens[self.i][1]
        raise Refusal(N_("unexpected %(part)s in %(text)s"), part=got if got is not None else Message.of(N_("the end")),
                      text=repr(self.text))

    def call(self, name, args):
        if name in ("true", "false") and not args:
            return Literal(name == "true")
        if name == "not" and len(args) == 1:
            return Not(args[0])
        if name in ("selected", "contains") and len(args) == 2:
            return Compare("contains", args[0], args[1])
        raise Refusal(N_("the function %(name)s() is not supported in %(text)s"), name=name, text=repr(self.text))


# ============================================================================ constraints

_CONSTRAINT_PARTS = {
    r"string-length\(\s*\.\s*\)\s*<=\s*(\d+)": ("max_length", int),
    r"count-selected\(\s*\.\s*\)\s*>=\s*(\d+)": ("min_picks", int),
    r"count-selected\(\s*\.\s*\)\s*<=\s*(\d+)": ("max_picks", int),
    r"\.\s*>=\s*date\(\s*'(\d{4}-\d{2}-\d{2})'\s*\)": ("min", str),
    r"\.\s*<=\s*date\(\s*'(\d{4}-\d{2}-\d{2})'\s*\)": ("max", str),
    r"\.\s*>=\s*(-?\d+(?:\.\d+)?)": ("min", None),
    r"\.\s*<=\s*(-?\d+(?:\.\d+)?)": ("max", None),
}


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def parse_constraint(text: str) -> dict:
    """Read the constraints we write (bounds, lengths, picks); ValueError for anything else."""
    out = {}
    for part in re.split(r"\s+and\s+", text.strip()):
        for pattern, (name, kind) in _CONSTRAINT_PARTS.items():
            m = re.fullmatch(pattern, part.strip())
            if m:
                out[name] = kind(m.group(1)) if kind else _number(m.group(1))
                break
        else:
            raise Refusal(N_("unsupported constraint %(part)s"), part=repr(part))
    return out


def parse_parameters(text: str) -> dict:
    """Read 'a=1 b=2' parameters into a dict of numbers."""
    out = {}
    for part in str(text).replace(";", " ").replace(",", " ").split():
        name, sep, value = part.partition("=")
        if not sep:
            raise Refusal(N_("cannot read parameter %(part)s: write %(form)s"), part=repr(part), form="name=value")
        out[name.strip()] = _number(value.strip())
    return out


# ============================================================================ export

@dataclass
class _Writer:
    survey: list[dict]
    choices: list[dict]
    lists: dict[str, str]  # signature -> list name
    kinds: dict[str, str]

    def list_for(self, key: str, options: list[dict], extra: list[dict] = ()) -> str:
        rows = [
            {"name": o.get("source_value") or str(o["value"]), **_local("label", o["label"]), "score": o.get("score")}
            for o in options
        ] + list(extra)
        signature = repr(rows)
        if signature not in self.lists:
            self.lists[signature] = key
            self.choices.extend({"list_name": key, **row} for row in rows)
        return self.lists[signature]


def _local(column: str, text: dict | None) -> dict:
    text = text or {}
    return {f"{column}::{lang}": text.get(lang) for lang in LANGS}


def _common(q: dict, kinds: dict) -> dict:
    row = {"name": q.get("source_name") or q["key"], **_local("label", q.get("label")), **_local("hint", q.get("help") or q.get("description"))}
    if q.get("show_if"):
        row["relevant"] = to_xpath(q["show_if"], kinds)
    if q.get("required_if"):
        row["required"] = to_xpath(q["required_if"], kinds)
    elif q.get("required"):
        row["required"] = "yes"
    if REGISTRY[q["type"]].scorable:
        row.update(scored="yes" if q.get("scored") else None, weight=q.get("weight"), dimension=q.get("dimension"))
    return row


def _constraint(parts: list[str]) -> str | None:
    return " and ".join(parts) or None


def _scale_extra(q: dict) -> list[dict]:
    if not q.get("not_familiar"):
        return []
    return [{"name": NOT_FAMILIAR, **_local("label", q.get("not_familiar_label") or NOT_FAMILIAR_LABEL)}]


def _export_rating(q, w: _Writer):
    name = w.list_for(q["key"], q.get("options") or DEFAULT_SCALE, _scale_extra(q))
    w.survey.append({"type": f"select_one {name}", "bkb_type": "rating", **_common(q, w.kinds)})


def _export_choice(q, w: _Writer):
    name = w.list_for(q["key"], q["options"])
    parts = [f"count-selected(.) >= {q['min_picks']}"] if "min_picks" in q else []
    parts += [f"count-selected(.) <= {q['max_picks']}"] if "max_picks" in q else []
    kind = "select_one" if q["type"] == "single" else "select_multiple"
    or_other = f" {OR_OTHER}" if q.get("other") else ""
    w.survey.append({"type": f"{kind} {name}{or_other}", "constraint": _constraint(parts), **_common(q, w.kinds)})


def _export_text(q, w: _Writer):
    parts = [f"string-length(.) <= {q['max_length']}"] if "max_length" in q else []
    appearance = "multiline" if q["type"] == "textarea" else None
    w.survey.append({"type": "text", "appearance": appearance, "constraint": _constraint(parts), **_common(q, w.kinds)})


def _export_number(q, w: _Writer):
    parts = [f". >= {q['min']}"] if "min" in q else []
    parts += [f". <= {q['max']}"] if "max" in q else []
    kind = "integer" if q.get("integer", True) else "decimal"
    w.survey.append({"type": kind, "constraint": _constraint(parts), **_common(q, w.kinds)})


def _export_nps(q, w: _Writer):
    w.survey.append({"type": "range", "parameters": "start=0 end=10 step=1", "bkb_type": "nps", **_common(q, w.kinds)})


def _export_matrix(q, w: _Writer):
    name = w.list_for(q["key"], q.get("options") or DEFAULT_SCALE, _scale_extra(q))
    common = _common(q, w.kinds)
    required = common.pop("required", None)  # required applies to every row, as ODK wants it
    w.survey.append({**common, "type": "begin_group", "appearance": "table-list", "bkb_type": "matrix"})
    for row in q["rows"]:
        w.survey.append({"type": f"select_one {name}", "name": row.get("source_name") or f"{q['key']}__{row['key']}", **_local("label", row["label"]),
                         "required": required, "weight": row.get("weight")})
    w.survey.append({"type": "end_group", "name": q.get("source_name") or q["key"]})


def _export_block(q, w: _Writer):
    params = " ".join(f"{k}={q[k]}" for k in ("min_picks", "max_picks") if k in q)
    row = {"type": "begin_repeat", "bkb_type": "department_block", "parameters": params or None, **_common(q, w.kinds)}
    w.survey.append(row)
    for sub in q["items"]:
        _EXPORTERS[sub["type"]](sub, w)
    w.survey.append({"type": "end_repeat", "name": q.get("source_name") or q["key"]})


def _export_section(q, w: _Writer):
    w.survey.append({"type": "begin_group", "bkb_type": "section", **_common(q, w.kinds)})


def _export_note(q, w: _Writer):
    w.survey.append({"type": "note", **_common(q, w.kinds)})


def _export_date(q, w: _Writer):
    parts = [f". >= date('{q['min']}')"] if "min" in q else []
    parts += [f". <= date('{q['max']}')"] if "max" in q else []
    w.survey.append({"type": "date", "constraint": _constraint(parts), **_common(q, w.kinds)})


def _export_dropdown(q, w: _Writer):
    name = w.list_for(q["key"], q["options"])
    or_other = f" {OR_OTHER}" if q.get("other") else ""
    w.survey.append({"type": f"select_one {name}{or_other}", "appearance": "minimal", **_common(q, w.kinds)})


def _export_yes_no(q, w: _Writer):
    defaults = {YES: YES_LABEL, NO: NO_LABEL}
    options = [{"value": value, "label": q.get(f"{value}_label") or defaults[value], **(
        {"score": q[f"{value}_score"]} if f"{value}_score" in q else {})} for value in (YES, NO)]
    name = w.list_for(q["key"], options)
    w.survey.append({"type": f"select_one {name}", "bkb_type": "yes_no", **_common(q, w.kinds)})


def _export_ranking(q, w: _Writer):
    name = w.list_for(q["key"], q["options"])
    w.survey.append({"type": f"rank {name}", **_common(q, w.kinds)})


def _export_multi_text(q, w: _Writer):
    common = _common(q, w.kinds)
    required = common.pop("required", None)  # required applies to every field, as for a matrix
    limit = f"string-length(.) <= {q['max_length']}" if "max_length" in q else None
    w.survey.append({**common, "type": "begin_group", "bkb_type": "multi_text"})
    for sub in q["fields"]:
        w.survey.append({"type": "text", "name": f"{q['key']}__{sub['key']}", **_local("label", sub["label"]),
                         "required": required, "constraint": limit})
    w.survey.append({"type": "end_group", "name": q["key"]})


_EXPORTERS = {
    "note": _export_note, "date": _export_date, "dropdown": _export_dropdown, "yes_no": _export_yes_no,
    "ranking": _export_ranking, "multi_text": _export_multi_text,
    "section": _export_section, "rating": _export_rating, "single": _export_choice, "multiple": _export_choice,
    "text": _export_text, "textarea": _export_text, "number": _export_number, "nps": _export_nps,
    "matrix": _export_matrix, "department_block": _export_block,
}


def _kinds(doc: dict) -> Kinds:
    names, values = source_maps(doc)
    kinds = {}
    for loc in iter_items(doc):
        kinds[loc.item["key"]] = kinds[loc.item.get("source_name") or loc.item["key"]] = loc.item["type"]
    return Kinds(kinds, names, values)


def export_xlsform(doc: dict) -> bytes:
    """Write a questionnaire as an XLSForm workbook (.xlsx bytes)."""
    from questionnaire.schema import check_document

    check_document(doc)
    w = _Writer([], [], {}, _kinds(doc))
    open_section: str | None = None
    try:
        for item in doc["items"]:
            if item["type"] in ("section", "department_block") and open_section:
                w.survey.append({"type": "end_group", "name": open_section})
                open_section = None
            _EXPORTERS[item["type"]](item, w)
            if item["type"] == "section":
                open_section = item.get("source_name") or item["key"]
    except _XPathError as e:
        raise XLSFormError([Problem.said(e.reason)]) from None
    if open_section:
        w.survey.append({"type": "end_group", "name": open_section})
    settings = [{"form_title": doc["title"]["zh"], "title::en": doc["title"].get("en"),
                 **_local("description", doc.get("description")), "form_id": "beikaobei",
                 "default_language": "zh", "bkb_schema_version": SCHEMA_VERSION}]
    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in (("survey", SURVEY_COLUMNS, w.survey), ("choices", CHOICES_COLUMNS, w.choices),
                                 ("settings", SETTINGS_COLUMNS, settings)):
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([None] * len(columns))
            for col, name in enumerate(columns, start=1):
                value = row.get(name)
                if value is None:
                    continue
                cell = sheet.cell(row=sheet.max_row, column=col, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, even if a label starts with '='
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ============================================================================ import

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
# Types about the device or the session, which pyxform fills in without asking: never collected here.
METADATA_TYPES = {"start", "end", "today", "deviceid", "imei", "phonenumber", "simserial", "subscriberid", "audit",
                  "username", "email", "start-geopoint", "background-audio", "background-geopoint"}
MEDIA_TYPES = {"geopoint": interop.LOCATION, "geotrace": interop.LOCATION, "geoshape": interop.LOCATION,
               "gps": interop.LOCATION, "location": interop.LOCATION, "image": interop.PICTURE, "photo": interop.PICTURE,
               "audio": interop.RECORDING, "video": interop.RECORDING, "barcode": interop.UPLOAD,
               "file": interop.UPLOAD, "signaturepad": interop.UPLOAD}
TYPE_ALIASES = {"select_all_that_apply": "select_multiple", "select_many": "select_multiple", "int": "integer",
                "string": "text", "begin_loop": "begin_repeat", "end_loop": "end_repeat", "q_note": "note"}
EXPRESSION_COLUMNS = ("relevant", "required", "constraint")
CURLY_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
LANGUAGE_NAMES = {"english": "en", "chinese": "zh", "中文": "zh", "简体中文": "zh", "汉语": "zh", "zh-cn": "zh",
                  "zh_cn": "zh", "zh-hans": "zh", "简体": "zh"}


def _located(sheet: str, row: int | None, reason: str | Message, column: str | None = None, **params) -> Problem:
    """A problem at a sheet's row (and column): ``reason`` is a template (filled with ``params``) or a message."""
    where = f"{sheet} row {row}" if row else sheet
    if column:
        where += f", column {column}"
    reason = reason if isinstance(reason, Message) else Message.of(reason, **params)
    return Problem.said(reason, path=where, sheet=sheet, row=row, column=column)


def _check_archive(data: bytes) -> None:
    """Refuse non-zip input and zip bombs before openpyxl decompresses anything.

    The declared sizes also bound what is read: Python's zipfile stops at a part's declared size (and then fails
    its CRC check), so a part that lies about its size cannot unpack to more than it declares.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise XLSFormError([Problem.of(N_("the file is not an .xlsx workbook"))]) from None
    if len(infos) > MAX_MEMBERS:
        raise XLSFormError([Problem.of(N_("the file has %(parts)d parts, far more than a workbook (at most %(limit)d)"),
                                        parts=len(infos), limit=MAX_MEMBERS)])
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise XLSFormError([Problem.of(N_("the workbook is too large once uncompressed (%(size)d bytes; the limit is "
                                           "%(limit)d)"), size=total, limit=MAX_UNCOMPRESSED_BYTES)])
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise XLSFormError([Problem.of(N_("%(part)s is compressed %(ratio)d times, as no real workbook is (at most "
                                               "%(limit)d): refused as a zip bomb"), part=info.filename,
                                            ratio=round(ratio), limit=MAX_RATIO)])


def language_code(text: str) -> str:
    """'English (en)', 'English', 'en', 'zh-CN', '中文' -> 'en' / 'zh'; any other language as written, lowercased."""
    lang = text.strip().lower()
    m = re.search(r"\(([a-z]{2,3})(?:[-_][a-z]+)?\)\s*$", lang) or re.fullmatch(r"([a-z]{2,3})(?:[-_][a-z]+)?", lang)
    if m:
        return m.group(1)
    return LANGUAGE_NAMES.get(lang, lang)


def _header_key(raw: Any) -> tuple[str, str | None] | None:
    """'label::English (en)' -> ('label', 'en'); 'label:zh' -> ('label', 'zh'); 'list name' -> ('list_name', None)."""
    if raw is None or not str(raw).strip() or str(raw).strip().startswith("#"):
        return None  # pyxform's comment columns start with '#'
    text = str(raw).strip()
    name, sep, lang = text.partition("::")
    if not sep:
        head, colon, tail = text.partition(":")
        if colon and head.strip().lower() in TEXT_COLUMNS:
            name, sep, lang = head, colon, tail
    name = "_".join(name.strip().lower().split())
    if not sep:
        return name, None
    return name, language_code(lang)


TEXT_COLUMNS = ("label", "hint", "description", "title")


def _sheets_of(data: bytes) -> dict[str, Any]:
    """Each sheet's rows (lazily), by lowercased sheet name, from .xlsx or .xls bytes."""
    if data[:8] == OLE2_MAGIC:
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=data, on_demand=True)
        except Exception as e:  # noqa: BLE001 - xlrd raises many kinds on a broken workbook
            raise XLSFormError([Problem.of(N_("the .xls workbook cannot be read (%(error)s)"),
                                            error=e.__class__.__name__)]) from None

        def xls_rows(name):
            sheet = book.sheet_by_name(name)
            for r in range(sheet.nrows):
                yield tuple(_xls_value(c.value) for c in sheet.row(r))
        return {name.strip().lower(): (lambda n=name: xls_rows(n)) for name in book.sheet_names()}
    if data[:2] != b"PK":
        raise XLSFormError([Problem.of(N_("the file is not an .xlsx or .xls workbook"))])
    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on a broken workbook
        raise XLSFormError([Problem.of(N_("the workbook cannot be read (%(error)s)"), error=e.__class__.__name__)]) \
            from None
    return {name.strip().lower(): (lambda n=name: _xlsx_rows(book[n])) for name in book.sheetnames}


def _xlsx_rows(sheet):
    # A sheet formatted down to row 1,048,576 declares that size; forgetting it makes openpyxl yield only the rows
    # the file holds, instead of a million blank ones.
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True)


def _xls_value(value: Any) -> Any:
    if value == "":
        return None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _read_sheet(sheets: dict, title: str, problems: list[Problem]) -> tuple[list[tuple[int, dict]], set[str]]:
    """The non-blank rows of a sheet as (row number, record), and the languages of its text columns.

    Blank rows (often only formatted) are skipped and do not count against the row limit."""
    if title not in sheets:
        return [], set()
    try:  # read-only sheets are parsed as they are read: a broken one fails here
        rows = sheets[title]()
        header = next(rows, None)
        keys = [_header_key(h) for h in header] if header else []
        languages = {k[1] for k in keys if k and k[0] in TEXT_COLUMNS}
        out = []
        for number, values in enumerate(rows, start=2):
            record: dict = {}
            for key, value in zip(keys, values):
                if key is None or value is None or (isinstance(value, str) and not value.strip()):
                    continue
                name, lang = key
                if name in TEXT_COLUMNS:
                    record.setdefault(name, {})[lang] = str(value).strip()
                else:
                    record.setdefault(name, value.strip() if isinstance(value, str) else value)
            if record:
                if len(out) >= MAX_ROWS:
                    problems.append(_located(title, number, N_("too many rows (the limit is %(limit)d)"), limit=MAX_ROWS))
                    break
                out.append((number, record))
    except XLSFormError:
        raise
    except Exception as e:  # noqa: BLE001 - the readers raise many kinds on a broken sheet
        raise XLSFormError([Problem.of(N_("the sheet cannot be read (%(error)s)"), path=title, sheet=title,
                                       error=e.__class__.__name__)]) from None
    return out, languages


def _truthy_cell(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in ("yes", "true", "true()", "1", "y"):
        return True
    if text in ("no", "false", "false()", "0", "n", ""):
        return False
    return None


def parse_type(raw: Any) -> tuple[str, str, bool]:
    """An XLSForm type cell as (base type, choice list, or_other), accepting the spellings people use:
    'select one X', 'select all that apply from X', 'select_one X or_other', 'begin group', 'begin loop over X'."""
    text = " ".join(str(raw).split())
    low = text.lower()
    or_other = False
    for suffix in (" or_other", " or specify other", " or other"):
        if low.endswith(suffix):
            or_other, text, low = True, text[:-len(suffix)], low[:-len(suffix)]
    m = re.fullmatch(r"(select_one|select one|select_multiple|select multiple|select all that apply|rank"
                     r"|begin loop over|begin_loop over|begin loop|begin_loop)(?: from)? (\S+)", low)
    if m:
        base = TYPE_ALIASES.get(m.group(1).replace(" over", "").replace(" ", "_"), m.group(1).replace(" ", "_"))
        return base, text[m.start(2):m.end(2)], or_other
    base = low.replace(" ", "_")
    return TYPE_ALIASES.get(base, base), "", or_other


@dataclass
class _Pending:
    """An expression cell, translated once every row is known (it may name a question that comes later)."""

    item: dict
    field: str
    row: int
    column: str
    text: str


@dataclass
class _Importer:
    problems: list[Problem]
    lists: dict[str, list[tuple[int, dict]]]
    row_names: dict[str, str]
    origins: dict[str, tuple[str, int]]
    keys: KeyMaker
    default_language: str | None = None
    dropped: list[Problem] = field(default_factory=list)
    dropped_names: dict[str, int] = field(default_factory=dict)
    pending: list[_Pending] = field(default_factory=list)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    borrowed: set[str] = field(default_factory=set)

    def fail(self, row: int, reason: str | Message, column: str | None = None, sheet: str = "survey", **params):
        self.problems.append(_located(sheet, row, reason, column, **params))

    def drop(self, row: int | None, template: str, column: str | None = None, sheet: str = "survey", **params):
        where = _located(sheet, row, Message(""), column)
        self.dropped.append(interop.LeftOut.of(template, path=where.path, sheet=sheet, row=row, column=column,
                                               **params))

    def expr(self, q: dict, field_name: str, row: int, column: str, text: Any) -> None:
        q[field_name] = _Pending(q, field_name, row, column, str(text).translate(CURLY_QUOTES))
        self.pending.append(q[field_name])

    def text(self, record: dict, name: str, fallback: str | None = None) -> dict | None:
        """A cell's texts as {"zh", "en"}: the plain column is Chinese; with no Chinese column the default
        language's text (else English, else the first language) stands in, and the report says so once."""
        value = record.get(name) or {}
        out = {}
        zh = value.get("zh") or value.get(None)
        if zh is None and value:
            lang = next((x for x in (self.default_language, "en") if x in value), None) or next(iter(value))
            zh = value[lang]
            self.borrowed.add(lang or "")
        if zh is None and fallback:
            zh = fallback
        if zh is not None:
            out["zh"] = zh
        if value.get("en") and value.get("en") != zh:
            out["en"] = value["en"]
        return out or None

    def common(self, number: int, record: dict, kind: str) -> dict:
        name = str(record.get("name", "")).strip()
        stem = "section" if kind == "section" else "q"
        key = self.keys.key(name, stem, again=True) if name else self.keys.fresh(stem)
        q: dict = {"type": kind, "key": key, "label": self.text(record, "label", name or key)}
        if name and name != key:
            q["source_name"] = name
        hint = self.text(record, "hint")
        if hint:
            q["description" if kind == "section" else "help"] = hint
        expressions = []
        if "relevant" in record:
            expressions.append(("show_if", "relevant"))
        if "required" in record and REGISTRY[kind].answerable and kind != "department_block":
            flag = _truthy_cell(record["required"])
            if flag is None:
                expressions.append(("required_if", "required"))
            elif flag:
                q["required"] = True
        if REGISTRY[kind].scorable:
            if _truthy_cell(record.get("scored", "")):
                q["scored"] = True
            for column in ("weight",):
                if column in record:
                    q[column] = self.number(number, column, record[column])
            if "dimension" in record:
                q["dimension"] = str(record["dimension"])
        q = {k: v for k, v in q.items() if v is not None}
        for field_name, column in expressions:
            self.expr(q, field_name, number, column, record[column])
        return q

    def number(self, row: int, column: str, value: Any, sheet: str = "survey"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return _number(str(value))
        except ValueError:
            self.fail(row, N_("%(value)s is not a number"), column, sheet, value=repr(value))
            return None

    def choices(self, number: int, list_name: str, path: str, scale: bool, q: dict) -> list[dict]:
        if list_name not in self.lists:
            self.fail(number, N_("the choice list %(name)s is not in the %(sheet_name)s sheet"), "type", name=repr(list_name),
                      sheet_name="choices")
            return []
        options, written = [], {}
        taken = valid_values(_choice_name(rec.get("name")) for _, rec in self.lists[list_name])
        for row, rec in self.lists[list_name]:
            name = _choice_name(rec.get("name"))
            if scale and name == NOT_FAMILIAR:
                q["not_familiar"] = True
                q["not_familiar_label"] = self.text(rec, "label") or dict(NOT_FAMILIAR_LABEL)
                continue
            option: dict = {"value": name, "label": self.text(rec, "label", name)}
            if scale:
                try:
                    option["value"] = int(name)
                except ValueError:
                    self.fail(row, N_("a rating scale needs whole-number choice names, not %(name)s"), "name", "choices",
                              name=repr(name))
            else:
                option["value"], source = option_value(name, taken)
                if source is not None:
                    option["source_value"] = source
                    written[source] = option["value"]
            if "score" in rec:
                option["score"] = self.number(row, "score", rec["score"], "choices")
            self.origins[f"{path}.options[{len(options)}]"] = ("choices", row)
            options.append(option)
        if written:
            self.values[q["key"]] = written
        return options


def _choice_name(name: Any) -> str:
    return str(int(name)) if isinstance(name, float) and name.is_integer() else str(name)


def _question(imp: _Importer, number: int, record: dict, path: str) -> dict | None:
    """Build one question from a survey row (None after recording a problem or a left-out row)."""
    raw_type = " ".join(str(record.get("type", "")).split())
    base, list_name, or_other = parse_type(raw_type)
    bkb_type = str(record.get("bkb_type", "")).strip().lower()
    appearance = str(record.get("appearance", "")).lower()
    newer = _newer_kind(base, list_name, bkb_type, appearance)
    if newer:
        kind = newer
    elif base in ("select_one", "select_multiple") and list_name:
        kind = "rating" if bkb_type == "rating" and base == "select_one" else (
            "single" if base == "select_one" else "multiple")
    elif base == "text":
        kind = "textarea" if "multiline" in appearance or bkb_type == "textarea" else "text"
    elif base in ("integer", "decimal"):
        kind = "number"
    elif base == "range":
        kind = "nps" if bkb_type == "nps" else "number"
    else:
        _drop_row(imp, number, record, base or raw_type)
        return None
    q = imp.common(number, record, kind)
    params: dict = {}
    if kind in ("number", "nps") and "parameters" in record:
        try:
            params = parse_parameters(record["parameters"])
        except ValueError as e:
            imp.fail(number, reason_of(e), "parameters")
    constraint: dict = {}
    if "constraint" in record:
        try:
            constraint = parse_constraint(str(record["constraint"]).translate(CURLY_QUOTES))
        except ValueError as e:
            imp.drop(number, interop.CONSTRAINT_UNREADABLE, "constraint", text=str(record["constraint"]))
    if kind in ("rating", "single", "multiple", "dropdown", "ranking"):
        q["options"] = imp.choices(number, list_name, path, kind == "rating", q)
        if "choice_filter" in record:
            imp.drop(number, interop.CHOICE_FILTER, "choice_filter")
    if kind == "yes_no":
        _yes_no_choices(imp, number, list_name, q)
    if or_other:
        if "other" in REGISTRY[kind].properties():
            q["other"] = True
        else:
            imp.drop(number, interop.OTHER_CHOICE, "type")
    if kind == "number":
        q["integer"] = base != "decimal"
        if base == "range":
            # A plain range (not our NPS) becomes a bounded whole number.
            constraint = {"min": params.get("start", 0), "max": params.get("end", 10), **constraint}
    if kind == "nps" and params and params != {"start": 0, "end": 10, "step": 1}:
        imp.fail(number, N_("an NPS question is a range with %(parameters)s"), "parameters",
                 parameters="start=0 end=10 step=1")
    allowed = {"text": {"max_length"}, "textarea": {"max_length"}, "number": {"min", "max"},
               "multiple": {"min_picks", "max_picks"}, "date": {"min", "max"}}.get(kind, set())
    for name, value in constraint.items():
        if name in allowed:
            q[name] = value
        else:
            imp.drop(number, interop.CONSTRAINT_MISPLACED, "constraint", text=str(record["constraint"]))
    return q


def _drop_row(imp: _Importer, number: int, record: dict, kind: str) -> None:
    """Leave out a row whose type cannot be asked here, saying why."""
    if not kind:
        imp.fail(number, N_("the row has no %(header)s"), "type", header="type")
        return
    reason = interop.METADATA if kind in METADATA_TYPES else MEDIA_TYPES.get(kind, interop.UNSUPPORTED)
    imp.drop(number, reason, "type", kind=kind)
    if record.get("name"):
        imp.dropped_names[str(record["name"]).strip()] = number


def _newer_kind(base: str, list_name: str, bkb_type: str, appearance: str) -> str | None:
    """The type of a row for the newer types (note, date, dropdown, yes/no, ranking), None for the others."""
    if base == "note":
        return "note"
    if base == "date":
        return "date"
    if base == "rank" and list_name:
        return "ranking"
    if base == "select_one" and list_name and bkb_type == "yes_no":
        return "yes_no"
    if base == "select_one" and list_name and (bkb_type == "dropdown" or not bkb_type and any(
            a in appearance.split() for a in DROPDOWN_APPEARANCES)):
        return "dropdown"
    return None


def _yes_no_choices(imp: "_Importer", number: int, list_name: str, q: dict) -> None:
    """A yes/no question's labels and scores from its choice list (whose names are yes and no)."""
    for row, rec in imp.lists.get(list_name, []):
        value = str(rec.get("name"))
        if value not in (YES, NO):
            imp.fail(row, N_("a yes/no question's choices are named %(yes)s and %(no)s, not %(value)s"), "name",
                     "choices", yes=YES, no=NO, value=repr(value))
            continue
        if imp.text(rec, "label"):
            q[f"{value}_label"] = imp.text(rec, "label")
        if "score" in rec:
            q[f"{value}_score"] = imp.number(row, "score", rec["score"], "choices")
    if list_name not in imp.lists:
        imp.fail(number, N_("the choice list %(name)s is not in the %(sheet_name)s sheet"), "type", name=repr(list_name),
                      sheet_name="choices")


def read_xlsform(data: bytes) -> Imported:
    """Read an XLSForm workbook (.xlsx or .xls): the document and what was left out (each with row and reason).

    XLSFormError lists every problem of a file that cannot be imported at all, each with sheet, row and column."""
    sheets = _sheets_of(data)
    if "survey" not in sheets:
        raise XLSFormError([Problem.of(N_("the workbook has no %(sheet_name)s sheet"), path="survey", sheet="survey",
                                       sheet_name=repr("survey"))])
    problems: list[Problem] = []
    survey, languages = _read_sheet(sheets, "survey", problems)
    choice_rows, _ = _read_sheet(sheets, "choices", problems)
    settings_rows, _ = _read_sheet(sheets, "settings", problems)
    _check_columns(survey, problems)
    lists: dict[str, list] = {}
    for number, rec in choice_rows:
        if "list_name" not in rec or "name" not in rec:
            problems.append(_located("choices", number, N_("a choice needs %(list)s and %(name)s"),
                                     "name" if "list_name" in rec else "list_name", list="list_name", name="name"))
            continue
        lists.setdefault(str(rec["list_name"]).strip(), []).append((number, rec))
    settings = settings_rows[0][1] if settings_rows else {}
    default = settings.get("default_language")

    names = [str(rec["name"]).strip() for _, rec in survey if rec.get("name")]
    imp = _Importer(problems, lists, {}, {}, KeyMaker(names),
                    default_language=language_code(str(default)) if default else None)
    matrices = _matrix_groups(survey, lists)
    title = settings.get("title") or {}
    doc: dict = {"schema_version": SCHEMA_VERSION,
                 "title": {"zh": str(settings.get("form_title") or title.get("zh") or title.get(None) or "问卷")},
                 "items": []}
    if title.get("en"):
        doc["title"]["en"] = title["en"]
    description = imp.text(settings, "description")
    if description:
        doc["description"] = description
    _build(imp, survey, matrices, doc)
    _part_names(imp, doc)
    _resolve_expressions(imp, doc)
    if languages and not languages & {None, "zh"}:
        imp.drop(1, interop.NO_CHINESE, "label", languages=", ".join(sorted(imp.borrowed or languages)))
    others = sorted(lang for lang in languages - {None, "zh", "en"} if lang not in imp.borrowed)
    if others:
        imp.drop(1, interop.OTHER_LANGUAGES, "label", languages=", ".join(others))
    located = []
    for p in validate_document(doc) if not any(p.row is None for p in problems) else []:
        sheet, row = _origin(imp.origins, p.path)
        # The row names the place in the file; the JSON path would mean nothing to whoever wrote it.
        located.append(replace(_located(sheet, row, p.reason), item=p.item) if row else p)
    if problems or located:
        # Every reason at once, in the file's order: what refuses the file, and what would be left out.
        found = problems + [p for p in located if p not in problems] + imp.dropped
        raise XLSFormError(sorted(found, key=lambda p: (p.sheet != "survey", p.sheet or "", p.row or 0)))
    if not any(REGISTRY[loc.item["type"]].answerable for loc in iter_items(doc)):
        raise XLSFormError(problems + [Problem.of(N_("nothing is left to import: the form has no question this "
                                                      "platform can ask"))] + imp.dropped)
    return Imported(doc, imp.dropped)


def import_xlsform(data: bytes, *, allow_drops: bool = False) -> dict:
    """Read an XLSForm workbook into a questionnaire document; XLSFormError lists every located problem, and
    DropsToConfirm lists what would be left out unless ``allow_drops``."""
    return confirmed(read_xlsform(data), allow_drops)


def _check_columns(survey: list, problems: list[Problem]) -> None:
    if survey and not any("type" in rec for _, rec in survey):
        problems.append(_located("survey", 1, N_("the %(sheet_name)s sheet has no %(header)s column"), "type",
                                 sheet_name="survey", header="type"))


def _matrix_groups(survey: list, lists: dict) -> set[int]:
    """The rows of the begin_group rows that are matrices: ours (bkb_type matrix), or a table-list whose rows all
    pick from one list of whole numbers (a rating grid)."""
    out, stack = set(), []
    for number, rec in survey:
        base, list_name, _ = parse_type(rec.get("type", ""))
        if base == "begin_group":
            stack.append((number, rec, []))
        elif base == "end_group" and stack:
            start, group, rows = stack.pop()
            if str(group.get("bkb_type", "")).lower() == "matrix":
                out.add(start)
            elif "table-list" in str(group.get("appearance", "")).lower() and rows and all(
                    b == "select_one" and ln == rows[0][1] for b, ln in rows) and _whole_numbers(lists.get(rows[0][1])):
                out.add(start)
        elif stack:
            stack[-1][2].append((base, list_name))
    return out


def _whole_numbers(choices) -> bool:
    names = [_choice_name(rec.get("name")) for _, rec in choices or []]
    return bool(names) and all(re.fullmatch(r"-?\d+", n) or n == NOT_FAMILIAR for n in names)


def _build(imp: _Importer, survey: list, matrices: set[int], doc: dict) -> None:
    top: list = doc["items"]
    container = top
    open_groups: list[tuple[str, int, dict | None]] = []  # (kind, row, item)
    block: dict | None = None
    for number, rec in survey:
        kind, _, _ = parse_type(rec.get("type", ""))
        in_matrix = open_groups and open_groups[-1][0] == "matrix"
        base_path = (f"items[{len(top) - 1}].items" if container is not top else "items")
        path = f"{base_path}[{len(container)}]"
        if kind == "begin_group" and _is_multi_text(rec) and not in_matrix:
            item = imp.common(number, rec, "multi_text")
            item["fields"] = []
            item["_row_keys"] = KeyMaker()
            container.append(item)
            imp.origins[path] = ("survey", number)
            open_groups.append(("multi_text", number, item))
        elif kind == "begin_group":
            if number in matrices and not in_matrix:
                item = imp.common(number, rec, "matrix")
                item["rows"] = []
                item["_list"] = None
                item["_row_keys"] = KeyMaker()
                container.append(item)
                imp.origins[path] = ("survey", number)
                open_groups.append(("matrix", number, item))
            elif in_matrix:
                imp.fail(number, N_("a group cannot be inside a matrix"), "type")
                open_groups.append(("group", number, None))
            elif block is not None and container is not top:
                imp.drop(number, interop.GROUP_IN_BLOCK, "type")
                open_groups.append(("group", number, None))
            else:
                # Nested groups are flattened: each begin_group starts a new section (page).
                container.append(imp.common(number, rec, "section"))
                imp.origins[path] = ("survey", number)
                open_groups.append(("group", number, None))
        elif kind == "end_group":
            if not open_groups or open_groups[-1][0] not in ("group", "matrix", "multi_text"):
                imp.fail(number, END_WITHOUT_BEGIN, "type", end="end_group", begin="begin_group")
                continue
            group_kind, _, item = open_groups.pop()
            if group_kind == "multi_text":
                item.pop("_row_keys")
                if not item["fields"]:
                    imp.fail(number, N_("the group of short texts has no text rows"), "type")
            if group_kind == "matrix":
                list_name = item.pop("_list")
                item.pop("_row_keys")
                if not item["rows"]:
                    imp.fail(number, N_("the matrix has no rows"), "type")
                if list_name:
                    item["options"] = imp.choices(number, list_name, _path_of(imp, item, container, top), True, item)
        elif kind == "begin_repeat" and str(rec.get("bkb_type", "")).lower() not in ("department_block", ""):
            imp.fail(number, N_("unknown %(header)s for a %(begin)s"), "bkb_type", header="bkb_type", begin="begin_repeat")
            open_groups.append(("repeat", number, None))
        elif kind == "begin_repeat" and not rec.get("bkb_type"):
            # Another tool's repeat (or loop): its questions are asked once, on a page of their own.
            if in_matrix:
                imp.fail(number, N_("a %(begin)s cannot be inside a matrix"), "type", begin="begin_repeat")
            elif block is None or container is top:
                container.append(imp.common(number, rec, "section"))
                imp.origins[path] = ("survey", number)
            imp.drop(number, interop.REPEAT, "type")
            open_groups.append(("repeat", number, None))
        elif kind == "begin_repeat":
            if block is not None:
                imp.fail(number, N_("only one department block (%(begin)s) is allowed"), "type", begin="begin_repeat")
                open_groups.append(("repeat", number, None))
                continue
            if any(g[0] != "group" for g in open_groups):
                imp.fail(number, N_("a %(begin)s cannot be inside a matrix"), "type", begin="begin_repeat")
            block = imp.common(number, rec, "department_block")
            block["items"] = []
            try:
                params = parse_parameters(rec["parameters"]) if "parameters" in rec else {}
            except ValueError as e:
                imp.fail(number, reason_of(e), "parameters")
                params = {}
            for name, value in params.items():
                if name in ("min_picks", "max_picks"):
                    block[name] = value
                else:
                    imp.fail(number, N_("unknown parameter %(name)s (expected %(expected)s)"), "parameters",
                             expected="min_picks, max_picks",
                             name=repr(name))
            # A section group left open before the repeat ends there: the block is its own pages.
            open_groups = [g for g in open_groups if g[0] != "group"]
            top.append(block)
            imp.origins[f"items[{len(top) - 1}]"] = ("survey", number)
            container = block["items"]
            open_groups.append(("repeat", number, block))
        elif kind == "end_repeat":
            if not open_groups or open_groups[-1][0] != "repeat":
                imp.fail(number, END_WITHOUT_BEGIN, "type", end="end_repeat", begin="begin_repeat")
                continue
            _, _, item = open_groups.pop()
            if item is not None and item is block:
                container = top
        elif open_groups and open_groups[-1][0] == "multi_text":
            _multi_text_field(imp, number, rec, open_groups[-1][2])
        elif in_matrix:
            _matrix_row(imp, number, rec, open_groups[-1][2])
        else:
            q = _question(imp, number, rec, path)
            if q is not None:
                container.append(q)
                imp.origins[path] = ("survey", number)
    for kind, number, _ in open_groups:
        imp.fail(number, N_("this %(begin)s is never closed"), "type",
                 begin="begin_repeat" if kind == "repeat" else "begin_group")
    for loc_item in doc["items"]:
        for extra in ("_list", "_row_keys"):
            loc_item.pop(extra, None)


def _matrix_row(imp: _Importer, number: int, rec: dict, matrix: dict) -> None:
    base, list_name, _ = parse_type(rec.get("type", ""))
    if base != "select_one" or not list_name:
        imp.fail(number, N_("every row of a matrix must be a %(type)s question"), "type", type="select_one")
        return
    if matrix["_list"] not in (None, list_name):
        imp.fail(number, N_("all rows of a matrix must use the same choice list"), "type")
    matrix["_list"] = list_name
    name = str(rec.get("name", "")).strip()
    if not name:
        imp.fail(number, N_("a matrix row needs a %(header)s"), "name", header="name")
        return
    prefix = matrix.get("source_name", matrix["key"]) + "__"
    short = name[len(prefix):] if name.startswith(prefix) else name
    key = matrix["_row_keys"].key(short, "row")
    row = {"key": key, "label": imp.text(rec, "label", short)}
    if short != key:
        row["source_name"] = name
    imp.row_names[name] = f"{matrix['key']}.{key}"
    if "weight" in rec:
        row["weight"] = imp.number(number, "weight", rec["weight"])
    if not matrix["rows"]:
        flag = _truthy_cell(rec.get("required", "no"))
        if flag is None:
            imp.expr(matrix, "required_if", number, "required", rec["required"])
        elif flag:
            matrix["required"] = True
    matrix["rows"].append(row)


def _resolve_expressions(imp: _Importer, doc: dict) -> None:
    """Translate the expression cells now that every question's key is known; a condition that cannot be read,
    or that reads a question left out, is itself left out (and listed)."""
    names = {**imp.keys.made, **imp.row_names}
    for p in imp.pending:
        try:
            tree = _xpath_tree(p.text)
        except ValueError as e:
            del p.item[p.field]
            imp.drop(p.row, interop.CONDITION_UNREADABLE, p.column, text=p.text, reason=reason_of(e))
            continue
        gone = [n for n in variables(tree) if n in imp.dropped_names]
        if gone:
            del p.item[p.field]
            imp.drop(p.row, interop.CONDITION_READS_LEFT_OUT, p.column, text=p.text, names=", ".join(gone))
            continue
        p.item[p.field] = to_source(rewrite(tree, names, imp.values))


def _multi_text_field(imp: _Importer, number: int, rec: dict, item: dict) -> None:
    """One text row of a group of short texts (bkb_type=multi_text)."""
    base, _, _ = parse_type(rec.get("type", ""))
    name = str(rec.get("name", "")).strip()
    if base != "text" or not name:
        imp.fail(number, N_("every row of a group of short texts is a %(type)s question with a %(header)s"), "type",
                 type="text", header="name")
        return
    prefix = item.get("source_name", item["key"]) + "__"
    short = name[len(prefix):] if name.startswith(prefix) else name
    key = item["_row_keys"].key(short, "field")
    imp.row_names[name] = f"{item['key']}.{key}"
    item["fields"].append({"key": key, "label": imp.text(rec, "label", short)})
    if not item["fields"][1:]:
        flag = _truthy_cell(rec.get("required", "no"))
        if flag is None:
            imp.expr(item, "required_if", number, "required", rec["required"])
        elif flag:
            item["required"] = True
        if "constraint" in rec:
            try:
                limit = parse_constraint(str(rec["constraint"]).translate(CURLY_QUOTES))
            except ValueError:
                imp.drop(number, interop.CONSTRAINT_UNREADABLE, "constraint", text=str(rec["constraint"]))
                return
            if set(limit) - {"max_length"}:
                imp.drop(number, interop.CONSTRAINT_MISPLACED, "constraint", text=str(rec["constraint"]))
            elif "max_length" in limit:
                item["max_length"] = limit["max_length"]


def _part_names(imp: _Importer, doc: dict) -> None:
    """The XLSForm names of the parts of a ranking (``<name>__<item>``) and of an or_other text (``<name>_other``,
    as pyxform names it), for the conditions that read them."""
    for loc in iter_items(doc):
        q = loc.item
        written = q.get("source_name") or q["key"]
        if q["type"] == "ranking":
            for o in q.get("options") or []:
                imp.row_names[f"{written}__{o.get('source_value') or o['value']}"] = f"{q['key']}.{o['value']}"
        if q.get("other"):
            imp.row_names[f"{written}_{OTHER}"] = f"{q['key']}.{OTHER}"


def _path_of(imp: _Importer, item: dict, container: list, top: list) -> str:
    index = next(i for i, x in enumerate(container) if x is item)
    if container is top:
        return f"items[{index}]"
    return f"items[{len(top) - 1}].items[{index}]"


def _is_multi_text(rec: dict) -> bool:
    return str(rec.get("bkb_type", "")).lower() == "multi_text"


def _is_matrix(rec: dict) -> bool:
    return str(rec.get("bkb_type", "")).lower() == "matrix" or "table-list" in str(rec.get("appearance", "")).lower()


def _origin(origins: dict[str, tuple[str, int]], path: str) -> tuple[str | None, int | None]:
    """The sheet row a document path came from: the longest recorded prefix."""
    best = None
    for prefix, origin in origins.items():
        if (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")) and (
                best is None or len(prefix) > len(best[0])):
            best = (prefix, origin)
    return best[1] if best else (None, None)
