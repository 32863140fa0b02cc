"""Where a questionnaire's problem is, said as the designer knows it: 「visit」的显示条件, not items[2].show_if.

The pure validator locates each problem by a JSON path and the key of the question it is in (``Problem.item``);
this module names that place in the reader's language, and ``problem_text`` says what is wrong (the validator's
English template through the catalog).
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_pgettext

from app.platform.i18n import translated

# The fields of a questionnaire document (docs/QUESTIONNAIRE.md), by their name in the JSON.
FIELD_NAMES = {
    "label": lazy_pgettext("questionnaire field", "text"),
    "help": lazy_pgettext("questionnaire field", "hint"),
    "description": lazy_pgettext("questionnaire field", "description"),
    "key": lazy_pgettext("questionnaire field", "key"),
    "type": lazy_pgettext("questionnaire field", "question type"),
    "show_if": lazy_pgettext("questionnaire field", "display condition"),
    "required_if": lazy_pgettext("questionnaire field", "required condition"),
    "required": lazy_pgettext("questionnaire field", "required"),
    "value": lazy_pgettext("questionnaire field", "value"),
    "score": lazy_pgettext("questionnaire field", "score"),
    "weight": lazy_pgettext("questionnaire field", "weight"),
    "scored": lazy_pgettext("questionnaire field", "scoring"),
    "dimension": lazy_pgettext("questionnaire field", "dimension"),
    "min": lazy_pgettext("questionnaire field", "minimum"),
    "max": lazy_pgettext("questionnaire field", "maximum"),
    "min_picks": lazy_pgettext("questionnaire field", "fewest picks"),
    "max_picks": lazy_pgettext("questionnaire field", "most picks"),
    "max_length": lazy_pgettext("questionnaire field", "maximum length"),
    "integer": lazy_pgettext("questionnaire field", "whole numbers only"),
    "not_familiar": lazy_pgettext("questionnaire field", "“not familiar” option"),
    "not_familiar_label": lazy_pgettext("questionnaire field", "text of “not familiar”"),
    "other": lazy_pgettext("questionnaire field", "“other” option"),
    "yes_label": lazy_pgettext("questionnaire field", "text of “yes”"),
    "no_label": lazy_pgettext("questionnaire field", "text of “no”"),
    "yes_score": lazy_pgettext("questionnaire field", "score of “yes”"),
    "no_score": lazy_pgettext("questionnaire field", "score of “no”"),
    "layout": lazy_pgettext("questionnaire field", "layout on a phone"),
    "title": lazy_pgettext("questionnaire field", "title"),
    "schema_version": lazy_pgettext("questionnaire field", "format version"),
    "items": lazy_pgettext("questionnaire field", "questions"),
    "options": lazy_pgettext("questionnaire field", "options"),
    "rows": lazy_pgettext("questionnaire field", "rows"),
    "fields": lazy_pgettext("questionnaire field", "text boxes"),
    "source_name": lazy_pgettext("questionnaire field", "name in the imported file"),
    "source_value": lazy_pgettext("questionnaire field", "value in the imported file"),
}
LANGUAGE_NAMES = {"zh": lazy_pgettext("questionnaire field", "Chinese"),
                  "en": lazy_pgettext("questionnaire field", "English")}
NUMBERED = {"options": lazy_pgettext("questionnaire field", "option %(number)d"),
            "rows": lazy_pgettext("questionnaire field", "row %(number)d"),
            "fields": lazy_pgettext("questionnaire field", "text box %(number)d")}
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_ITEM_PATH = re.compile(r"items\[(\d+)\](?:\.items\[(\d+)\])?")


def problem_text(problem) -> str:
    """What is wrong, in the reader's language."""
    return translated(problem)


def problem_place(problem) -> str:
    """Where a problem is: the question's key and the field's name in the reader's language."""
    path = problem.path or ""
    found = _ITEM_PATH.match(path)
    if found and (path[found.end():] in ("",) or path[found.end()] == "."):
        if problem.item:
            place = _("question “%(key)s”", key=problem.item)
        elif found.group(2) is not None:
            place = _("question %(number)d of the department block", number=int(found.group(2)) + 1)
        else:
            place = _("question %(number)d", number=int(found.group(1)) + 1)
        return _within(place, _parts(path[found.end():]))
    if problem.item:  # an imported file's own path (SurveyJS): the question, and the place in the file
        return _("question “%(key)s”", key=problem.item) + f" ({path})"
    if not path:
        return _("the whole questionnaire")
    if path.split(".")[0].split("[")[0] in FIELD_NAMES:
        return _within(None, _parts(path))
    return path


def _parts(text: str) -> list:
    return [int(i) if i else name for i, name in _PART.findall(text)]


def _within(place: str | None, parts: list) -> str:
    """Name each part of a path inside ``place``: 「q」 + [options, 1, value] -> 「q」的第2个选项的值."""
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(part, str) and part in NUMBERED and i + 1 < len(parts) and isinstance(parts[i + 1], int):
            name, i = str(NUMBERED[part]) % {"number": parts[i + 1] + 1}, i + 2
        elif isinstance(part, str) and part in LANGUAGE_NAMES and place is not None:
            place, i = _("%(place)s (%(language)s)", place=place, language=LANGUAGE_NAMES[part]), i + 1
            continue
        elif isinstance(part, int):
            name, i = _("entry %(number)d", number=part + 1), i + 1
        else:
            name, i = str(FIELD_NAMES.get(part, f"“{part}”")), i + 1
        place = name if place is None else _("%(part)s of %(whole)s", part=name, whole=place)
    return place or _("the whole questionnaire")
