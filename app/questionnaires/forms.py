"""Forms of the questionnaire builder pages, and the mapping between an item form and a document item."""
from __future__ import annotations

import copy
import math

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.platform.forms import NoControlCharacters
from app.platform.i18n import translated
from questionnaire.types import (
    DATE_PATTERN,
    DEFAULT_SCALE,
    KEY_PATTERN,
    NO_LABEL,
    OPTION_VALUE_PATTERN,
    OTHER_TYPES,
    REGISTRY,
    YES_LABEL,
)
from rules.expressions import ExpressionError, parse_expression

TYPE_LABELS = {
    "section": _l("Page (section)"),
    "rating": _l("Satisfaction rating"),
    "single": _l("Single choice"),
    "multiple": _l("Multiple choice"),
    "text": _l("Short text"),
    "textarea": _l("Long text"),
    "number": _l("Number"),
    "nps": _l("Recommendation score (0–10)"),
    "matrix": _l("Rating matrix"),
    "department_block": _l("Department block"),
    "note": _l("Note (text only, no answer)"),
    "date": _l("Date"),
    "dropdown": _l("Drop-down list"),
    "yes_no": _l("Yes / no"),
    "ranking": _lp("question type", "Ranking"),  # 排序, where the assessment's ranking is 排名
    "multi_text": _l("Several short texts"),
}
KEY_MESSAGE = _l("Lowercase letters, digits and _ only, starting with a letter (at most 40).")


def capabilities(qtype: str) -> dict[str, bool]:
    """Which groups of fields the item form shows for a question type."""
    handler = REGISTRY[qtype]
    answerable = handler.answerable and qtype != "department_block"
    return {
        "description": qtype == "section",
        "help": qtype != "section",
        "required": answerable,
        "scored": handler.scorable,
        "options": qtype in ("rating", "matrix", "single", "multiple", "dropdown", "ranking"),
        "int_options": qtype in ("rating", "matrix"),
        "option_scores": qtype != "ranking",  # a ranking's items hold ranks, not scores
        "option_keys": qtype == "ranking",  # a ranked item's value names its answer ({key.item}): a key
        "other": qtype in OTHER_TYPES,
        "not_familiar": qtype in ("rating", "matrix"),
        "picks": qtype in ("multiple", "department_block"),
        "max_length": qtype in ("text", "textarea", "multi_text"),
        "number": qtype == "number",
        "dates": qtype == "date",
        "yes_no": qtype == "yes_no",
        "rows": qtype in ("matrix", "multi_text"),
        "row_weights": qtype == "matrix",
    }


