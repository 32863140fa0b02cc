"""Forms of the complaints centre: the public intake and tracking, and the back office."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.casework.forms import SATISFACTION_CHOICES, ClosingForm, NoteForm, ReasonForm  # noqa: F401 (the centre's)
from app.platform.dates import FUTURE_DAYS, DateWithin
from app.platform.forms import NoControlCharacters

CATEGORY_CHOICES = [
    SelectChoice("discipline", _l("Discipline inspection supervision")),
    SelectChoice("procuratorial", _l("Procuratorial legal supervision")),
    SelectChoice("enforcement", _l("Administrative law-enforcement supervision")),
    SelectChoice("enterprise_policy", _l("Enterprise-policy supervision")),
]

class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as check boxes (easier on a phone than a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ComplaintForm(FlaskForm):
    category = RadioField(_l("Kind of complaint"), choices=CATEGORY_CHOICES,
                          validators=[InputRequired(message=_l("Choose the kind of complaint."))])
    departments = CheckboxesField(_l("Department(s) concerned"), coerce=int,
                                  validators=[DataRequired(message=_l("Choose the department(s) concerned."))])
    subject = StringField(_l("Subject"), validators=[DataRequired(), NoControlCharacters(), Length(max=200)])
    description = TextAreaField(_l("What happened"),
                                validators=[DataRequired(), NoControlCharacters(), Length(min=20, max=10000)],
                                description=_l("When and where, who was involved, what you asked for and what "
                                               "happened. At least 20 characters."))
    district = StringField(_l("District"), validators=[Optional(), NoControlCharacters(), Length(max=50)])
    occurred_on = DateField(_l("Date it happened"), validators=[Optional(), DateWithin()])  # not in the future
    attachments = MultipleFileField(_l("Attachments (optional)"),
                                    description=_l("PDF, PNG or JPEG, up to 5 files of 5 MB each."))
    name = StringField(_l("Your name"), validators=[Optional(), NoControlCharacters(), Length(max=100)])
    organisation = StringField(_l("Enterprise or organisation"),
                               validators=[Optional(), NoControlCharacters(), Length(max=200)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), NoControlCharacters(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    contact = StringField(_l("Other contact details"), validators=[Optional(), NoControlCharacters(), Length(max=200)])


class TrackForm(FlaskForm):
    tracking_number = StringField(_l("Tracking number"), validators=[DataRequired(), Length(max=20)],
                                  render_kw={"autocapitalize": "characters", "spellcheck": "false"})
    code = StringField(_l("Query code"), validators=[DataRequired(), Length(max=20)],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false",
                                  "autocomplete": "off"})


class AssignForm(FlaskForm):
    departments = CheckboxesField(_l("Departments responsible"), coerce=int, validators=[DataRequired()])
    due_on = DateField(_l("Deadline"),
                       validators=[DataRequired(), DateWithin(future_days=FUTURE_DAYS, from_today=True)])
    instructions = TextAreaField(_l("Instructions to the departments"),
                                 validators=[Optional(), NoControlCharacters(), Length(max=4000)],
                                 description=_l("The departments see the complaint without the complainant's "
                                                "identity."))


class ReassignForm(FlaskForm):
    department_id = SelectField(_l("New department"), coerce=int)
    reason = StringField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=500)])


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Reply"), validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=10000)],
                          description=_l("What was found and what was done."))
    evidence = MultipleFileField(_l("Evidence (optional)"),
                                 description=_l("PDF, PNG or JPEG, up to 5 files of 5 MB each."))


class CloseForm(ClosingForm):
    """办结 of a complaint: the engine's closing, and per department whether the complaint was substantiated."""

    satisfaction = RadioField(_l("The complainant's satisfaction"), choices=SATISFACTION_CHOICES,
                              validators=[InputRequired()])
    public_reply = TextAreaField(_l("Reply to the complainant"),
                                 validators=[DataRequired(), NoControlCharacters(), Length(max=10000)],
                                 description=_l("Shown on the tracking page."))
    substantiated = CheckboxesField(_l("Substantiated against"), coerce=int, validators=[Optional()],
                                    description=_l("Each substantiated complaint counts as a deduction in the "
                                                   "department's assessment."))
