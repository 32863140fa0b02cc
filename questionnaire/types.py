"""The registry of question types: one class per type, one obvious place for each.

Each type describes its JSON Schema fragment, its defaults (for normalisation), its answer
slots (one per answer; a matrix has one per row), how a raw submitted value is parsed, how an
answer is scored. How each type becomes a WTForms field is ``forms.fields``, keyed by the same names. The XLSForm and SurveyJS modules keep
their own per-type mapping tables keyed by the same type names.
"""
from __future__ import annotations

import copy
import datetime
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from questionnaire.i18n import N_

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
OPTION_VALUE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,39}$"
# The name or value as written in an imported XLSForm/SurveyJS file when it is not a valid key/value here:
# the internal key is derived from it, and exports write it back as it was.
SOURCE_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
NOT_FAMILIAR = "na"  # the value of the 不了解 option: a string, so it never compares as a low rating

DEFAULT_SCALE = [
    {"value": 5, "label": {"zh": "非常满意", "en": "Very satisfied"}, "score": 100},
    {"value": 4, "label": {"zh": "满意", "en": "Satisfied"}, "score": 80},
    {"value": 3, "label": {"zh": "基本满意", "en": "Fairly satisfied"}, "score": 60},
    {"value": 2, "label": {"zh": "不满意", "en": "Dissatisfied"}, "score": 40},
    {"value": 1, "label": {"zh": "非常不满意", "en": "Very dissatisfied"}, "score": 20},
]
NOT_FAMILIAR_LABEL = {"zh": "不了解", "en": "Not familiar"}
TEXT_MAX_LENGTH = {"text": 200, "textarea": 2000}

# User-facing messages, translated at run time by the gettext the form factory receives.
MSG_REQUIRED = N_("This question is required.")
MSG_INVALID_CHOICE = N_("Please choose one of the options.")
MSG_NOT_A_NUMBER = N_("Please enter a number.")
MSG_NOT_AN_INTEGER = N_("Please enter a whole number.")
MSG_TOO_SMALL = N_("The value must be at least %(min)s.")
MSG_TOO_LARGE = N_("The value must be at most %(max)s.")
MSG_TOO_LONG = N_("Please write at most %(max)d characters.")
MSG_TOO_FEW = N_("Please choose at least %(min)d.")
MSG_TOO_MANY = N_("Please choose at most %(max)d.")
MSG_NOT_A_DATE = N_("Please enter a date as YYYY-MM-DD.")
MSG_TOO_EARLY = N_("The date must be on or after %(min)s.")
MSG_TOO_LATE = N_("The date must be on or before %(max)s.")
MSG_RANK_EVERY = N_("Please rank every item.")
MSG_RANK_TWICE = N_("Each rank can be given to one item only.")
MSG_SPECIFY_OTHER = N_("Please say what the other answer is.")

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
OTHER = "other"  # the value of the "other, please specify" option, and the part of its text: {key.other}
OTHER_MAX_LENGTH = 200
OTHER_TYPES = ("single", "multiple", "dropdown")  # the types that may offer "other, please specify"
YES, NO = "yes", "no"
YES_LABEL = {"zh": "是", "en": "Yes"}
NO_LABEL = {"zh": "否", "en": "No"}
OTHER_LABEL = {"zh": "其他（请注明）", "en": "Other (please specify)"}
OTHER_TEXT_LABEL = {"zh": "请注明", "en": "Please specify"}  # the label of the text under the "other" option


