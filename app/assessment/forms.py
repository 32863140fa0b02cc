"""Forms of the assessment pages: scoring, corrections, and a new scheme version."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.platform.forms import NoControlCharacters


class ScoreForm(FlaskForm):
    scheme_id = SelectField(_l("Assessment scheme"), coerce=int, validators=[DataRequired()])


class CorrectForm(FlaskForm):
    scheme_id = SelectField(_l("Assessment scheme"), coerce=int, validators=[DataRequired()])
    reason = TextAreaField(_l("Reason for the correction"),
                           validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=500)])


class SchemeForm(FlaskForm):
    """A new scheme version; one policy-weight field per respondent category is attached by ``scheme_form``."""

    name = StringField(_l("Scheme name"), default="default",
                       validators=[DataRequired(), NoControlCharacters(), Length(max=100)])
    survey = FloatField(_l("Survey channel weight"), default=1.0, validators=[DataRequired(), NumberRange(0.0001, 100)])
    realtime = FloatField(_l("Real-time ratings channel weight"), default=0.0,
                          validators=[Optional(), NumberRange(0, 100)])
    complaints = FloatField(_l("Complaint deductions weight (points × weight are subtracted)"), default=0.0,
                            validators=[Optional(), NumberRange(0, 100)])
    excellent = FloatField(_l("优秀 from"), default=90, validators=[DataRequired(), NumberRange(0, 100)])
    good = FloatField(_l("良好 from"), default=80, validators=[DataRequired(), NumberRange(0, 100)])
    fair = FloatField(_l("一般 from"), default=60, validators=[DataRequired(), NumberRange(0, 100)])
    min_raters = IntegerField(_l("Minimum raters to be ranked"), default=30,
                              validators=[DataRequired(), NumberRange(1, 100_000)])
    rank_draws = IntegerField(_l("Rank-interval draws"), default=1000,
                              validators=[DataRequired(), NumberRange(100, 100_000)])
    rank_seed = IntegerField(_l("Rank-interval seed"), default=20261127,
                             validators=[Optional(), NumberRange(0, 2**31 - 1)])
    comment_release = SelectField(_l("Comments reach liaisons"), choices=[
        SelectChoice("manual", _l("After an admin releases them")),
        SelectChoice("with_publication", _l("When the round is published")),
    ])
    note = TextAreaField(_l("Note"), validators=[Optional(), NoControlCharacters(), Length(max=2000)])


POLICY_PREFIX = "policy__"


def scheme_form(categories, base=None, **kwargs) -> SchemeForm:
    """The scheme form with a policy-weight field per respondent category (``categories``: (key, label))."""

    class _Form(SchemeForm):
        pass

    defaults = (base.policy_weights if base is not None else {}) or {}
    for key, label in categories:
        setattr(_Form, POLICY_PREFIX + key, FloatField(
            label, default=defaults.get(key, 0.0), validators=[Optional(), NumberRange(0, 100)]))
    return _Form(**kwargs)
