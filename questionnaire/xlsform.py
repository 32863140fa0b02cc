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
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook

from questionnaire.schema import SCHEMA_VERSION, Problem, QuestionnaireError, validate_document
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
from rules.expressions import And, Compare, Literal, Node, Not, Or, Var, parse_expression

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
UNSUPPORTED_HINT = ("supported types: select_one, select_multiple, text, integer, decimal, range, note, date, rank, "
                    "begin_group, begin_repeat")
OR_OTHER = "or_other"
DROPDOWN_APPEARANCES = ("minimal", "autocomplete")


class XLSFormError(QuestionnaireError):
    """An XLSForm that cannot be imported; ``problems`` name the sheet and row of each."""


# ============================================================================ expressions

class _XPathError(ValueError):
    pass


def to_xpath(text: str, kinds: dict[str, str]) -> str:
    """Translate one of our expressions to XLSForm syntax (``kinds``: variable -> question type)."""
    return _xp(parse_expression(text).tree, kinds, boolean=True)


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
        raise _XPathError(f"the string {value!r} has both kinds of quotes, which XLSForm cannot write")
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
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _XP_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:pos + 10]!r} in {text!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    tokens.append(("end", None))
    parser = _XPathParser(tokens, row_names or {}, text)
    node = parser.or_expr()
    if tokens[parser.i][0] != "end":
        raise ValueError(f"unexpected {tokens[parser.i][1]!r} in {text!r}")
    return _to_ours(node)


class _XPathParser:
    def __init__(self, tokens, row_names, text):
        self.tokens, self.i, self.row_names, self.text = tokens, 0, row_names, text

    def peek(self, kind=None, value=None) -> bool:
        k, v = self.tokens[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind=None, value=None):
        if not self.peek(kind, value):
            got = self.tokens[self.i][1]
            raise ValueError(f"expected {value or kind} but found {got if got is not None else 'the end'} in {self.text!r}")
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
            raw = self.take()[2:-1]
            name = self.row_names.get(raw, raw)
            return Var(name)
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
        raise ValueError(f"unexpected {got if got is not None else 'end'} in {self.text!r}")

    def call(self, name, args):
        if name in ("true", "false") and not args:
            return Literal(name == "true")
        if name == "not" and len(args) == 1:
            return Not(args[0])
        if name in ("selected", "contains") and len(args) == 2:
            return Compare("contains", args[0], args[1])
        raise ValueError(f"the function {name}() is not supported in {self.text!r}")


def _to_ours(node: Node) -> str:
    from rules.expressions import to_source

    return to_source(node)


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
            raise ValueError(f"unsupported constraint {part!r}")
    return out


def parse_parameters(text: str) -> dict:
    """Read 'a=1 b=2' parameters into a dict of numbers."""
    out = {}
    for part in str(text).replace(";", " ").replace(",", " ").split():
        name, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"cannot read parameter {part!r}: write name=value")
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
            {"name": str(o["value"]), **_local("label", o["label"]), "score": o.get("score")} for o in options
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
    row = {"name": q["key"], **_local("label", q.get("label")), **_local("hint", q.get("help") or q.get("description"))}
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
        w.survey.append({"type": f"select_one {name}", "name": f"{q['key']}__{row['key']}", **_local("label", row["label"]),
                         "required": required, "weight": row.get("weight")})
    w.survey.append({"type": "end_group", "name": q["key"]})


def _export_block(q, w: _Writer):
    params = " ".join(f"{k}={q[k]}" for k in ("min_picks", "max_picks") if k in q)
    row = {"type": "begin_repeat", "bkb_type": "department_block", "parameters": params or None, **_common(q, w.kinds)}
    w.survey.append(row)
    for sub in q["items"]:
        _EXPORTERS[sub["type"]](sub, w)
    w.survey.append({"type": "end_repeat", "name": q["key"]})


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


def _kinds(doc: dict) -> dict[str, str]:
    from questionnaire.schema import iter_items

    return {loc.item["key"]: loc.item["type"] for loc in iter_items(doc)}


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
                open_section = item["key"]
    except _XPathError as e:
        raise XLSFormError([Problem("", str(e))]) from None
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

def _located(sheet: str, row: int | None, message: str, column: str | None = None) -> Problem:
    where = f"{sheet} row {row}" if row else sheet
    if column:
        where += f", column {column}"
    return Problem(where, message, sheet=sheet, row=row, column=column)