class InvalidAnswer(ValueError):
    """A submitted value that does not fit its question; ``message`` is an untranslated template."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def render(self, gettext: Callable[[str], str]) -> str:
        """Translate and fill in the message."""
        text = gettext(self.message)
        return text % self.params if self.params else text


def text_of(local: dict | None, locale: str = "zh") -> str:
    """Pick the text for a locale from a {"zh": ..., "en": ...} dict, falling back to zh."""
    if not local:
        return ""
    return local.get(locale) or local.get("zh") or ""


def local_text_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "zh": {"type": "string", "minLength": 1, "maxLength": 4000},
            "en": {"type": "string", "maxLength": 4000},
        },
        "required": ["zh"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Slot:
    """One answer of a question: its answer key (``key`` or ``key.row``) and matrix row key."""

    question: dict
    answer_key: str
    row: str | None = None


def _empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "") or (isinstance(raw, (list, tuple)) and not raw)


def _single_raw(raw: Any) -> Any:
    # MultiDict.getlist / SelectField data may hand us a one-element list.
    if isinstance(raw, (list, tuple)):
        return raw[0] if len(raw) == 1 else raw
    return raw


class QuestionType:
    """Base class: a type that holds no answer (sections)."""

    name = ""
    answerable = True
    scorable = False
    in_block = True  # may appear inside the department block
    part_word = ""  # a type answered in parts (matrix rows, ranked items, sub-fields): what one part is called

    # ---- schema
    def properties(self) -> dict:
        props = {
            "type": {"const": self.name},
            "key": {"type": "string", "pattern": KEY_PATTERN},
            "label": local_text_schema(),
            "help": local_text_schema(),
            "show_if": {"type": "string"},
            "source_name": SOURCE_NAME,
        }
        if self.answerable:
            props.update(required={"type": "boolean"}, required_if={"type": "string"})
        if self.scorable:
            props.update(
                scored={"type": "boolean"},
                weight={"type": "number", "minimum": 0},
                dimension={"type": "string", "pattern": KEY_PATTERN},
            )
        return props

    def required_properties(self) -> list[str]:
        return ["type", "key", "label"]

    def schema(self) -> dict:
        """The JSON Schema fragment of one question of this type."""
        return {
            "type": "object",
            "properties": self.properties(),
            "required": self.required_properties(),
            "additionalProperties": False,
        }

    # ---- normalisation
    def normalize(self, q: dict) -> dict:
        """Fill in defaults so that equal questionnaires compare equal."""
        if self.answerable:
            q.setdefault("required", False)
        if self.scorable:
            q.setdefault("scored", False)
            q.setdefault("weight", 1)
        return q

    # ---- answers
    def slots(self, q: dict) -> list[Slot]:
        """The answers this question holds (none for a section)."""
        return [Slot(q, q["key"])] if self.answerable else []

    def parse(self, q: dict, slot: Slot, raw: Any) -> Any:
        """Turn a submitted value into the normalised value, None when unanswered; InvalidAnswer if bad."""
        return None

    def score(self, q: dict, slot: Slot, value: Any) -> float | None:
        """The score of an answer, None when unscored or missing (not familiar)."""
        return None

    def slot_weight(self, q: dict, slot: Slot) -> float:
        """The weight of one answer in its department score."""
        return float(q.get("weight", 1))

    def slot_label(self, q: dict, slot: Slot) -> dict:
        """The label shown next to one answer's input."""
        return q.get("label", {})

    def parts(self, q: dict) -> list[str]:
        """The keys of the parts a condition may name as {key.part} (matrix rows, ranked items, sub-fields)."""
        return [slot.row for slot in self.slots(q) if slot.row is not None]

    def settle(self, q: dict, values: dict[str, Any]) -> dict[str, InvalidAnswer]:
        """Checks across the answers of one question once each is parsed (``values``: answer key -> value, the
        valid ones). May drop values in place (set them to None); returns the problems by answer key."""
        return {}


class SectionType(QuestionType):
    name = "section"
    answerable = False
    in_block = False

    def properties(self) -> dict:
        props = super().properties()
        del props["help"]
        props["description"] = local_text_schema()
        return props


class NoteType(QuestionType):
    """Text shown among the questions (an instruction, an explanation): nothing to answer."""

    name = "note"
    answerable = False


# ---------------------------------------------------------------- choice-based types

def option_schema(value_schema: dict, score_required: bool) -> dict:
    return {
        "type": "object",
        "properties": {"value": value_schema, "label": local_text_schema(), "score": {"type": "number"},
                       "source_value": SOURCE_NAME},
        "required": ["value", "label", "score"] if score_required else ["value", "label"],
        "additionalProperties": False,
    }


RATING_OPTION = option_schema({"type": "integer", "minimum": -1000, "maximum": 1000}, True)


