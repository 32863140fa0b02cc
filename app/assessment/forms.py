"""Forms of the assessment pages: scoring, corrections, and a new scheme version."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.assessment import channels as registry
from app.platform.forms import ConfirmForm, NoControlCharacters


class ScoreForm(ConfirmForm):
    """Scoring ends the round's answering for good: confirmed (``ConfirmForm``)."""

    scheme_id = SelectField(_l("Assessment scheme"), coerce=int, validators=[DataRequired()])


class CorrectForm(FlaskForm):
    scheme_id = SelectField(_l("Assessment scheme"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=500)])


class SchemeForm(FlaskForm):
    """A new scheme version; ``scheme_form`` gives it its fields."""


POLICY_PREFIX = "policy__"


def channel_weight_field(channel: registry.Channel) -> FloatField:
    """The weight field of a scoring channel: the survey's is required and positive, the others' may be 0."""
    if channel.base:
        return FloatField(channel.label, default=1.0, validators=[DataRequired(), NumberRange(0.0001, 100)])
    return FloatField(channel.label, default=0.0, validators=[Optional(), NumberRange(0, 100)])


def _scheme_fields(categories, defaults: dict) -> dict:
    """The scheme form's fields, made in the order the page lists them and its errors are flashed in (WTForms orders
    fields by creation): the name, a weight per registered channel, the grading rules, a weight per category."""
    fields = {"name": StringField(_l("Scheme name"), default="default",
                                  validators=[DataRequired(), NoControlCharacters(), Length(max=100)])}
    fields.update((channel.key, channel_weight_field(channel)) for channel in registry.channels())
    fields.update(
        excellent=FloatField(_l("优秀 from"), default=90, validators=[DataRequired(), NumberRange(0, 100)]),
        good=FloatField(_l("良好 from"), default=80, validators=[DataRequired(), NumberRange(0, 100)]),
        fair=FloatField(_l("一般 from"), default=60, validators=[DataRequired(), NumberRange(0, 100)]),
        min_raters=IntegerField(_l("Minimum raters to be ranked"), default=30,
                                validators=[DataRequired(), NumberRange(1, 100_000)]),
        rank_draws=IntegerField(_l("Rank-interval draws"), default=1000,
                                validators=[DataRequired(), NumberRange(100, 100_000)]),
        rank_seed=IntegerField(_l("Rank-interval seed"), default=20261127,
                               validators=[Optional(), NumberRange(0, 2**31 - 1)]),
        comment_release=SelectField(_l("Comments reach liaisons"), choices=[
            SelectChoice("manual", _l("After an admin releases them")),
            SelectChoice("with_publication", _l("When the round is published")),
        ]),
        note=TextAreaField(_l("Note"), validators=[Optional(), NoControlCharacters(), Length(max=2000)]),
    )
    for key, label in categories:
        fields[POLICY_PREFIX + key] = FloatField(label, default=defaults.get(key, 0.0),
                                                 validators=[Optional(), NumberRange(0, 100)])
    return fields


def scheme_form(categories, base=None, **kwargs) -> SchemeForm:
    """The scheme form with a weight field per scoring channel and a policy-weight field per respondent category
    (``categories``: (key, label)); ``base``, a scheme whose policy weights are the defaults."""

    class _Form(SchemeForm):
        pass

    defaults = (base.policy_weights if base is not None else {}) or {}
    for name, field in _scheme_fields(categories, defaults).items():
        setattr(_Form, name, field)
    return _Form(**kwargs)


def channel_weights(form: SchemeForm) -> dict[str, float]:
    """The channel weights the scheme form gives, by channel key (an empty weight is 0)."""
    return {channel.key: form[channel.key].data or 0 for channel in registry.channels()}


def policy_weights(form: SchemeForm) -> dict[str, float]:
    """The policy weights the scheme form gives, by respondent category (an empty weight is 0)."""
    return {f.name.removeprefix(POLICY_PREFIX): f.data or 0 for f in form if f.name.startswith(POLICY_PREFIX)}


def channel_fields(form: SchemeForm) -> list:
    """The channels' weight fields, in registration order (the page's "Channels" fieldset)."""
    return [form[channel.key] for channel in registry.channels()]


def policy_fields(form: SchemeForm) -> list:
    """The respondent categories' policy-weight fields."""
    return [f for f in form if f.name.startswith(POLICY_PREFIX)]
