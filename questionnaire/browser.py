"""The questionnaire as the respondent's browser needs it to page, show, hide and check on its own.

``browser_spec(doc)`` walks a normalised document in order and returns plain JSON: every item with its
field names, its type's rules for reading a value (scale values, options, number limits, text length), and
its conditions as parsed trees (``rules.expressions``' one parser; the browser only evaluates them, with
``app/static/js/survey.js``). Department questions are given once, with ``{dept}`` in their field
names, and repeated in the browser for every department picked.

Nothing here is trusted: the server resolves and validates every submission again (``questionnaire.answers``).
"""
from __future__ import annotations

from typing import Any

from questionnaire.answers import PICKER_FIELD, field_name
from questionnaire.types import NOT_FAMILIAR, OTHER, OTHER_MAX_LENGTH, TEXT_MAX_LENGTH, type_of
from rules.expressions import parse_expression

DEPARTMENT_PLACEHOLDER = "{dept}"


def _tree(expression: str | None) -> list | None:
    return parse_expression(expression).to_json() if expression else None


def _value_rules(q: dict) -> dict[str, Any]:
    """How the browser reads this question's value, mirroring its type's ``parse``."""
    kind = q["type"]
    if kind in ("rating", "matrix"):
        values = [o["value"] for o in type_of(q).scale(q)]
        return {"read": "scale", "values": values, "not_familiar": NOT_FAMILIAR if q.get("not_familiar") else None}
    if kind in ("single", "dropdown", "yes_no"):
        return {"read": "choice", "values": type_of(q).option_values(q)}
    if kind == "multiple":
        return {"read": "choices", "values": type_of(q).option_values(q),
                "min": q.get("min_picks"), "max": q.get("max_picks")}
    if kind == "date":
        return {"read": "date", "min": q.get("min"), "max": q.get("max")}
    if kind == "ranking":
        return {"read": "rank", "count": len(q.get("options", []))}
    if kind == "multi_text":
        return {"read": "text", "max": q.get("max_length", TEXT_MAX_LENGTH["text"])}
    if kind in ("text", "textarea"):
        return {"read": "text", "max": q.get("max_length", TEXT_MAX_LENGTH[kind])}
    if kind == "number":
        return {"read": "number", "integer": q.get("integer", True), "min": q.get("min"), "max": q.get("max")}
    if kind == "nps":
        return {"read": "scale", "values": list(range(11)), "not_familiar": None}
    return {"read": "none"}


def _field(q: dict, slot, department: str | None) -> dict:
    field = {"name": field_name(slot.answer_key, department), "key": slot.answer_key}
    if slot.row == OTHER and q.get("other"):
        # The text of "other": read as a text, required when "other" is chosen (the type's ``settle``).
        chosen = f"{{{q['key']}}} {'contains' if q['type'] == 'multiple' else '='} '{OTHER}'"
        field.update(read="text", max=OTHER_MAX_LENGTH, required_if=_tree(chosen))
    return field


def _question(q: dict, department: str | None) -> dict:
    qtype = type_of(q)
    return {
        "kind": "question",
        "key": q["key"],
        "fields": [_field(q, slot, department) for slot in qtype.slots(q)],
        "show_if": _tree(q.get("show_if")),
        "required": bool(q.get("required", False)),
        "required_if": _tree(q.get("required_if")),
        **_value_rules(q),
    }


def browser_spec(doc: dict) -> dict:
    """The document's items in order, as the one-page survey's script reads them (see the module's docstring)."""
    items: list[dict] = []
    for item in doc["items"]:
        kind = item["type"]
        if kind == "section":
            items.append({"kind": "section", "key": item["key"], "show_if": _tree(item.get("show_if"))})
        elif kind == "department_block":
            items.append({
                "kind": "block",
                "key": item["key"],
                "field": PICKER_FIELD,
                "show_if": _tree(item.get("show_if")),
                "min": item.get("min_picks", 0),
                "max": item.get("max_picks"),
                "items": [_question(q, DEPARTMENT_PLACEHOLDER) for q in item["items"]],
            })
        else:
            items.append(_question(item, None))
    return {"items": items, "placeholder": DEPARTMENT_PLACEHOLDER}