class ScaleMixin:
    """Shared by rating and matrix: an integer scale with scores and an optional 不了解 option."""

    def scale(self, q: dict) -> list[dict]:
        return q.get("options") or DEFAULT_SCALE

    def scale_properties(self) -> dict:
        return {
            "options": {"type": "array", "items": RATING_OPTION, "minItems": 2, "maxItems": 20},
            "not_familiar": {"type": "boolean"},
            "not_familiar_label": local_text_schema(),
            # How a phone shows the scale: "row" (default), the levels side by side with 不了解 set apart,
            # or "list", one full-width option per line (for long option labels).
            "layout": {"enum": ["row", "list"]},
        }

    def normalize_scale(self, q: dict) -> None:
        q.setdefault("options", copy.deepcopy(DEFAULT_SCALE))
        q.setdefault("not_familiar", False)
        if q["not_familiar"]:
            q.setdefault("not_familiar_label", dict(NOT_FAMILIAR_LABEL))
        else:
            q.pop("not_familiar_label", None)

    def parse_scale(self, q: dict, raw: Any) -> Any:
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if q.get("not_familiar") and raw == NOT_FAMILIAR:
            return NOT_FAMILIAR
        values = [o["value"] for o in self.scale(q)]
        try:
            value = int(raw) if not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            value = None
        if value is None or value not in values or (isinstance(raw, float) and raw != value):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        return value

    def score_scale(self, q: dict, value: Any) -> float | None:
        if not q.get("scored") or value is None or value == NOT_FAMILIAR:
            return None
        for option in self.scale(q):
            if option["value"] == value:
                return float(option["score"])
        return None

    def scale_choices(self, q: dict, locale: str) -> list[tuple[str, str]]:
        """The (value, label) pairs of the scale, 不了解 last when the question offers it."""
        choices = [(str(o["value"]), text_of(o["label"], locale)) for o in self.scale(q)]
        if q.get("not_familiar"):
            label = text_of(q.get("not_familiar_label") or NOT_FAMILIAR_LABEL, locale)
            choices.append((NOT_FAMILIAR, label))
        return choices


class RatingType(ScaleMixin, QuestionType):
    name = "rating"
    scorable = True

    def properties(self) -> dict:
        return {**super().properties(), **self.scale_properties()}

    def normalize(self, q):
        super().normalize(q)
        self.normalize_scale(q)
        return q

    def parse(self, q, slot, raw):
        return self.parse_scale(q, raw)

    def score(self, q, slot, value):
        return self.score_scale(q, value)


class MatrixType(ScaleMixin, QuestionType):
    name = "matrix"
    scorable = True
    part_word = "row"

    def properties(self) -> dict:
        row = {
            "type": "object",
            "properties": {
                "key": {"type": "string", "pattern": KEY_PATTERN},
                "label": local_text_schema(),
                "weight": {"type": "number", "minimum": 0},
                "source_name": SOURCE_NAME,
            },
            "required": ["key", "label"],
            "additionalProperties": False,
        }
        rows = {"type": "array", "items": row, "minItems": 1, "maxItems": 50}
        return {**super().properties(), **self.scale_properties(), "rows": rows}

    def required_properties(self):
        return super().required_properties() + ["rows"]

    def normalize(self, q):
        super().normalize(q)
        self.normalize_scale(q)
        return q

    def slots(self, q):
        return [Slot(q, f"{q['key']}.{row['key']}", row["key"]) for row in q.get("rows", [])]

    def _row(self, q, slot):
        return next(r for r in q["rows"] if r["key"] == slot.row)

    def parse(self, q, slot, raw):
        return self.parse_scale(q, raw)

    def score(self, q, slot, value):
        return self.score_scale(q, value)

    def slot_weight(self, q, slot):
        # A row's own weight wins; otherwise each row carries the matrix's weight.
        row = self._row(q, slot)
        return float(row["weight"]) if "weight" in row else float(q.get("weight", 1))

    def slot_label(self, q, slot):
        return self._row(q, slot)["label"]