def _number(text: str | None) -> float | int | None:
    """A finite number from text (int when whole), None when empty; ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _text(value) -> str:
    """A stored number as a person writes it (100, not 100.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _local(zh: str | None, en: str | None) -> dict:
    out = {"zh": (zh or "").strip()}
    if (en or "").strip():
        out["en"] = en.strip()
    return out


def _expression(form, field) -> None:
    """Refuse an expression that does not parse; the field keeps the caret pointer for the page."""
    field.pointer = None
    if not (field.data or "").strip():
        return
    try:
        parse_expression(field.data)
    except ExpressionError as exc:
        field.pointer = exc.pointer()
        raise ValidationError(str(_l("Syntax error at character %(position)d: %(message)s",
                                     position=exc.position + 1, message=translated(exc)))) from None


class OptionForm(Form):
    """One row of the options table (no CSRF of its own: it is part of the item form)."""

    value = StringField(_l("Value"), validators=[NoControlCharacters(), Length(max=40)])
    label_zh = StringField(_l("Chinese label"), validators=[NoControlCharacters(), Length(max=4000)])
    label_en = StringField(_l("English label"), validators=[NoControlCharacters(), Length(max=4000)])
    score = StringField(_l("Score"), validators=[NoControlCharacters(), Length(max=20)])


class RowForm(Form):
    """One row of a rating matrix."""

    key = StringField(_l("Row key"), validators=[NoControlCharacters(), Length(max=40)])
    label_zh = StringField(_l("Chinese label"), validators=[NoControlCharacters(), Length(max=4000)])
    label_en = StringField(_l("English label"), validators=[NoControlCharacters(), Length(max=4000)])
    weight = StringField(_l("Weight"), validators=[NoControlCharacters(), Length(max=20)])


class ItemForm(FlaskForm):
    """Every editable field of one item; the page shows the ones its type uses (see ``capabilities``)."""

    key = StringField(_l("Key"),
                      validators=[DataRequired(), NoControlCharacters(), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
                      description=_l("A stable identifier used in conditions, exports and results, e.g. attitude."))
    label_zh = TextAreaField(_l("Question (Chinese)"),
                             validators=[DataRequired(), NoControlCharacters(), Length(max=4000)])
    label_en = TextAreaField(_l("Question (English)"), validators=[Optional(), NoControlCharacters(), Length(max=4000)])
    help_zh = TextAreaField(_l("Hint (Chinese)"), validators=[Optional(), NoControlCharacters(), Length(max=4000)])
    help_en = TextAreaField(_l("Hint (English)"), validators=[Optional(), NoControlCharacters(), Length(max=4000)])
    required = BooleanField(_l("Required"))
    required_if = StringField(_l("Required if"),
                              validators=[Optional(), NoControlCharacters(), Length(max=1000), _expression],
                              description=_l("A condition, e.g. {overall} <= 2. Leave empty if not needed."))
    show_if = StringField(_l("Show if"), validators=[Optional(), NoControlCharacters(), Length(max=1000), _expression],
                          description=_l("Shown only when this condition holds, e.g. {kind} = 'enterprise'."))
    scored = BooleanField(_l("Counts towards the department score"))
    weight = StringField(_l("Weight"), validators=[Optional(), NoControlCharacters(), Length(max=20)],
                         description=_l("Weight within the department score (default 1)."))
    dimension = StringField(_l("Dimension"),
                            validators=[Optional(), NoControlCharacters(), Regexp(KEY_PATTERN, message=KEY_MESSAGE)],
                            description=_l("Groups scored questions for dimension scores, e.g. attitude."))
    not_familiar = BooleanField(_l("Offer “Not familiar” (counts as missing, never as zero)"))
    layout = SelectField(_l("On a phone"), choices=[
        SelectChoice("row", _l("The levels side by side in one row (compact)")),
        SelectChoice("list", _l("One level per line (for long labels)"))], default="row", validate_choice=False)
    min_picks = IntegerField(_l("Pick at least"), validators=[Optional(), NumberRange(0, 1000)])
    max_picks = IntegerField(_l("Pick at most"), validators=[Optional(), NumberRange(0, 1000)])
    max_length = IntegerField(_l("Maximum length"), validators=[Optional(), NumberRange(1, 20000)])
    integer = BooleanField(_l("Whole numbers only"))
    minimum = StringField(_l("Minimum"), validators=[Optional(), NoControlCharacters(), Length(max=20)])
    maximum = StringField(_l("Maximum"), validators=[Optional(), NoControlCharacters(), Length(max=20)])
    other = BooleanField(_l("Offer “Other (please specify)” with a text box"))
    earliest = StringField(_l("Earliest date"), validators=[Optional(), Regexp(DATE_PATTERN, message=_l(
        "Write the date as YYYY-MM-DD."))], description=_l("Optional, e.g. 2024-01-01."))
    latest = StringField(_l("Latest date"), validators=[Optional(), Regexp(DATE_PATTERN, message=_l(
        "Write the date as YYYY-MM-DD."))], description=_l("Optional, e.g. 2024-12-31."))
    yes_zh = StringField(_l("“Yes” reads (Chinese)"), validators=[Optional(), NoControlCharacters(), Length(max=200)])
    no_zh = StringField(_l("“No” reads (Chinese)"), validators=[Optional(), NoControlCharacters(), Length(max=200)])
    yes_score = StringField(_l("Score of “yes”"), validators=[Optional(), NoControlCharacters(), Length(max=20)])
    no_score = StringField(_l("Score of “no”"), validators=[Optional(), NoControlCharacters(), Length(max=20)])
    options = FieldList(FormField(OptionForm), min_entries=0, max_entries=1000)
    rows = FieldList(FormField(RowForm), min_entries=0, max_entries=200)

    def __init__(self, *args, qtype: str = "rating", **kwargs):
        super().__init__(*args, **kwargs)
        self.qtype = qtype
        self.caps = capabilities(qtype)
        for name in ("show_if", "required_if"):
            self[name].pointer = None
        if qtype == "note":
            self.label_zh.label.text = _l("Text shown (Chinese)")
            self.label_en.label.text = _l("Text shown (English)")
        if qtype == "section":
            self.label_zh.label.text = _l("Page title (Chinese)")
            self.label_en.label.text = _l("Page title (English)")
            self.help_zh.label.text = _l("Introduction (Chinese)")
            self.help_en.label.text = _l("Introduction (English)")

    # ---- loading an item into the form
    @staticmethod
    def data_from_item(item: dict) -> dict:
        """The form data that shows ``item``."""
        qtype = item.get("type", "")
        caps = capabilities(qtype) if qtype in REGISTRY else {}
        text = item.get("description" if qtype == "section" else "help") or {}
        options = item.get("options")
        if caps.get("int_options") and not options:
            options = DEFAULT_SCALE
        return {
            "key": item.get("key", ""),
            "label_zh": (item.get("label") or {}).get("zh", ""),
            "label_en": (item.get("label") or {}).get("en", ""),
            "help_zh": text.get("zh", ""),
            "help_en": text.get("en", ""),
            "required": bool(item.get("required")),
            "required_if": item.get("required_if", ""),
            "show_if": item.get("show_if", ""),
            "scored": bool(item.get("scored")),
            "weight": _text(item.get("weight")),
            "dimension": item.get("dimension", ""),
            "not_familiar": bool(item.get("not_familiar")),
            "layout": item.get("layout", "row"),
            "min_picks": item.get("min_picks"),
            "max_picks": item.get("max_picks"),
            "max_length": item.get("max_length"),
            "integer": bool(item.get("integer", True)),
            "minimum": _text(item.get("min")),
            "maximum": _text(item.get("max")),
            "other": bool(item.get("other")),
            "earliest": item.get("min", "") if qtype == "date" else "",
            "latest": item.get("max", "") if qtype == "date" else "",
            "yes_zh": (item.get("yes_label") or YES_LABEL).get("zh", ""),
            "no_zh": (item.get("no_label") or NO_LABEL).get("zh", ""),
            "yes_score": _text(item.get("yes_score")),
            "no_score": _text(item.get("no_score")),
            "options": [
                {"value": _text(o.get("value")), "label_zh": (o.get("label") or {}).get("zh", ""),
                 "label_en": (o.get("label") or {}).get("en", ""), "score": _text(o.get("score"))}
                for o in options or [] if isinstance(o, dict)
            ],
            "rows": [
                {"key": r.get("key", ""), "label_zh": (r.get("label") or {}).get("zh", ""),
                 "label_en": (r.get("label") or {}).get("en", ""), "weight": _text(r.get("weight"))}
                for r in item.get("fields" if qtype == "multi_text" else "rows") or [] if isinstance(r, dict)
            ],
        }

    # ---- the options and rows tables without JavaScript
    def rearranged(self, operation: str) -> dict | None:
        """Form data after a table button (``options-add``, ``rows-up-2`` …), or None if the operation is unknown."""
        parts = (operation or "").split("-")
        if len(parts) not in (2, 3) or parts[0] not in ("options", "rows"):
            return None
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        table = list(data[parts[0]])
        action = parts[1]
        if action == "add" and len(parts) == 2:
            table.append({name: "" for name in (OptionForm if parts[0] == "options" else RowForm)()._fields})
        elif len(parts) == 3 and parts[2].isdigit() and int(parts[2]) < len(table):
            i = int(parts[2])
            if action == "remove":
                table.pop(i)
            elif action == "up" and i > 0:
                table[i - 1], table[i] = table[i], table[i - 1]
            elif action == "down" and i + 1 < len(table):
                table[i + 1], table[i] = table[i], table[i + 1]
            elif action not in ("up", "down"):
                return None
        else:
            return None
        data[parts[0]] = table
        return data

    # ---- validation beyond single fields
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        caps = self.caps
        if caps["scored"] and self.weight.data:
            ok &= self._check_number(self.weight, minimum=0)
        if caps["number"]:
            ok &= self._check_number(self.minimum) & self._check_number(self.maximum)
        if caps["yes_no"]:
            ok &= self._check_number(self.yes_score) & self._check_number(self.no_score)
        if caps["options"]:
            for entry in self.options:
                sub = entry.form
                if not (sub.value.data or "").strip():
                    sub.value.errors.append(str(_l("Give every option a value.")))
                    ok = False
                elif caps["int_options"]:
                    try:
                        int(sub.value.data.strip())
                    except ValueError:
                        sub.value.errors.append(str(_l("A rating value is a whole number.")))
                        ok = False
                elif caps["option_keys"] and not Regexp(KEY_PATTERN).regex.match(sub.value.data.strip()):
                    sub.value.errors.append(str(KEY_MESSAGE))
                    ok = False
                elif not Regexp(OPTION_VALUE_PATTERN).regex.match(sub.value.data.strip()):
                    sub.value.errors.append(str(_l("Letters, digits, _ . and - only (at most 40).")))
                    ok = False
                if not (sub.label_zh.data or "").strip():
                    sub.label_zh.errors.append(str(_l("The Chinese label is required.")))
                    ok = False
                if caps["int_options"] and not (sub.score.data or "").strip():
                    sub.score.errors.append(str(_l("Every point of a rating scale needs a score.")))
                    ok = False
                ok &= self._check_number(sub.score)
        if caps["rows"]:
            for entry in self.rows:
                sub = entry.form
                if not Regexp(KEY_PATTERN).regex.match((sub.key.data or "").strip()):
                    sub.key.errors.append(str(KEY_MESSAGE))
                    ok = False
                if not (sub.label_zh.data or "").strip():
                    sub.label_zh.errors.append(str(_l("The Chinese label is required.")))
                    ok = False
                ok &= self._check_number(sub.weight, minimum=0)
        return bool(ok)

    @staticmethod
    def _check_number(field, minimum: float | None = None) -> bool:
        try:
            value = _number(field.data)
        except ValueError:
            field.errors.append(str(_l("Please enter a number.")))
            return False
        if value is not None and minimum is not None and value < minimum:
            field.errors.append(str(_l("The value must be at least %(min)s.", min=minimum)))
            return False
        return True

    # ---- the item the form describes
    def to_item(self, base: dict) -> dict:
        """``base`` (the stored item) with the form's values applied; fields the form does not show are kept."""
        qtype, caps = self.qtype, self.caps
        item = copy.deepcopy(base)
        item["type"] = qtype
        item["key"] = self.key.data.strip()
        item["label"] = _local(self.label_zh.data, self.label_en.data)
        text_name = "description" if caps["description"] else "help"
        _set(item, text_name, _local(self.help_zh.data, self.help_en.data) if (self.help_zh.data or "").strip() else None)
        _set(item, "show_if", (self.show_if.data or "").strip() or None)
        if caps["required"]:
            item["required"] = bool(self.required.data)
            _set(item, "required_if", (self.required_if.data or "").strip() or None)
        if caps["scored"]:
            item["scored"] = bool(self.scored.data)
            _set(item, "weight", _number(self.weight.data))
            _set(item, "dimension", (self.dimension.data or "").strip() or None)
        if caps["not_familiar"]:
            item["not_familiar"] = bool(self.not_familiar.data)
            # "row" is the default: only the other choice is written, so that existing documents stay as they are.
            _set(item, "layout", "list" if self.layout.data == "list" else None)
        if caps["picks"]:
            _set(item, "min_picks", self.min_picks.data)
            _set(item, "max_picks", self.max_picks.data)
        if caps["max_length"]:
            _set(item, "max_length", self.max_length.data)
        if caps["number"]:
            item["integer"] = bool(self.integer.data)
            _set(item, "min", _number(self.minimum.data))
            _set(item, "max", _number(self.maximum.data))
        if caps["dates"]:
            _set(item, "min", (self.earliest.data or "").strip() or None)
            _set(item, "max", (self.latest.data or "").strip() or None)
        if caps["other"]:
            _set(item, "other", True if self.other.data else None)
        if caps["yes_no"]:
            for answer, text, score, default in (("yes", self.yes_zh, self.yes_score, YES_LABEL),
                                                 ("no", self.no_zh, self.no_score, NO_LABEL)):
                written = (text.data or "").strip()
                stored = item.get(f"{answer}_label") or default
                if written and written != stored.get("zh"):
                    item[f"{answer}_label"] = {"zh": written}  # a new Chinese text; the English one no longer fits
                _set(item, f"{answer}_score", _number(score.data))
        if caps["options"]:
            options = []
            for entry in self.options:
                sub = entry.form
                value = sub.value.data.strip()
                option = {"value": int(value) if caps["int_options"] else value,
                          "label": _local(sub.label_zh.data, sub.label_en.data)}
                score = _number(sub.score.data) if caps["option_scores"] else None
                if score is not None:
                    option["score"] = score
                options.append(option)
            item["options"] = options
        if caps["rows"]:
            rows = []
            for entry in self.rows:
                sub = entry.form
                row = {"key": sub.key.data.strip(), "label": _local(sub.label_zh.data, sub.label_en.data)}
                weight = _number(sub.weight.data) if caps["row_weights"] else None
                if weight is not None:
                    row["weight"] = weight
                rows.append(row)
            item["fields" if qtype == "multi_text" else "rows"] = rows
        return item


def _set(item: dict, name: str, value) -> None:
    """Set a field, or remove it when the value is empty, so defaults stay implicit."""
    if value is None:
        item.pop(name, None)
    else:
        item[name] = value


# The templates a new questionnaire starts from (questionnaire.templates), as the "new questionnaire" page names
# and describes them, in the order it offers them.
TEMPLATE_LABELS = {
    "department": (_l("Department evaluation (好差评)"),
                   _l("The questionnaire the platform ships: each department the respondent dealt with is rated on "
                      "attitude, efficiency, policy, law, integrity and overall satisfaction.")),
    "service_window": (_l("Service window survey"),
                       _l("Short: the matter handled at the window, the waiting time, done in one visit, the staff's "
                          "attitude, overall satisfaction and one open comment.")),
    "enterprise": (_l("Enterprise survey"),
                   _l("The business environment: approvals, inspections, policy delivery and financing, with a "
                      "ranking of what to improve first and the policies wanted.")),
    "blank": (_l("Blank"),
              _l("Only the department block with an overall rating, to build on.")),
}


class NewQuestionnaireForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), NoControlCharacters(), Length(max=200)],
                       description=_l("For staff only; respondents see the title of the questionnaire."))
    template = RadioField(_l("Start from"), choices=[SelectChoice(k, label) for k, (label, _d) in TEMPLATE_LABELS.items()],
                          default="blank")


class AddItemForm(FlaskForm):
    type = SelectField(_l("Question type"), choices=[SelectChoice(k, v) for k, v in TYPE_LABELS.items()])
    where = SelectField(_l("Add at"), choices=[SelectChoice("end", _l("the end of the questionnaire")),
                                               SelectChoice("block", _l("the end of the department block"))])


class SettingsForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), NoControlCharacters(), Length(max=4000)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), NoControlCharacters(), Length(max=4000)])
    description_zh = TextAreaField(_l("Description (Chinese)"),
                                   validators=[Optional(), NoControlCharacters(), Length(max=4000)])
    description_en = TextAreaField(_l("Description (English)"),
                                   validators=[Optional(), NoControlCharacters(), Length(max=4000)])


class ImportForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()],
                     description=_l("Native .json, XLSForm .xlsx or .xls, or SurveyJS .surveyjs.json; the format is "
                                    "chosen by the end of the file name."))
    questionnaire = SelectField(_l("Import as"), choices=[], validate_choice=True)
    allow_drops = BooleanField(_l("Leave out what cannot be imported"),
                               description=_l("Tick this after the check has listed the parts of the file that "
                                              "cannot be imported (device data, photos, locations…): the draft is "
                                              "then created without them."))