def _check_archive(data: bytes) -> None:
    """Refuse non-zip input and zip bombs before openpyxl decompresses anything.

    The declared sizes also bound what is read: Python's zipfile stops at a part's declared size (and then fails
    its CRC check), so a part that lies about its size cannot unpack to more than it declares.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise XLSFormError([Problem("", "the file is not an .xlsx workbook")]) from None
    if len(infos) > MAX_MEMBERS:
        raise XLSFormError([Problem("", f"the file has {len(infos)} parts, far more than a workbook "
                                        f"(at most {MAX_MEMBERS})")])
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise XLSFormError([Problem("", f"the workbook is too large once uncompressed ({total} bytes; "
                                        f"the limit is {MAX_UNCOMPRESSED_BYTES})")])
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise XLSFormError([Problem("", f"{info.filename} is compressed {ratio:.0f} times, as no real workbook "
                                            f"is (at most {MAX_RATIO}): refused as a zip bomb")])


def _header_key(raw: Any) -> tuple[str, str | None] | None:
    """'label::English (en)' -> ('label', 'en'); 'label' -> ('label', None)."""
    if raw is None:
        return None
    text = str(raw).strip().lower()
    name, sep, lang = text.partition("::")
    name = name.strip()
    if not sep:
        return name, None
    lang = lang.strip()
    m = re.search(r"\(([a-z]{2})(?:[-_][a-z]+)?\)\s*$", lang) or re.fullmatch(r"([a-z]{2})(?:[-_][a-z]+)?", lang)
    if m:
        return name, m.group(1)
    return name, {"chinese": "zh", "中文": "zh", "english": "en"}.get(lang, lang)


def _read_sheet(book, title: str, problems: list[Problem]) -> list[tuple[int, dict]]:
    if title not in book.sheetnames:
        return []
    rows = book[title].iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        return []
    keys = [_header_key(h) for h in header]
    out = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            problems.append(_located(title, number, f"too many rows (the limit is {MAX_ROWS})"))
            break
        record: dict = {}
        for key, value in zip(keys, values):
            if key is None or value is None or (isinstance(value, str) and not value.strip()):
                continue
            name, lang = key
            if name in ("label", "hint", "description", "title"):
                record.setdefault(name, {})[lang or "zh"] = str(value).strip()
            else:
                record[name] = value.strip() if isinstance(value, str) else value
        if record:
            out.append((number, record))
    return out


def _text(record: dict, name: str) -> dict | None:
    value = record.get(name)
    return {k: v for k, v in value.items() if k in LANGS} if value else None


def _truthy_cell(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in ("yes", "true", "true()", "1", "y"):
        return True
    if text in ("no", "false", "false()", "0", "n", ""):
        return False
    return None


@dataclass
class _Importer:
    problems: list[Problem]
    lists: dict[str, list[tuple[int, dict]]]
    row_names: dict[str, str]
    origins: dict[str, tuple[str, int]]

    def fail(self, row: int, message: str, column: str | None = None, sheet: str = "survey"):
        self.problems.append(_located(sheet, row, message, column))

    def expr(self, row: int, column: str, text: Any) -> str | None:
        try:
            return from_xpath(str(text), self.row_names)
        except ValueError as e:
            self.fail(row, str(e), column)
            return None

    def common(self, number: int, record: dict, kind: str) -> dict:
        q: dict = {"type": kind, "key": str(record.get("name", "")), "label": _text(record, "label") or {}}
        hint = _text(record, "hint")
        if hint:
            q["description" if kind == "section" else "help"] = hint
        if "relevant" in record:
            q["show_if"] = self.expr(number, "relevant", record["relevant"])
        if "required" in record and REGISTRY[kind].answerable and kind != "department_block":
            flag = _truthy_cell(record["required"])
            if flag is None:
                q["required_if"] = self.expr(number, "required", record["required"])
            elif flag:
                q["required"] = True
        if REGISTRY[kind].scorable:
            if _truthy_cell(record.get("scored", "")):
                q["scored"] = True
            for name in ("weight",):
                if name in record:
                    q[name] = self.number(number, name, record[name])
            if "dimension" in record:
                q["dimension"] = str(record["dimension"])
        return {k: v for k, v in q.items() if v is not None}

    def number(self, row: int, column: str, value: Any, sheet: str = "survey"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        try:
            return _number(str(value))
        except ValueError:
            self.fail(row, f"{value!r} is not a number", column, sheet)
            return None

    def choices(self, number: int, list_name: str, path: str, scale: bool, q: dict) -> list[dict]:
        if list_name not in self.lists:
            self.fail(number, f"the choice list {list_name!r} is not in the choices sheet", "type")
            return []
        options = []
        for i, (row, rec) in enumerate(self.lists[list_name]):
            name = rec.get("name")
            name = str(int(name)) if isinstance(name, float) and name.is_integer() else str(name)
            if scale and name == NOT_FAMILIAR:
                q["not_familiar"] = True
                q["not_familiar_label"] = _text(rec, "label") or dict(NOT_FAMILIAR_LABEL)
                continue
            option: dict = {"value": name, "label": _text(rec, "label") or {}}
            if scale:
                try:
                    option["value"] = int(name)
                except ValueError:
                    self.fail(row, f"a rating scale needs whole-number choice names, not {name!r}", "name", "choices")
            if "score" in rec:
                option["score"] = self.number(row, "score", rec["score"], "choices")
            self.origins[f"{path}.options[{len(options)}]"] = ("choices", row)
            options.append(option)
        return options


def _question(imp: _Importer, number: int, record: dict, path: str) -> dict | None:
    """Build one question from a survey row (None after recording a problem)."""
    raw_type = str(record.get("type", "")).strip()
    base, _, list_name = raw_type.partition(" ")
    list_name = list_name.strip()
    or_other = list_name.endswith(f" {OR_OTHER}")
    list_name = list_name[:-len(OR_OTHER)].strip() if or_other else list_name
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
        imp.fail(number, f"unsupported XLSForm type {raw_type!r}; {UNSUPPORTED_HINT}", "type")
        return None
    q = imp.common(number, record, kind)
    try:
        constraint = parse_constraint(str(record["constraint"])) if "constraint" in record else {}
        params = parse_parameters(record["parameters"]) if "parameters" in record else {}
    except ValueError as e:
        imp.fail(number, str(e), "constraint" if "constraint" in str(e) else "parameters")
        return q
    if or_other and kind in OTHER_TYPES:
        q["other"] = True
    elif or_other:
        imp.fail(number, f"or_other applies to a select_one or select_multiple question, not a {kind} one", "type")
    if kind in ("rating", "single", "multiple", "dropdown", "ranking"):
        q["options"] = imp.choices(number, list_name, path, kind == "rating", q)
    if kind == "yes_no":
        _yes_no_choices(imp, number, list_name, q)
    if kind == "number":
        q["integer"] = base != "decimal"
        if base == "range":
            # A plain range (not our NPS) becomes a bounded whole number.
            constraint = {"min": params.get("start", 0), "max": params.get("end", 10), **constraint}
    if kind == "nps" and params and params != {"start": 0, "end": 10, "step": 1}:
        imp.fail(number, "an NPS question is a range with start=0 end=10 step=1", "parameters")
    allowed = {"text": {"max_length"}, "textarea": {"max_length"}, "number": {"min", "max"},
               "multiple": {"min_picks", "max_picks"}, "date": {"min", "max"}}.get(kind, set())
    for name, value in constraint.items():
        if name in allowed:
            q[name] = value
        else:
            imp.fail(number, f"this constraint does not apply to a {kind} question", "constraint")
    return q


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
            imp.fail(row, f"a yes/no question's choices are named {YES} and {NO}, not {value!r}", "name", "choices")
            continue
        if _text(rec, "label"):
            q[f"{value}_label"] = _text(rec, "label")
        if "score" in rec:
            q[f"{value}_score"] = imp.number(row, "score", rec["score"], "choices")
    if list_name not in imp.lists:
        imp.fail(number, f"the choice list {list_name!r} is not in the choices sheet", "type")


def import_xlsform(data: bytes) -> dict:
    """Read an XLSForm workbook into a questionnaire document; XLSFormError lists every located problem."""
    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds on a broken workbook
        raise XLSFormError([Problem("", f"the workbook cannot be read: {e.__class__.__name__}")]) from None
    problems: list[Problem] = []
    if "survey" not in book.sheetnames:
        raise XLSFormError([Problem("survey", "the workbook has no 'survey' sheet", sheet="survey")])
    sheets = {}
    for title in ("survey", "choices", "settings"):
        try:  # read-only sheets are parsed as they are read: a broken one fails here
            sheets[title] = _read_sheet(book, title, problems)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds on a broken sheet
            book.close()
            raise XLSFormError([Problem(title, f"the sheet cannot be read: {e.__class__.__name__}",
                                        sheet=title)]) from None
    book.close()
    survey = sheets["survey"]
    lists: dict[str, list] = {}
    for number, rec in sheets["choices"]:
        if "list_name" not in rec or "name" not in rec:
            problems.append(_located("choices", number, "a choice needs list_name and name"))
            continue
        lists.setdefault(str(rec["list_name"]), []).append((number, rec))
    settings_rows = sheets["settings"]
    settings = settings_rows[0][1] if settings_rows else {}

    # Matrix rows are named <matrix>__<row>; expressions refer to them as {matrix.row}.
    row_names, stack = {}, []
    for number, rec in survey:
        kind = str(rec.get("type", "")).strip().replace(" ", "_")
        if kind == "begin_group":
            stack.append(rec)
        elif kind == "end_group" and stack:
            stack.pop()
        elif stack and (_is_matrix(stack[-1]) or _is_multi_text(stack[-1])) and rec.get("name"):
            matrix, name = str(stack[-1].get("name")), str(rec["name"])
            row_names[name] = f"{matrix}.{name[len(matrix) + 2:] if name.startswith(matrix + '__') else name}"
        row_names.update(_part_names(rec, lists))

    imp = _Importer(problems, lists, row_names, {})
    title = {"zh": str(settings.get("form_title") or "问卷")}
    if _text(settings, "title") and _text(settings, "title").get("en"):
        title["en"] = _text(settings, "title")["en"]
    doc: dict = {"schema_version": SCHEMA_VERSION, "title": title, "items": []}
    if _text(settings, "description"):
        doc["description"] = _text(settings, "description")

    top: list = doc["items"]
    container = top
    open_groups: list[tuple[str, int, dict | None]] = []  # (kind, row, item)
    block: dict | None = None
    for number, rec in survey:
        kind = str(rec.get("type", "")).strip().replace(" ", "_")
        in_matrix = open_groups and open_groups[-1][0] == "matrix"
        base_path = (f"items[{len(top) - 1}].items" if container is not top else "items")
        path = f"{base_path}[{len(container)}]"
        if kind == "begin_group" and _is_multi_text(rec) and not in_matrix:
            item = imp.common(number, rec, "multi_text")
            item["fields"] = []
            container.append(item)
            imp.origins[path] = ("survey", number)
            open_groups.append(("multi_text", number, item))
        elif kind == "begin_group":
            if _is_matrix(rec):
                item = imp.common(number, rec, "matrix")
                item["rows"] = []
                item["_list"] = None
                container.append(item)
                imp.origins[path] = ("survey", number)
                open_groups.append(("matrix", number, item))
            elif in_matrix:
                imp.fail(number, "a group cannot be inside a matrix", "type")
                open_groups.append(("group", number, None))
            elif block is not None and container is not top:
                imp.fail(number, "sections cannot be inside the department block (begin_repeat)", "type")
                open_groups.append(("group", number, None))
            else:
                # Nested groups are flattened: each begin_group starts a new section (page).
                container.append(imp.common(number, rec, "section"))
                imp.origins[path] = ("survey", number)
                open_groups.append(("group", number, None))
        elif kind == "end_group":
            if not open_groups or open_groups[-1][0] not in ("group", "matrix", "multi_text"):
                imp.fail(number, "end_group without a matching begin_group", "type")
                continue
            group_kind, _, item = open_groups.pop()
            if group_kind == "multi_text" and not item["fields"]:
                imp.fail(number, "the group of short texts has no text rows", "type")
            if group_kind == "matrix":
                list_name = item.pop("_list")
                if not item["rows"]:
                    imp.fail(number, "the matrix has no rows", "type")
                if list_name:
                    item["options"] = imp.choices(number, list_name, _path_of(imp, item, container, top), True, item)
        elif kind == "begin_repeat":
            if block is not None:
                imp.fail(number, "only one department block (begin_repeat) is allowed", "type")
                open_groups.append(("repeat", number, None))
                continue
            if any(g[0] != "group" for g in open_groups):
                imp.fail(number, "a begin_repeat cannot be inside a matrix", "type")
            block = imp.common(number, rec, "department_block")
            block["items"] = []
            try:
                params = parse_parameters(rec["parameters"]) if "parameters" in rec else {}
            except ValueError as e:
                imp.fail(number, str(e), "parameters")
                params = {}
            for name, value in params.items():
                if name in ("min_picks", "max_picks"):
                    block[name] = value
                else:
                    imp.fail(number, f"unknown parameter {name!r} (expected min_picks, max_picks)", "parameters")
            # A section group left open before the repeat ends there: the block is its own pages.
            open_groups = [g for g in open_groups if g[0] != "group"]
            top.append(block)
            imp.origins[f"items[{len(top) - 1}]"] = ("survey", number)
            container = block["items"]
            open_groups.append(("repeat", number, block))
        elif kind == "end_repeat":
            if not open_groups or open_groups[-1][0] != "repeat":
                imp.fail(number, "end_repeat without a matching begin_repeat", "type")
                continue
            open_groups.pop()
            container = top
        elif open_groups and open_groups[-1][0] == "multi_text":
            _multi_text_field(imp, number, rec, open_groups[-1][2], row_names)
        elif in_matrix:
            matrix = open_groups[-1][2]
            base, _, list_name = str(rec.get("type", "")).partition(" ")
            if base != "select_one" or not list_name.strip():
                imp.fail(number, "every row of a matrix must be a select_one question", "type")
                continue
            if matrix["_list"] not in (None, list_name.strip()):
                imp.fail(number, "all rows of a matrix must use the same choice list", "type")
            matrix["_list"] = list_name.strip()
            name = str(rec.get("name", ""))
            if not name:
                imp.fail(number, "a matrix row needs a name", "name")
                continue
            row = {"key": row_names[name].split(".", 1)[1], "label": _text(rec, "label") or {}}
            if "weight" in rec:
                row["weight"] = imp.number(number, "weight", rec["weight"])
            if not matrix["rows"]:
                flag = _truthy_cell(rec.get("required", "no"))
                if flag is None:
                    matrix["required_if"] = imp.expr(number, "required", rec["required"])
                elif flag:
                    matrix["required"] = True
            matrix["rows"].append(row)
        else:
            q = _question(imp, number, rec, path)
            if q is not None:
                container.append(q)
                imp.origins[path] = ("survey", number)
    for kind, number, _ in open_groups:
        imp.fail(number, f"this {'begin_repeat' if kind == 'repeat' else 'begin_group'} is never closed", "type")
    for loc_item in doc["items"]:
        for sub in loc_item.get("items", []) if isinstance(loc_item, dict) else []:
            sub.pop("_list", None)
        loc_item.pop("_list", None)

    if problems:
        raise XLSFormError(problems)
    located = []
    for p in validate_document(doc):
        sheet, row = _origin(imp.origins, p.path)
        located.append(Problem(f"{sheet} row {row}" if row else p.path, f"{p.message} ({p.path})", sheet=sheet, row=row))
    if located:
        raise XLSFormError(located)
    return doc


def _multi_text_field(imp: _Importer, number: int, rec: dict, item: dict, row_names: dict) -> None:
    """One text row of a group of short texts (bkb_type=multi_text)."""
    if str(rec.get("type", "")).strip() != "text" or not rec.get("name"):
        imp.fail(number, "every row of a group of short texts is a text question with a name", "type")
        return
    item["fields"].append({"key": row_names[str(rec["name"])].split(".", 1)[1], "label": _text(rec, "label") or {}})
    if not item["fields"][1:]:
        flag = _truthy_cell(rec.get("required", "no"))
        if flag is None:
            item["required_if"] = imp.expr(number, "required", rec["required"])
        elif flag:
            item["required"] = True
        if "constraint" in rec:
            try:
                limit = parse_constraint(str(rec["constraint"]))
            except ValueError as e:
                imp.fail(number, str(e), "constraint")
                return
            if set(limit) - {"max_length"}:
                imp.fail(number, "a short text only takes a length constraint", "constraint")
            elif "max_length" in limit:
                item["max_length"] = limit["max_length"]


def _path_of(imp: _Importer, item: dict, container: list, top: list) -> str:
    index = next(i for i, x in enumerate(container) if x is item)
    if container is top:
        return f"items[{index}]"
    return f"items[{len(top) - 1}].items[{index}]"


def _part_names(rec: dict, lists: dict) -> dict[str, str]:
    """XLSForm names of the parts of a ranking (``<key>__<item>``) and of an or_other text (``<key>_other``)."""
    base, _, rest = str(rec.get("type", "")).strip().partition(" ")
    name = str(rec.get("name", ""))
    if base == "rank":
        return {f"{name}__{r.get('name')}": f"{name}.{r.get('name')}" for _, r in lists.get(rest.strip(), [])}
    if base in ("select_one", "select_multiple") and rest.strip().endswith(f" {OR_OTHER}"):
        return {f"{name}_{OTHER}": f"{name}.{OTHER}"}
    return {}


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
