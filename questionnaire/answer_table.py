"""The answers of a round as tables, one column per answer: where each question type's answer goes in an export.

Two tables, because a respondent answers the questions outside the department block once and those inside it
once per department picked:

- ``respondents``: one row per response, one column per top-level answer;
- ``departments``: one row per response and department, one column per answer of the block.

A column is an answer key, so a question answered in parts has a column per part: a matrix row
(``service.speed``), a ranked item holding its rank (``priorities.speed`` = 2), a short-text box
(``contact.name``), the text of "other" (``reason.other``). A multiple choice is one cell listing the values
picked, separated by ``;``; a yes/no cell holds ``yes`` or ``no``; a date ``YYYY-MM-DD``; a note has no column.
Cells hold plain values (text, numbers, None); a spreadsheet writer makes them formula-safe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from questionnaire.schema import department_block
from questionnaire.types import text_of, type_of

SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """One answer: its key (the column's name) and what the question says (question · part), in a locale."""

    key: str
    label: str


def columns(doc: dict, *, in_block: bool, locale: str = "zh") -> list[Column]:
    """The answer columns of the questions outside (``in_block=False``) or inside the department block."""
    block = department_block(doc)
    items = (block or {}).get("items", []) if in_block else [i for i in doc["items"] if i["type"] != "department_block"]
    out = []
    for q in items:
        qtype = type_of(q)
        for slot in qtype.slots(q):
            label = text_of(q["label"], locale)
            if slot.row is not None:
                label = f"{label} · {text_of(qtype.slot_label(q, slot), locale)}"
            out.append(Column(slot.answer_key, label))
    return out


def cell(value: Any) -> Any:
    """An answer as one cell: a list (the choices picked) joined, anything else as it is."""
    if isinstance(value, list):
        return SEPARATOR.join(str(v) for v in value)
    return value


def tables(doc: dict, responses: Iterable[tuple[str, Iterable[tuple[str | None, str, Any]]]],
           locale: str = "zh") -> dict[str, list[list]]:
    """``{"respondents": rows, "departments": rows}``, each headed by its column keys, from ``responses``: (response
    id, [(department code or None, answer key, value), …]). Answers to questions no longer in the document are left
    out (a table follows the document it is made for)."""
    top, block = columns(doc, in_block=False, locale=locale), columns(doc, in_block=True, locale=locale)
    respondents = [["response", *(c.key for c in top)]]
    departments = [["response", "department", *(c.key for c in block)]]
    for response, answers in responses:
        own: dict[str, Any] = {}
        per_department: dict[str, dict[str, Any]] = {}
        for department, key, value in answers:
            (own if department is None else per_department.setdefault(department, {}))[key] = value
        respondents.append([response, *(cell(own.get(c.key)) for c in top)])
        for department, values in per_department.items():
            departments.append([response, department, *(cell(values.get(c.key)) for c in block)])
    return {"respondents": respondents, "departments": departments}
