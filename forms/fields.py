"""How each question type becomes a WTForms field: one builder per type name, keyed like ``questionnaire.types``.

The questionnaire model stays free of WTForms; the factory (``forms.factory``) asks this registry for the
unbound field of each answer slot.
"""
from __future__ import annotations

from typing import Callable

from wtforms import (
    Field,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from questionnaire.i18n import N_
from questionnaire.types import OTHER, OTHER_MAX_LENGTH, TEXT_MAX_LENGTH, QuestionType, Slot, type_of

CHOOSE = N_("Please choose")  # the empty first line of a drop-down list

Builder = Callable[..., Field]
FIELD_BUILDERS: dict[str, Builder] = {}


def builds(*type_names: str):
    """Register the decorated function as the field builder of these question types."""
    def register(builder: Builder) -> Builder:
        for name in type_names:
            FIELD_BUILDERS[name] = builder
        return builder
    return register


def make_field(q: dict, slot: Slot, *, label: str, description: str, locale: str, validators: list,
               gettext: Callable[[str], str] = lambda message: message) -> Field:
    """The unbound WTForms field of one answer slot of question ``q``."""
    qtype = type_of(q)
    if slot.row == OTHER and q.get("other"):
        # The text of "other, please specify", whatever the choice question.
        return StringField(label, validators=validators, render_kw={"maxlength": OTHER_MAX_LENGTH})
    builder = FIELD_BUILDERS.get(qtype.name)
    if builder is None:
        raise NotImplementedError(f"no form field for question type {qtype.name!r}")
    return builder(qtype, q, label=label, description=description, locale=locale, validators=validators,
                   slot=slot, gettext=gettext)


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


@builds("rating", "matrix")
def _scale(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    # A matrix row's label is its own; the matrix's help is shown once above its rows.
    return RadioField(label, validators=validators, description=description if q["type"] == "rating" else "",
                      choices=_choices(qtype.scale_choices(q, locale)), validate_choice=False)


@builds("single", "yes_no")
def _single(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    return RadioField(label, validators=validators, description=description,
                      choices=_choices(qtype.choices(q, locale)), validate_choice=False)


@builds("multiple")
def _multiple(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    return SelectMultipleField(
        label, validators=validators, description=description, choices=_choices(qtype.choices(q, locale)),
        validate_choice=False, widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


@builds("text")
def _text(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    limit = q.get("max_length", TEXT_MAX_LENGTH[qtype.name])
    return StringField(label, validators=validators, description=description, render_kw={"maxlength": limit})


@builds("textarea")
def _textarea(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    limit = q.get("max_length", TEXT_MAX_LENGTH[qtype.name])
    return TextAreaField(label, validators=validators, description=description,
                         render_kw={"maxlength": limit, "rows": 4})


@builds("number")
def _number(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    integer = q.get("integer", True)
    widget = widgets.NumberInput(step="1" if integer else "any", min=q.get("min"), max=q.get("max"))
    return StringField(label, validators=validators, description=description, widget=widget,
                       render_kw={"inputmode": "numeric" if integer else "decimal"})


@builds("nps")
def _nps(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    return RadioField(label, validators=validators, description=description,
                      choices=[SelectChoice(str(i)) for i in range(11)], validate_choice=False)


@builds("dropdown")
def _dropdown(qtype: QuestionType, q, *, label, description, locale, validators, gettext, **_):
    # A plain <select>: a phone shows its own list picker, which scrolls and (on most phones) types ahead.
    return SelectField(label, validators=validators, description=description, validate_choice=False,
                       choices=[SelectChoice("", gettext(CHOOSE)), *_choices(qtype.choices(q, locale))])


@builds("date")
def _date(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    bounds = {name: q[name] for name in ("min", "max") if name in q}
    return StringField(label, validators=validators, description=description, widget=widgets.DateInput(),
                       render_kw=bounds)


@builds("ranking")
def _rank(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    # One small list of ranks per item: works without JavaScript, on any phone.
    ranks = [SelectChoice(str(n)) for n in range(1, len(q["options"]) + 1)]
    return SelectField(label, validators=validators, validate_choice=False,
                       choices=[SelectChoice("", "–"), *ranks], render_kw={"class": "rank"})


@builds("multi_text")
def _multi_text(qtype: QuestionType, q, *, label, description, locale, validators, **_):
    limit = q.get("max_length", TEXT_MAX_LENGTH["text"])
    return StringField(label, validators=validators, render_kw={"maxlength": limit})