class ChoiceMixin:
    max_options = 200
    offers_other = False  # may end with an "other, please specify" option (``other: true``)

    def choice_properties(self) -> dict:
        option = option_schema({"type": "string", "pattern": OPTION_VALUE_PATTERN}, False)
        props = {"options": {"type": "array", "items": option, "minItems": 1, "maxItems": self.max_options}}
        if self.offers_other:
            props["other"] = {"type": "boolean"}
        return props

    def required_properties(self):
        return super().required_properties() + ["options"]

    def option_values(self, q):
        values = [o["value"] for o in q.get("options", [])]
        return values + [OTHER] if q.get("other") else values

    def option_score(self, q, value):
        for option in q.get("options", []):
            if option["value"] == value:
                return float(option["score"]) if "score" in option else None
        return None

    def choices(self, q, locale) -> list[tuple[str, str]]:
        """The (value, label) pairs of the options ("other" last when offered)."""
        pairs = [(o["value"], text_of(o["label"], locale)) for o in q.get("options", [])]
        return pairs + [(OTHER, text_of(OTHER_LABEL, locale))] if q.get("other") else pairs

    # ---- "other, please specify": a second answer ``<key>.other`` holds the text
    def slots(self, q):
        own = [Slot(q, q["key"])]
        return own + [Slot(q, f"{q['key']}.{OTHER}", OTHER)] if q.get("other") else own

    def parse_other(self, raw: Any) -> str | None:
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if not isinstance(raw, str):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        value = raw.strip()
        if len(value) > OTHER_MAX_LENGTH:
            raise InvalidAnswer(MSG_TOO_LONG, max=OTHER_MAX_LENGTH)
        return value

    def settle(self, q, values):
        if not q.get("other"):
            return {}
        picked = values.get(q["key"])
        chose_other = picked == OTHER or (isinstance(picked, list) and OTHER in picked)
        text_key = f"{q['key']}.{OTHER}"
        if not chose_other:
            values[text_key] = None  # a text typed before the choice changed is not an answer
            return {}
        return {} if values.get(text_key) else {text_key: InvalidAnswer(MSG_SPECIFY_OTHER)}

    def slot_label(self, q, slot):
        return OTHER_TEXT_LABEL if slot.row == OTHER else q.get("label", {})

    def slot_weight(self, q, slot):
        # The text of "other" is no scored answer of its own (an item of weight 0 is no scored item).
        return 0.0 if slot.row == OTHER else float(q.get("weight", 1))


class SingleType(ChoiceMixin, QuestionType):
    name = "single"
    scorable = True
    offers_other = True

    def properties(self):
        return {**super().properties(), **self.choice_properties()}

    def parse(self, q, slot, raw):
        if slot.row == OTHER:
            return self.parse_other(raw)
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if not isinstance(raw, str) or raw not in self.option_values(q):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        return raw

    def score(self, q, slot, value):
        # Options without a score (and "other") count as missing, like 不了解.
        if not q.get("scored") or value is None or slot.row == OTHER:
            return None
        return self.option_score(q, value)


class DropdownType(SingleType):
    """A long single choice shown as one drop-down list (a <select>)."""

    name = "dropdown"
    max_options = 1000


class MultipleType(ChoiceMixin, QuestionType):
    name = "multiple"
    scorable = True
    offers_other = True

    def properties(self):
        picks = {"type": "integer", "minimum": 0, "maximum": 200}
        return {**super().properties(), **self.choice_properties(), "min_picks": picks, "max_picks": picks}

    def parse(self, q, slot, raw):
        if slot.row == OTHER:
            return self.parse_other(raw)
        if _empty(raw):
            return None
        items = [raw] if isinstance(raw, str) else list(raw)
        allowed = self.option_values(q)
        picked: list[str] = []
        for item in items:
            if not isinstance(item, str) or item not in allowed:
                raise InvalidAnswer(MSG_INVALID_CHOICE)
            if item not in picked:
                picked.append(item)
        # Keep the document's option order, whatever order the browser sent.
        picked.sort(key=allowed.index)
        if "min_picks" in q and len(picked) < q["min_picks"]:
            raise InvalidAnswer(MSG_TOO_FEW, min=q["min_picks"])
        if "max_picks" in q and len(picked) > q["max_picks"]:
            raise InvalidAnswer(MSG_TOO_MANY, max=q["max_picks"])
        return picked

    def score(self, q, slot, value):
        # The mean of the picked options' scores; options without a score (and "other") are ignored.
        if not q.get("scored") or not value or slot.row == OTHER:
            return None
        scores = [s for s in (self.option_score(q, v) for v in value) if s is not None]
        return sum(scores) / len(scores) if scores else None


class YesNoType(QuestionType):
    """Yes or no; the answer is "yes" or "no". Scored only when the designer gives the answers scores."""

    name = "yes_no"
    scorable = True

    def properties(self):
        return {**super().properties(), "yes_label": local_text_schema(), "no_label": local_text_schema(),
                "yes_score": {"type": "number"}, "no_score": {"type": "number"}}

    def normalize(self, q):
        super().normalize(q)
        q.setdefault("yes_label", dict(YES_LABEL))
        q.setdefault("no_label", dict(NO_LABEL))
        return q

    def option_values(self, q):
        return [YES, NO]

    def choices(self, q, locale) -> list[tuple[str, str]]:
        """(value, label): yes first."""
        return [(YES, text_of(q.get("yes_label") or YES_LABEL, locale)),
                (NO, text_of(q.get("no_label") or NO_LABEL, locale))]

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if raw not in (YES, NO):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        return raw

    def score(self, q, slot, value):
        if not q.get("scored") or value is None or f"{value}_score" not in q:
            return None
        return float(q[f"{value}_score"])


