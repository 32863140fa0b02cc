"""What keeps a valid draft from being published: texts the builder put in as placeholders, and questions that
can never be shown.

``readiness_problems(doc)`` runs on a document ``validate_document`` accepts; publishing is refused while it
finds anything, and the draft's page lists the same problems, so "ready to publish" means it.

A question is unreachable when its condition (or its page's) is true for no answers at all: each variable it
uses takes the values its question can hold — its options, its scale, the values the condition compares it
with and the ones just beside them, and "unanswered" — and every combination is tried (conditions use a handful
of variables; above ``MAX_COMBINATIONS`` the question is given the benefit of the doubt). A question whose
condition only uses unreachable questions is unreachable too: their answers are always missing.
"""
from __future__ import annotations

import itertools
from typing import Any

from questionnaire.i18n import N_
from questionnaire.schema import Problem, problem_at
from questionnaire.types import NO, NOT_FAMILIAR, OTHER, REGISTRY, YES
from rules.expressions import Compare, Literal, Var, parse_expression

# The texts the builder gives a new item (app.questionnaires.service.new_item): nothing a respondent should read.
PLACEHOLDER = {
    "question": {"zh": "新题目", "en": "New question"},
    "page": {"zh": "新页面", "en": "New page"},
    "note": {"zh": "新说明文字", "en": "New note"},
    "options": ({"zh": "选项一", "en": "Option 1"}, {"zh": "选项二", "en": "Option 2"}),
    "rows": ({"zh": "第一行", "en": "Row 1"}, {"zh": "第二行", "en": "Row 2"}),
    "fields": ({"zh": "第一项", "en": "Box 1"}, {"zh": "第二项", "en": "Box 2"}),
}
PLACEHOLDER_TEXTS = frozenset(
    text for entry in PLACEHOLDER.values() for local in (entry if isinstance(entry, tuple) else (entry,))
    for text in local.values())
MAX_COMBINATIONS = 20_000


def readiness_problems(doc: dict) -> list[Problem]:
    """Placeholder texts still in the document and questions that can never be shown (for a valid document)."""
    return placeholder_problems(doc) + unreachable_problems(doc)


# --------------------------------------------------------------------------- placeholders

def _texts(item: dict, path: tuple):
    for name in ("label", "help", "description", "yes_label", "no_label"):
        if isinstance(item.get(name), dict):
            yield path + (name,), item[name]
    for part in ("options", "rows", "fields"):
        for i, sub in enumerate(item.get(part) or []):
            if isinstance(sub, dict) and isinstance(sub.get("label"), dict):
                yield path + (part, i, "label"), sub["label"]


def placeholder_problems(doc: dict) -> list[Problem]:
    """Every text that is still one of the builder's placeholders."""
    out = []
    for item, path in _walk(doc):
        for where, local in _texts(item, path):
            found = [t for t in local.values() if t in PLACEHOLDER_TEXTS]
            if found:
                out.append(problem_at(doc, where, N_("still the placeholder text %(text)s: write the real text"),
                                      text=repr(found[0])))
    return out


def _walk(doc: dict):
    for i, item in enumerate(doc["items"]):
        yield item, ("items", i)
        for j, sub in enumerate(item.get("items") or [] if item["type"] == "department_block" else []):
            yield sub, ("items", i, "items", j)


# --------------------------------------------------------------------------- unreachable questions

def unreachable_problems(doc: dict) -> list[Problem]:
    """Items whose condition holds for no possible answers (pages, questions, notes, the department block)."""
    out: list[Problem] = []
    known: dict[str, dict] = {}  # variable -> the question (or part) it names, of the reachable items so far
    never: set[str] = set()  # keys of unreachable items: their answers are always missing
    page_shown = True
    for item, path in _walk(doc):
        in_block = len(path) > 2
        if item["type"] == "section":
            page_shown = _satisfiable(item.get("show_if"), known, never)
            if not page_shown:
                out.append(_never(doc, path, item, "page"))
                never.add(item["key"])
            continue
        if not in_block and item["type"] != "department_block" and not page_shown:
            never.add(item["key"])  # on a page never shown: said once, for the page
            continue
        if item["type"] == "department_block":
            page_shown = True
        if not _satisfiable(item.get("show_if"), known, never):
            out.append(_never(doc, path, item, "question"))
            never.add(item["key"])
            continue
        _declare(item, known)
    return out


