"""Forms of the forum: the organisers' meeting, invitations, draw and problem steps; the enterprise's answer,
problems, rating and reopening."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.casework.forms import SATISFACTION_CHOICES
from app.platform.dates import FUTURE_DAYS, DateWithin
from app.platform.forms import ConfirmForm, NoControlCharacters

CHAIR_CHOICES = [SelectChoice("secretary", _l("Party secretary")), SelectChoice("mayor", _l("Mayor"))]
CATEGORY_CHOICES = [
    SelectChoice("financing", _l("Financing")), SelectChoice("land", _l("Land use")),
    SelectChoice("labour", _l("Labour")), SelectChoice("approval", _l("Approvals")),
    SelectChoice("policy", _l("Policy delivery")), SelectChoice("inspection", _l("Law-enforcement inspections")),
    SelectChoice("infrastructure", _l("Infrastructure")), SelectChoice("other", _l("Other problem")),
]


class Checkboxes(SelectMultipleField):
    """Several choices as check boxes."""

    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired(), DateWithin(future_days=FUTURE_DAYS)])
    venue = StringField(_l("Venue"), validators=[DataRequired(), NoControlCharacters(), Length(max=200)])
    theme = StringField(_l("Theme"), validators=[DataRequired(), NoControlCharacters(), Length(max=200)])
    chair = RadioField(_l("Chair"), choices=CHAIR_CHOICES, validators=[InputRequired()],
                       description=_l("The party secretary and the mayor take turns: the other one than at the "
                                      "previous meeting is proposed."))
    draw_size = IntegerField(_l("Enterprises to draw at random"), default=10,
                             validators=[InputRequired(), NumberRange(min=0, max=500)])
    exclude_last = IntegerField(_l("Leave out the guests of the last meetings"), default=2,
                                validators=[InputRequired(), NumberRange(min=0, max=24)],
                                description=_l("Enterprises invited to this many previous meetings are not drawn."))


class ChooseForm(FlaskForm):
    respondents = Checkboxes(_l("Enterprises"), coerce=int,
                             validators=[DataRequired(message=_l("Tick the enterprises to invite."))])


class DrawForm(ConfirmForm):
    seed = StringField(_l("Seed"), validators=[Optional(), NoControlCharacters(), Length(max=200)],
                       description=_l("A number announced in public after the commitment (a lottery draw), or "
                                      "empty to generate one."))


class AttendanceForm(FlaskForm):
    attended = Checkboxes(_l("Came to the meeting"), coerce=int, validators=[Optional()])


class ProblemForm(FlaskForm):
    category = RadioField(_l("Category"), choices=CATEGORY_CHOICES,
                          validators=[InputRequired(message=_l("Choose the category."))])
    description = TextAreaField(_l("The problem"),
                                validators=[DataRequired(), NoControlCharacters(), Length(min=10, max=5000)],
                                description=_l("What happened, since when, which department. At least 10 "
                                               "characters."))
    request = TextAreaField(_l("What you ask for"),
                            validators=[Optional(), NoControlCharacters(), Length(max=2000)])
    identity_shared = BooleanField(_l("The departments handling it may see that it is our enterprise"))
    named_in_ledger = BooleanField(_l("Our enterprise may be named in the public ledger"))


class RecordProblemForm(ProblemForm):
    """A problem raised at the meeting, recorded by the organisers for one invited enterprise."""

    invitation_id = SelectField(_l("Enterprise"), coerce=int, validators=[InputRequired()])


class AssignForm(FlaskForm):
    lead_id = SelectField(_l("Lead department"), coerce=int, validators=[InputRequired()])
    co_ids = Checkboxes(_l("Co-departments (optional)"), coerce=int, validators=[Optional()])
    workdays = IntegerField(_l("Deadline in working days"), validators=[InputRequired(), NumberRange(min=1, max=250)])
    instructions = TextAreaField(_l("Instructions to the departments"),
                                 validators=[Optional(), NoControlCharacters(), Length(max=4000)])


class OnSpotForm(FlaskForm):
    department_id = SelectField(_l("Department that answered"), coerce=int, validators=[InputRequired()])
    answer = TextAreaField(_l("The answer given at the meeting"),
                           validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=5000)],
                           description=_l("The enterprise reads it and confirms whether it is satisfied."))


class MoveForm(FlaskForm):
    """Reassign a pending assignment to another department, with the reason."""

    department_id = SelectField(_l("New department"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=500)])


class RsvpForm(FlaskForm):
    attending = RadioField(_l("Will you attend?"), choices=[SelectChoice("yes", _l("Yes, we will attend")),
                                                            SelectChoice("no", _l("No, we cannot attend"))],
                           validators=[InputRequired(message=_l("Choose whether you will attend."))])


class RateForm(FlaskForm):
    satisfaction = RadioField(_l("Are you satisfied with the answer?"), choices=SATISFACTION_CHOICES[:3],
                              validators=[InputRequired(message=_l("Choose how satisfied you are."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), NoControlCharacters(), Length(max=500)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why the problem is not solved"),
                           validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=2000)])


