"""The enterprise's forms on its side of the window (every one with its CSRF token; none needs JavaScript)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.casework.forms import SATISFACTION_CHOICES
from app.platform.forms import NoControlCharacters

FILES_HINT = _l("PDF, PNG or JPEG scans, up to 5 files of 5 MB each.")


class Checkboxes(SelectMultipleField):
    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


class UsccForm(FlaskForm):
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=30)],
                       render_kw={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"})


class CodeForm(FlaskForm):
    code = StringField(_l("Code from the SMS"), validators=[DataRequired(), Length(max=10)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})


class DraftForm(FlaskForm):
    """The draft's scans (for one item of the checklist); its declared figures are read by key from the form."""

    material = SelectField(_l("Which material the scans are"), validators=[Optional()], validate_choice=False)
    files = MultipleFileField(_l("Scans (optional)"), description=FILES_HINT)


class HandInForm(FlaskForm):
    names = Checkboxes(_l("The missing materials you hand in"),
                       validators=[DataRequired(message=_l("Choose the missing materials you hand in."))])
    files = MultipleFileField(_l("Scans"), description=FILES_HINT)


class ReceiptForm(FlaskForm):
    satisfaction = RadioField(_l("How satisfied are you?"), choices=SATISFACTION_CHOICES[:3],
                              validators=[InputRequired(message=_l("Choose how satisfied you are."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), NoControlCharacters(), Length(max=500)])


CONSENT_CHOICES = [
    SelectChoice("accepted", _l("Yes, my enterprise wants it")),
    SelectChoice("declined", _l("No, my enterprise declines it")),
    SelectChoice("correction", _l("The data used are wrong: please correct them")),
]


class ConsentForm(FlaskForm):
    choice = RadioField(_lp("enterprise", "Your answer"), choices=CONSENT_CHOICES,
                        validators=[InputRequired(message=_l("Choose your answer."))])
    note = TextAreaField(_l("Which data are wrong, and what they should be"),
                         validators=[Optional(), NoControlCharacters(), Length(max=1000)])


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question"),
                             validators=[DataRequired(), NoControlCharacters(), Length(min=5, max=1000)])
    phone = StringField(_l("Mobile number for the answer"), validators=[DataRequired(), Length(max=32)],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
