"""Forms of the window staff's pages: opening an application, materials, 一次性告知, hand-in, declared figures,
acceptance and referral, withdrawal; consultations. Choices (checklist names, items, departments, windows) are set
by the views."""
from flask_babel import lazy_gettext as _l, lazy_pgettext as _lp
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.forms import ConfirmForm, NoControlCharacters

# The figures an application may declare (numeric profile fields the enterprise states itself).
DECLARABLE = ("revenue", "employees", "tax_paid", "rd_ratio")
SCANS_HINT = _l("PDF, PNG or JPEG, up to 5 files of 5 MB each; the department sees them.")
CHANNEL_CHOICES = [SelectChoice("window", _l("At the window")), SelectChoice("phone", _l("By phone")),
                   SelectChoice("online", _l("Online"))]


class Checkboxes(SelectMultipleField):
    """Several choices as check boxes."""

    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


class StartForm(FlaskForm):
    """An application opened at the window: the enterprise (from the search) and the item."""

    profile_id = RadioField(_l("Enterprise"), coerce=int,
                            validators=[InputRequired(message=_l("Choose the enterprise."))])
    item_id = SelectField(_l("Policy item"), coerce=int, validators=[InputRequired(message=_l("Choose the item."))])
    window_id = SelectField(_l("Window"), coerce=int, validators=[Optional()],
                            description=_l("The window the application belongs to."))


class MaterialsForm(FlaskForm):
    received = Checkboxes(_l("Materials received"), validators=[Optional()])
    scans = MultipleFileField(_l("Scans"), description=SCANS_HINT)


class SupplementForm(FlaskForm):
    missing = Checkboxes(_l("Missing materials"), validators=[DataRequired(
        message=_l("Tick every missing material."))],
        description=_l("一次性告知: every material not yet received, all at once."))
    note = TextAreaField(_l("Note to the enterprise"), validators=[Optional(), NoControlCharacters(),
                                                                   Length(max=2000)])


class HandInForm(FlaskForm):
    handed_in = Checkboxes(_l("Materials handed in"), validators=[Optional()])
    scans = MultipleFileField(_l("Scans"), description=SCANS_HINT)
    in_person = BooleanField(_l("Handed in at the window (counts as a visit)"), default=True)


class DeclareForm(FlaskForm):
    revenue = StringField(_l("Last year's revenue (10k yuan)"), validators=[Optional(), Length(max=20)])
    employees = StringField(_l("Employees"), validators=[Optional(), Length(max=20)])
    tax_paid = StringField(_l("Last year's tax paid (10k yuan)"), validators=[Optional(), Length(max=20)])
    rd_ratio = StringField(_l("R&D spending ratio (%)"), validators=[Optional(), Length(max=20)])


class AcceptForm(FlaskForm):
    co_ids = Checkboxes(_l("Co-departments"), coerce=int, validators=[Optional()],
                        description=_l("The item's responsible department leads; tick any others that take part."))
    instructions = TextAreaField(_l("Instructions to the department"),
                                 validators=[Optional(), NoControlCharacters(), Length(max=4000)])


class WithdrawForm(ConfirmForm):
    reason = TextAreaField(_l("The enterprise's reason"), validators=[DataRequired(), NoControlCharacters(),
                                                                      Length(max=2000)])


class ConsultationForm(FlaskForm):
    window_id = SelectField(_l("Window"), coerce=int, validators=[Optional()])
    channel = RadioField(_l("Asked"), choices=CHANNEL_CHOICES[:2], default="window", validators=[InputRequired()])
    uscc = StringField(_l("Unified social credit code"), validators=[Optional(), NoControlCharacters(),
                                                                     Length(max=30)],
                       description=_l("Of an enterprise with a profile; or type its name below."))
    enterprise_name = StringField(_l("Enterprise name"), validators=[Optional(), NoControlCharacters(),
                                                                     Length(max=200)])
    item_id = SelectField(_l("Policy item"), coerce=int, validators=[Optional()])
    question = TextAreaField(_lp("policy window", "Question"), validators=[DataRequired(), NoControlCharacters(), Length(max=4000)])
    answer = TextAreaField(_l("Answer"), validators=[Optional(), NoControlCharacters(), Length(max=8000)],
                           description=_l("Leave empty to answer later."))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), NoControlCharacters(), Length(max=8000)])


class SubjectForm(FlaskForm):
    uscc = StringField(_l("Unified social credit code"), validators=[Optional(), NoControlCharacters(),
                                                                     Length(max=30)])
    item_id = SelectField(_l("Policy item"), coerce=int, validators=[Optional()])
