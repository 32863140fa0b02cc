"""What the XLSForm and SurveyJS importers share: safe keys from foreign names, and the list of what is left out.

A form written in another tool holds things this platform cannot ask (a photo, a GPS point) or will not collect
(the device's id). Such parts are not fatal and not silently lost: the importer leaves them out and lists each
with its place and reason; the caller creates a draft only once the designer has seen and confirmed that list.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from questionnaire.i18n import N_
from questionnaire.schema import Problem, QuestionnaireError
from questionnaire.types import KEY_PATTERN, OPTION_VALUE_PATTERN
from rules.expressions import And, Compare, Literal, Node, Not, Or, Var

MAX_KEY = 40

# Why a part of a file is left out: English templates, translated where they are shown (the import page renders
# ``LeftOut.render(gettext)``; the CLI prints the English).
METADATA = N_("left out: this platform collects nothing about the respondent's device or session (type '%(kind)s')")
LOCATION = N_("left out: a location cannot be answered on this platform (type '%(kind)s')")
PICTURE = N_("left out: a photo or picture cannot be answered on this platform (type '%(kind)s')")
RECORDING = N_("left out: a sound or video recording cannot be answered on this platform (type '%(kind)s')")
UPLOAD = N_("left out: a barcode scan, file upload or signature cannot be answered on this platform "
            "(type '%(kind)s')")
TABLE = N_("left out: a table the respondent extends row by row cannot be answered on this platform "
           "(type '%(kind)s')")
UNSUPPORTED = N_("left out: the type '%(kind)s' has no equivalent here")
TEXT_INPUT = N_("left out: a text input of type '%(kind)s' has no equivalent here")
NO_TYPE = N_("left out: the element has no type")
CONDITION_UNREADABLE = N_("the condition %(text)s is left out: it uses what this platform cannot read (%(reason)s); "
                          "the question is kept without it")
CONDITION_READS_LEFT_OUT = N_("the condition %(text)s is left out: it reads %(names)s, which is left out; the "
                              "question is kept without it")
CONDITION_READS_UNKNOWN = N_("the condition %(text)s is left out: it reads %(names)s, which is not a question of "
                             "this survey; the question is kept without it")
CONSTRAINT_UNREADABLE = N_("the constraint %(text)s is left out: this platform cannot read it")
CONSTRAINT_MISPLACED = N_("the constraint %(text)s is left out: it does not apply to this type of question")
CHOICE_FILTER = N_("the choice filter is left out: every choice is shown")
OTHER_CHOICE = N_("the 'other, please specify' choice is left out")
NONE_CHOICE = N_("the 'none' choice is left out")
SELECT_ALL_CHOICE = N_("the 'select all' choice is left out")
CHOICES_ELSEWHERE = N_("left out: its choices come from a web address or another question")
NO_CHOICES = N_("left out: the question has no choices")
MATRIX_CELLS = N_("left out: a matrix whose cells are not all single choices")
REPEAT = N_("the repetition is left out: its questions are asked once")
DYNAMIC_PANEL = N_("the dynamic panel is left out: its questions are asked once")
PANEL_IN_PANEL = N_("left out: a dynamic panel inside a dynamic panel")
GROUP_IN_BLOCK = N_("the group inside the department block is left out: its questions stay in the block")
OTHER_LANGUAGES = N_("the texts in %(languages)s are left out: a questionnaire holds Chinese and English")
NO_CHINESE = N_("the form has no Chinese texts: the %(languages)s texts stand in for them until they are translated")


@dataclass(frozen=True)
class LeftOut(Problem):
    """A part of an imported file that is left out, located like any problem, with its reason as a template."""


@dataclass
class Imported:
    """An imported document and the parts of the file that were left out (each located, with its reason)."""

    document: dict
    dropped: list[Problem] = field(default_factory=list)


class DropsToConfirm(QuestionnaireError):
    """The file imports, but only without the parts listed in ``problems``: the designer must confirm first."""

    def __init__(self, imported: Imported):
        self.imported = imported
        super().__init__(imported.dropped)


def confirmed(imported: Imported, allow_drops: bool) -> dict:
    """The document, once nothing is left out or the designer has allowed it; DropsToConfirm otherwise."""
    if imported.dropped and not allow_drops:
        raise DropsToConfirm(imported)
    return imported.document


def _is_key(name: str) -> bool:
    return bool(re.fullmatch(KEY_PATTERN, name)) and "__" not in name


def _slug(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)  # camelCase -> camel_Case
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


class KeyMaker:
    """Internal keys for foreign names: a name that already is a valid key is kept; any other is derived from it
    (camelCase and hyphens become snake_case; a name without letters gets ``stem``), never clashing."""

    def __init__(self, reserved=()):
        self.taken: set[str] = {n for n in reserved if isinstance(n, str) and _is_key(n)}
        self.made: dict[str, str] = {}

    def key(self, name: object, stem: str = "q", again: bool = False) -> str:
        """The key for ``name``: the same key each time the same name is asked for, unless ``again`` (a name used
        twice, as XLSForm allows in different groups, then gets a key of its own; the file keeps the name)."""
        text = "" if name is None else str(name).strip()
        if text in self.made:
            if not again:
                return self.made[text]
        elif _is_key(text):
            self.taken.add(text)
            self.made[text] = text
            return text
        base = _slug(text)
        if not base or not base[0].isalpha():
            base = f"{stem}_{base}".strip("_")
        base = base[:MAX_KEY].rstrip("_")
        key, n = base, 2
        while key in self.taken:
            suffix = f"_{n}"
            key, n = base[:MAX_KEY - len(suffix)].rstrip("_") + suffix, n + 1
        self.taken.add(key)
        if text:
            self.made.setdefault(text, key)
        return key

    def fresh(self, stem: str) -> str:
        """A new key that no name asked for (a page without a name)."""
        n = 1
        while f"{stem}_{n}" in self.taken:
            n += 1
        self.taken.add(f"{stem}_{n}")
        return f"{stem}_{n}"


def valid_values(raws) -> set[str]:
    """The values of a choice list that are valid as they are: derived values must not take them."""
    return {str(r) for r in raws if r is not None and re.fullmatch(OPTION_VALUE_PATTERN, str(r))}


def option_value(raw: object, taken: set[str]) -> tuple[str, str | None]:
    """An option value that fits the schema, and the value as written when it had to change (else None)."""
    text = "" if raw is None else str(raw)
    if re.fullmatch(OPTION_VALUE_PATTERN, text):  # a repeated value stays repeated: the check reports it
        taken.add(text)
        return text, None
    base = (re.sub(r"[^A-Za-z0-9_.-]+", "_", unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
                   .decode()).strip("_.-") or "option")[:MAX_KEY]
    value, n = base, 2
    while value in taken:
        suffix = f"_{n}"
        value, n = base[:MAX_KEY - len(suffix)] + suffix, n + 1
    taken.add(value)
    return value, text


def rewrite(node: Node, names: dict[str, str], values: dict[str, dict[str, str]]) -> Node:
    """An expression tree with foreign variable names replaced by internal keys (``names``) and the option values
    compared with a variable replaced likewise (``values``: internal key -> {value as written: internal value})."""
    if isinstance(node, Var):
        if node.name in names:
            return Var(names[node.name])
        base, dot, part = node.name.partition(".")  # a part of a question: {matrix.row}, {choice.other}
        return Var(f"{names[base]}.{part}") if dot and base in names else node
    if isinstance(node, Not):
        return Not(rewrite(node.operand, names, values))
    if isinstance(node, (And, Or)):
        return type(node)(rewrite(node.left, names, values), rewrite(node.right, names, values))
    if isinstance(node, Compare):
        left, right = rewrite(node.left, names, values), rewrite(node.right, names, values)
        if isinstance(left, Var) and isinstance(right, Literal):
            right = Literal(values.get(left.name, {}).get(str(right.value), right.value))
        elif isinstance(right, Var) and isinstance(left, Literal):
            left = Literal(values.get(right.name, {}).get(str(left.value), left.value))
        return Compare(node.op, left, right)
    return node


def variables(node: Node) -> list[str]:
    """The variable names an expression tree reads."""
    return [n.name for n in node.walk() if isinstance(n, Var)]


def source_maps(doc: dict) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """What an export writes back as the imported file had it: key -> name, and key -> {value: value as written}."""
    from questionnaire.schema import iter_items

    names, values = {}, {}
    for loc in iter_items(doc):
        q = loc.item
        if q.get("source_name"):
            names[q["key"]] = q["source_name"]
        for row in q.get("rows") or []:
            if row.get("source_name"):
                names[f"{q['key']}.{row['key']}"] = row["source_name"]
        written = {str(o["value"]): o["source_value"] for o in q.get("options") or [] if o.get("source_value")}
        if written:
            values[q["key"]] = written
    return names, values


def carry_source_names(old: dict, new: dict) -> dict:
    """``new`` (an item edited in the builder) keeping the names and values the imported file had where the key or
    value is unchanged; a renamed key or value is exported as renamed."""
    if new.get("key") != old.get("key"):
        new.pop("source_name", None)
    for part, field in (("options", "value"), ("rows", "key")):
        name = "source_value" if part == "options" else "source_name"
        written = {e.get(field): e[name] for e in old.get(part) or [] if isinstance(e, dict) and e.get(name)}
        for entry in new.get(part) or []:
            if isinstance(entry, dict) and entry.get(field) in written:
                entry.setdefault(name, written[entry[field]])
    return new