class RankingType(QuestionType):
    """Order a short list: one answer per item, its rank (1 = first); every item ranked, each rank once."""

    name = "ranking"
    part_word = "item"

    def properties(self):
        option = {"type": "object", "properties": {"value": {"type": "string", "pattern": KEY_PATTERN},
                                                   "label": local_text_schema(), "source_value": SOURCE_NAME},
                  "required": ["value", "label"], "additionalProperties": False}
        return {**super().properties(), "options": {"type": "array", "items": option, "minItems": 2, "maxItems": 10}}

    def required_properties(self):
        return super().required_properties() + ["options"]

    def option_values(self, q):
        return [o["value"] for o in q.get("options", [])]

    def slots(self, q):
        return [Slot(q, f"{q['key']}.{o['value']}", o["value"]) for o in q.get("options", [])]

    def slot_label(self, q, slot):
        return next(o["label"] for o in q["options"] if o["value"] == slot.row)

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if isinstance(raw, bool) or (isinstance(raw, str) and not _RANK.fullmatch(raw.strip())):
            raise InvalidAnswer(MSG_INVALID_CHOICE)  # plain digits only: int() would also take "１" or "1_0"
        try:
            rank = int(raw)
        except (TypeError, ValueError):
            raise InvalidAnswer(MSG_INVALID_CHOICE) from None
        if not 1 <= rank <= len(q.get("options", [])) or (isinstance(raw, float) and raw != rank):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        return rank

    def settle(self, q, values):
        ranks = {key: rank for key, rank in values.items() if rank is not None}
        if not ranks:
            return {}
        problems = {key: InvalidAnswer(MSG_RANK_EVERY) for key, rank in values.items() if rank is None}
        seen: dict[int, str] = {}
        for key, rank in ranks.items():
            if rank in seen:
                problems[key] = problems[seen[rank]] = InvalidAnswer(MSG_RANK_TWICE)
            seen.setdefault(rank, key)
        return problems


_RANK = re.compile(r"[0-9]{1,2}")


class DateType(QuestionType):
    """A calendar date (the browser's own date input), answered as YYYY-MM-DD, between optional min and max."""

    name = "date"

    def properties(self):
        day = {"type": "string", "pattern": DATE_PATTERN}
        return {**super().properties(), "min": day, "max": day}

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if isinstance(raw, datetime.date):
            raw = raw.isoformat()
        text = raw.strip() if isinstance(raw, str) else ""
        if not re.fullmatch(DATE_PATTERN, text) or parse_date(text) is None:
            raise InvalidAnswer(MSG_NOT_A_DATE)
        if "min" in q and text < q["min"]:
            raise InvalidAnswer(MSG_TOO_EARLY, min=q["min"])
        if "max" in q and text > q["max"]:
            raise InvalidAnswer(MSG_TOO_LATE, max=q["max"])
        return text


def parse_date(text: str) -> datetime.date | None:
    """The date of a YYYY-MM-DD text, None if there is no such day."""
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


class MultiTextType(QuestionType):
    """Several short texts under one question, each a named sub-field (name, phone, address …)."""

    name = "multi_text"
    part_word = "field"

    def properties(self):
        sub = {"type": "object", "properties": {"key": {"type": "string", "pattern": KEY_PATTERN},
                                                "label": local_text_schema()},
               "required": ["key", "label"], "additionalProperties": False}
        return {**super().properties(), "fields": {"type": "array", "items": sub, "minItems": 1, "maxItems": 20},
                "max_length": {"type": "integer", "minimum": 1, "maximum": 1000}}

    def required_properties(self):
        return super().required_properties() + ["fields"]

    def normalize(self, q):
        super().normalize(q)
        q.setdefault("max_length", TEXT_MAX_LENGTH["text"])
        return q

    def slots(self, q):
        return [Slot(q, f"{q['key']}.{f['key']}", f["key"]) for f in q.get("fields", [])]

    def slot_label(self, q, slot):
        return next(f["label"] for f in q["fields"] if f["key"] == slot.row)

    def parse(self, q, slot, raw):
        return REGISTRY["text"].parse(q, slot, raw)


