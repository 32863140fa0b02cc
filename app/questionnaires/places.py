"""Where a questionnaire's problem is, said as the designer knows it: 「visit」的显示条件, not items[2].show_if.

The pure validator locates each problem by a JSON path and the key of the question it is in (``Problem.item``);
this module names that place in the reader's language, and ``problem_text`` says what is wrong (the validator's
English template through the catalog).
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from markupsafe import Markup, escape
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


def literal(value) -> Markup:
    """A literal of the designer's or the file's own (a key, a value, a condition, a column): shown as written and
    marked as no text to translate."""
    return Markup('<span translate="no">%s</span>') % value


def _fill(template: str, params: dict) -> Markup:
    """``template`` (already translated) filled with ``params``: numbers as they are, texts as literals, nested
    messages translated in turn, markup as it is."""
    values = {}
    for name, value in params.items():
        if isinstance(value, Markup):  # a place within a place: already made
            values[name] = str(value)
        elif hasattr(value, "render"):
            values[name] = str(_message(value.template, dict(value.params)))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            values[name] = value
        else:
            values[name] = str(literal(value))
    return Markup(str(escape(template)) % values) if values else Markup(escape(template))


def _message(template: str, params: dict) -> Markup:
    return _fill(_(template), params)


def problem_text(problem) -> Markup:
    """What is wrong, in the reader's language (the literals it quotes marked as such)."""
    template = getattr(problem, "template", "")
    if template:
        return _message(template, dict(problem.params))
    if hasattr(getattr(problem, "reason", None), "render"):
        return _message(problem.reason.template, dict(problem.reason.params))
    return Markup(escape(translated(problem)))


def _question(key: str) -> Markup:
    return _fill(_("question “%(key)s”"), {"key": key})


def problem_place(problem) -> Markup:
    """Where a problem is: the question's key and the field's name in the reader's language."""
    path = problem.path or ""
    found = _ITEM_PATH.match(path)
    if found and path[found.end():][:1] in ("", "."):
        if problem.item:
            place = _question(problem.item)
        elif found.group(2) is not None:
            place = Markup(escape(_("question %(number)d of the department block", number=int(found.group(2)) + 1)))
        else:
            place = Markup(escape(_("question %(number)d", number=int(found.group(1)) + 1)))
        return _within(place, _parts(path[found.end():]))
    if problem.item:  # an imported file's own path (SurveyJS): the question, and the place in the file
        return _question(problem.item) + Markup(" (") + literal(path) + Markup(")")
    if not path:
        return Markup(escape(_("the whole questionnaire")))
    if path.split(".")[0].split("[")[0] in FIELD_NAMES:
        return _within(None, _parts(path))
    return literal(path)


def _parts(text: str) -> list:
    return [int(i) if i else name for i, name in _PART.findall(text)]


def _within(place: Markup | None, parts: list) -> Markup:
    """Name each part of a path inside ``place``: 「q」 + [options, 1, value] -> 「q」的第2个选项的值."""
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(part, str) and part in NUMBERED and i + 1 < len(parts) and isinstance(parts[i + 1], int):
            name, i = Markup(escape(str(NUMBERED[part]) % {"number": parts[i + 1] + 1})), i + 2
        elif isinstance(part, str) and part in LANGUAGE_NAMES and place is not None:
            place = _fill(_("%(place)s (%(language)s)"), {"place": place,
                                                          "language": Markup(escape(str(LANGUAGE_NAMES[part])))})
            i += 1
            continue
        elif isinstance(part, int):
            name, i = Markup(escape(_("entry %(number)d", number=part + 1))), i + 1
        elif part in FIELD_NAMES:
            name, i = Markup(escape(str(FIELD_NAMES[part]))), i + 1
        else:
            name, i = literal(part), i + 1
        place = name if place is None else _fill(_("%(part)s of %(whole)s"), {"part": name, "whole": place})
    return place or Markup(escape(_("the whole questionnaire")))


def change_text(change) -> Markup:
    """A difference between two versions (``questionnaire.diff.Change``) in the reader's language: the field's
    name and the question type in words, the keys and values as the designer wrote them (marked as literals)."""
    from app.questionnaires.forms import TYPE_LABELS

    params = dict(change.message.params)
    if "field" in params:
        params["field"] = _within(None, _parts(params["field"]))
    if params.get("type") in TYPE_LABELS:
        params["type"] = Markup(escape(str(TYPE_LABELS[params["type"]])))
    return _message(change.message.template, params)
