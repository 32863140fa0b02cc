"""The engine's forms, shared by every kind: closing (outcome, verdict, sign-off), attempts to reach the raiser,
a department's acknowledgement, progress and reply."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.platform.forms import NoControlCharacters

SATISFACTION_CHOICES = [
    SelectChoice("satisfied", _l("Satisfied")),
    SelectChoice("basically", _l("Basically satisfied")),
    SelectChoice("unsatisfied", _l("Not satisfied")),
    SelectChoice("unreachable", _l("Could not be reached")),
]

OUTCOME_CHOICES = [
    SelectChoice("solved", _l("Solved")),
    SelectChoice("partly_solved", _l("Partly solved")),
    SelectChoice("explained", _l("Explained, cannot be solved")),
    SelectChoice("duplicate", _l("Duplicate, merged")),
    SelectChoice("redirected", _l("Not our responsibility, redirected")),
]


class ClosingForm(FlaskForm):
    """销号: what became of the case, the reply the raiser reads, and who confirmed it.

    ``redirected_to.choices`` (the departments) are set by the view.
    """

    outcome = RadioField(_l("Outcome"), choices=OUTCOME_CHOICES,
                         validators=[InputRequired(message=_l("Choose the outcome."))])
    duplicate_of = StringField(_l("Tracking number of the case that is kept"),
                               validators=[Optional(), NoControlCharacters(), Length(max=20)],
                               description=_l("Only for a duplicate."))
    redirected_to = SelectField(_l("Redirected to"), coerce=int, validators=[Optional()],
                                description=_l("Only when it is not our responsibility."))
    satisfaction = RadioField(_l("The raiser's satisfaction"), choices=SATISFACTION_CHOICES,
                              validators=[InputRequired()])
    public_reply = TextAreaField(_l("Reply to the raiser"),
                                 validators=[DataRequired(), NoControlCharacters(), Length(max=10000)],
                                 description=_l("Shown on the tracking page."))
    sign_off_reason = TextAreaField(_l("Reason for signing off without the raiser"),
                                    validators=[Optional(), NoControlCharacters(), Length(max=2000)],
                                    description=_l("Only when the raiser could not be reached after the "
                                                   "required attempts: a supervisor signs off."))


class NoteForm(FlaskForm):
    """An optional note: accepting a case, reminding a department, an internal note on the file."""

    note = TextAreaField(_l("Note"), validators=[Optional(), NoControlCharacters(), Length(max=4000)])


class ReasonForm(FlaskForm):
    """A required reason: declining, withdrawing an assignment, reopening."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=4000)])


class AttemptForm(FlaskForm):
    """One failed attempt to reach the raiser."""

    note = StringField(_l("How you tried (time, channel)"),
                       validators=[Optional(), NoControlCharacters(), Length(max=500)])


class ProgressForm(FlaskForm):
    """A department's progress update, which the raiser reads."""

    text = TextAreaField(_l("Progress update"),
                         validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=5000)])


class ReplyForm(FlaskForm):
    """A department's answer, the outcome it reports, and its evidence."""

    reply = TextAreaField(_l("Reply"), validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=10000)],
                          description=_l("What was found and what was done."))
    # A department reports what it did; duplicates and redirections are the organisers' to decide.
    outcome = RadioField(_l("Outcome"), choices=OUTCOME_CHOICES[:3], validators=[Optional()])
    evidence = MultipleFileField(_l("Evidence (optional)"),
                                 description=_l("PDF, PNG or JPEG, up to 5 files of 5 MB each."))
