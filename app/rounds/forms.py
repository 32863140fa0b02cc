"""Forms of the round and draw pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.platform.dates import FUTURE_DAYS, DateWithin
from app.platform.forms import NoControlCharacters


class CampaignForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(), NoControlCharacters(), Regexp(
        r"^\d{4}-\d{1,2}$", message=_l("The month must look like 2026-11."))], description=_l("e.g. 2026-11"))
    title = StringField(_l("Title"), validators=[DataRequired(), NoControlCharacters(), Length(max=100)])


ALLOCATION_METHODS = [
    SelectChoice("proportional", _l("Proportional to stratum size")),
    SelectChoice("neyman", _l("Neyman (size × standard deviation of the last scored round)")),
    SelectChoice("equal", _l("Equal per stratum")),
]
STRATIFICATIONS = [
    SelectChoice("category", _l("Category")),
    SelectChoice("category_district", _l("Category × district")),
]


def plan_label(field: str, value: str) -> str:
    """What a sample plan's method or strata read as (``field``: allocation_method or stratify_by)."""
    choices = {"allocation_method": ALLOCATION_METHODS, "stratify_by": STRATIFICATIONS}[field]
    return str(next((c.label for c in choices if c.value == value), value))


class PlanForm(FlaskForm):
    sample_size = IntegerField(_l("Sample size n"), validators=[DataRequired(), NumberRange(1, 1_000_000)])
    allocation_method = SelectField(_l("Allocation"), choices=ALLOCATION_METHODS)
    minimum_per_stratum = IntegerField(_l("Minimum per stratum"), default=0,
                                       validators=[Optional(), NumberRange(0, 100_000)])
    stratify_by = SelectField(_l("Strata"), choices=STRATIFICATIONS)
    exclusion_window = IntegerField(
        _l("Rest period (rounds)"), default=1, validators=[Optional(), NumberRange(0, 24)],
        description=_l("Members drawn in this many previous rounds are not eligible. 0 = no rest period."))


class SeedForm(FlaskForm):
    seed = StringField(_l("Seed"), validators=[Optional(), NoControlCharacters(), Length(max=200)], description=_l(
        "Type a value announced after the commitment, e.g. the day's public lottery number, "
        "or leave empty and generate one."))


class VoidForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=300)])


class RoundSetupForm(FlaskForm):
    questionnaire_version_id = SelectField(_l("Questionnaire version"), coerce=int)
    department_ids = SelectMultipleField(_l("Departments evaluated"), coerce=int,
                                         widget=widgets.ListWidget(prefix_label=False),
                                         option_widget=widgets.CheckboxInput())
    opens_on = DateField(_l("Opens on"), validators=[Optional(), DateWithin(future_days=FUTURE_DAYS)])
    closes_on = DateField(_l("Closes on"),
                          validators=[DataRequired(), DateWithin(future_days=FUTURE_DAYS, from_today=True)])
    link_mode = SelectField(_l("How the SMS reaches the survey"), choices=[
        SelectChoice("link", _l("Personal link …/s/${token}")),
        SelectChoice("code", _l("Fixed link …/s and a personal access code ${code}")),
    ])
    sms_template_code = StringField(_l("Approved template code"),
                                    validators=[Optional(), NoControlCharacters(), Length(max=64)],
                                    description=_l("As approved by the SMS provider, e.g. SMS_123456789."))
    sms_template_text = TextAreaField(_l("Invitation text"),
                                      validators=[DataRequired(), NoControlCharacters(), Length(max=500)],
                                      description=_l("Variables: ${name} ${month} ${deadline} and ${token} or ${code}. "
                                                     "Word it as a government service notice; end with 回复TD退订."))
    reminder_template_text = TextAreaField(_l("Reminder text"),
                                           validators=[Optional(), NoControlCharacters(), Length(max=500)])
    max_reminders = IntegerField(_l("Reminders at most"), default=2, validators=[Optional(), NumberRange(0, 5)])
    reminder_spacing_days = IntegerField(_l("Days between reminders"), default=3,
                                         validators=[Optional(), NumberRange(1, 30)])


class ExtendForm(FlaskForm):
    closes_on = DateField(_l("New closing date"),
                          validators=[DataRequired(), DateWithin(future_days=FUTURE_DAYS, from_today=True)])
