"""Forms of the real-time rating page and of its admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp

from app.platform.forms import NoControlCharacters

# The national 好差评 scale, best first as the standard forms show it.
LEVEL_CHOICES = [
    SelectChoice(5, _l("Very satisfied")),
    SelectChoice(4, _l("Satisfied")),
    SelectChoice(3, _l("Fair")),
    SelectChoice(2, _l("Dissatisfied")),
    SelectChoice(1, _l("Very dissatisfied")),
]


def _level(label, required=False):
    return RadioField(label, choices=LEVEL_CHOICES, coerce=int,
                      validators=[InputRequired(message=_l("Choose a level."))] if required else [Optional()])


class RatingForm(FlaskForm):
    overall = _level(_l("Overall satisfaction"), required=True)
    efficiency = _level(_l("Service efficiency"))
    competence = _level(_l("Service competence"))
    attitude = _level(_l("Service attitude"))
    service_item = SelectField(_l("What did you come for? (optional)"), choices=[], validate_choice=False,
                               validators=[Optional(), Length(max=200)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), NoControlCharacters(), Length(max=2000)],
                            description=_l("Optional; required if you are dissatisfied, so that the department "
                                           "can put it right."))
    callback_phone = StringField(_l("Mobile number for a call back (optional)"),
                                 validators=[Optional(), Length(max=32)],
                                 description=_l("Only if you are dissatisfied and want the department to contact "
                                                "you. Only the staff following up your rating see it."),
                                 render_kw={"inputmode": "tel", "autocomplete": "tel"})
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    code = StringField(_l("Verification code"), validators=[Optional(), Length(max=10)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})


class SendCodeForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})


KIND_CHOICES = [SelectChoice("window", _l("Service window")), SelectChoice("hall", _l("Service hall")),
                SelectChoice("hotline", _l("Hotline"))]


class ServicePointForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), NoControlCharacters(), Length(max=32), Regexp(
        r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only."))])
    name = StringField(_l("Name"), validators=[DataRequired(), NoControlCharacters(), Length(max=100)],
                       description=_l("As the public knows it, e.g. 市民中心二楼 12 号窗口."))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    location = StringField(_l("Location"), validators=[Optional(), NoControlCharacters(), Length(max=200)])
    district = StringField(_l("District"), validators=[Optional(), NoControlCharacters(), Length(max=50)])
    service_items = TextAreaField(_l("Service items"), validators=[Optional(), NoControlCharacters(), Length(max=4000)],
                                  description=_l("One per line; raters may pick one."))
    require_sms_code = BooleanField(_l("Raters confirm their mobile number with a text-message code"))
    active = BooleanField(_l("Active"), default=True)


class ExcludeForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=200)])


YES_NO = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


class FollowUpForm(FlaskForm):
    action_taken = TextAreaField(_l("What the department did"),
                                 validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=4000)])
    contacted = RadioField(_l("Was the person contacted?"), choices=YES_NO, validators=[InputRequired()])
    rectified = RadioField(_l("Was the problem put right?"), choices=YES_NO, validators=[InputRequired()])