def _never(doc: dict, path: tuple, item: dict, what: str) -> Problem:
    template = (N_("this page can never be shown: %(condition)s is true for no possible answers") if what == "page"
                else N_("this question can never be shown: %(condition)s is true for no possible answers"))
    return problem_at(doc, path + ("show_if",), template, condition=item["show_if"])


def _declare(item: dict, known: dict) -> None:
    qtype = REGISTRY[item["type"]]
    if not qtype.answerable:
        return
    known[item["key"]] = item
    for part in qtype.parts(item) if item["type"] != "department_block" else []:
        known[f"{item['key']}.{part}"] = item


def _satisfiable(expression: str | None, known: dict, never: set) -> bool:
    if not expression:
        return True
    parsed = parse_expression(expression)
    names = sorted({v.name for v in parsed.var_nodes()})
    literals = _literals_by_variable(parsed)
    domains = [_domain(name, known, never, literals.get(name, [])) for name in names]
    total = 1
    for domain in domains:
        total *= len(domain)
        if total > MAX_COMBINATIONS:
            return True  # too many to try: given the benefit of the doubt
    return any(parsed.evaluate(dict(zip(names, values))) for values in itertools.product(*domains))


def _literals_by_variable(parsed) -> dict[str, list]:
    out: dict[str, list] = {}
    for node in parsed.tree.walk():
        if isinstance(node, Compare):
            for var, lit in ((node.left, node.right), (node.right, node.left)):
                if isinstance(var, Var) and isinstance(lit, Literal):
                    out.setdefault(var.name, []).append(lit.value)
    return out


def _domain(name: str, known: dict, never: set, literals: list) -> list[Any]:
    """The values worth trying for a variable: what its question can hold, and what the condition compares."""
    base, _, part = name.partition(".")
    q = known.get(name)
    if q is None or base in never:
        return [None]
    kind = q["type"]
    values: list[Any] = [None]
    if part == OTHER and kind in ("single", "multiple", "dropdown"):
        values += _near([lit for lit in literals if isinstance(lit, str)]) + ["x"]
    elif kind in ("single", "dropdown"):
        values += REGISTRY[kind].option_values(q)
    elif kind == "yes_no":
        values += [YES, NO]
    elif kind == "multiple":
        options = REGISTRY[kind].option_values(q)
        values += [[o] for o in options] + [options]
    elif kind in ("rating", "matrix"):
        values += [o["value"] for o in REGISTRY["rating"].scale(q)] + ([NOT_FAMILIAR] if q.get("not_familiar") else [])
    elif kind == "nps":
        values += list(range(11))
    elif kind == "ranking":
        values += list(range(1, len(q["options"]) + 1))
    elif kind == "department_block":
        values += [[lit] for lit in literals if isinstance(lit, str)] + [["?"]]
    elif kind == "number":  # any number: the compared ones and their neighbours
        values += _near([lit for lit in literals if isinstance(lit, (int, float)) and not isinstance(lit, bool)]) + [0]
    else:  # text, date, several short texts, the text of "other": any text, the compared ones and their neighbours
        values += _near([lit for lit in literals if isinstance(lit, str)]) + ["x"]
    return values


def _near(literals: list) -> list:
    """Each compared value, and values just below and above it."""
    out: list = []
    for lit in literals:
        if isinstance(lit, (int, float)):
            out += [lit - 1, lit - 0.5, lit, lit + 0.5, lit + 1]
        elif isinstance(lit, str):
            below = lit[:-1] + chr(ord(lit[-1]) - 1) + "~" if lit and ord(lit[-1]) > 0 else ""
            out += [lit, lit + "~", below, "", f"~{lit}~"]
    return out