class TextType(QuestionType):
    name = "text"
    limit = 1000

    def properties(self):
        return {**super().properties(), "max_length": {"type": "integer", "minimum": 1, "maximum": self.limit}}

    def normalize(self, q):
        super().normalize(q)
        q.setdefault("max_length", TEXT_MAX_LENGTH[self.name])
        return q

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        if not isinstance(raw, str):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        value = raw.strip()
        limit = q.get("max_length", TEXT_MAX_LENGTH[self.name])
        if len(value) > limit:
            raise InvalidAnswer(MSG_TOO_LONG, max=limit)
        return value


class TextareaType(TextType):
    name = "textarea"
    limit = 20000


class NumberType(QuestionType):
    name = "number"

    def properties(self):
        return {**super().properties(), "integer": {"type": "boolean"},
                "min": {"type": "number"}, "max": {"type": "number"}}

    def normalize(self, q):
        super().normalize(q)
        q.setdefault("integer", True)
        return q

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw):
            return None
        integer = q.get("integer", True)
        if isinstance(raw, bool):
            raise InvalidAnswer(MSG_NOT_A_NUMBER)
        if isinstance(raw, (int, float)):
            value = raw
        else:
            # Plain decimal notation only: float() would also take "1_000", "1e3" and "nan".
            text = str(raw).strip()
            if not _DECIMAL.fullmatch(text):
                raise InvalidAnswer(MSG_NOT_A_NUMBER)
            value = float(text)
        if not math.isfinite(value):
            raise InvalidAnswer(MSG_NOT_A_NUMBER)
        if integer:
            if value != int(value):
                raise InvalidAnswer(MSG_NOT_AN_INTEGER)
            value = int(value)
        else:
            value = float(value)
        if "min" in q and value < q["min"]:
            raise InvalidAnswer(MSG_TOO_SMALL, min=_fmt(q["min"]))
        if "max" in q and value > q["max"]:
            raise InvalidAnswer(MSG_TOO_LARGE, max=_fmt(q["max"]))
        return value


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


class NpsType(QuestionType):
    name = "nps"
    scorable = True

    def parse(self, q, slot, raw):
        raw = _single_raw(raw)
        if _empty(raw) or isinstance(raw, bool):
            return None if _empty(raw) else self._bad()
        try:
            value = int(raw)
        except (TypeError, ValueError):
            return self._bad()
        if not 0 <= value <= 10 or (isinstance(raw, float) and raw != value):
            return self._bad()
        return value

    def _bad(self):
        raise InvalidAnswer(MSG_INVALID_CHOICE)

    def score(self, q, slot, value):
        # 0..10 mapped linearly onto the 0..100 range of the other scores.
        return float(value * 10) if q.get("scored") and value is not None else None


class DepartmentBlockType(QuestionType):
    """The 'which departments have you dealt with?' picker and the questions repeated per department."""

    name = "department_block"
    in_block = False

    def properties(self):
        props = QuestionType.properties(self)
        picks = {"type": "integer", "minimum": 0, "maximum": 1000}
        props.update(min_picks=picks, max_picks=picks, items={"type": "array", "minItems": 1})
        del props["required"], props["required_if"]
        return props

    def required_properties(self):
        return super().required_properties() + ["items"]

    def normalize(self, q):
        q.setdefault("min_picks", 0)
        return q

    def slots(self, q):
        return [Slot(q, q["key"])]

    def parse(self, q, slot, raw):
        """Departments are validated by the form against the round's list; here only the shape."""
        if _empty(raw):
            return None
        items = [raw] if isinstance(raw, str) else list(raw)
        if not all(isinstance(i, str) for i in items):
            raise InvalidAnswer(MSG_INVALID_CHOICE)
        return list(dict.fromkeys(items))


REGISTRY: dict[str, QuestionType] = {
    t.name: t
    for t in (
        SectionType(), RatingType(), SingleType(), MultipleType(), TextType(), TextareaType(),
        NumberType(), NpsType(), MatrixType(), DepartmentBlockType(),
        NoteType(), DateType(), DropdownType(), YesNoType(), RankingType(), MultiTextType(),
    )
}
QUESTION_TYPES = tuple(REGISTRY)
BLOCK_TYPES = tuple(name for name, t in REGISTRY.items() if t.in_block)


def type_of(q: dict) -> QuestionType:
    """The registered type of a question (KeyError if unknown)."""
    return REGISTRY[q["type"]]
