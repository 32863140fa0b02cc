"""Forms of the respondent pool pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.platform.forms import NoControlCharacters


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), NoControlCharacters(), Length(max=100)])
    category_id = SelectField(_l("Category"), coerce=int)
    district = StringField(_l("District"), validators=[Optional(), NoControlCharacters(), Length(max=50)])
    organisation = StringField(_l("Organisation"),
                               validators=[Optional(), NoControlCharacters(), Length(max=200)])
    phone = StringField(
        _l("Mobile phone"),
        validators=[DataRequired(), NoControlCharacters(), Length(max=32)],
        description=_l("Shown masked. Type a new number to replace it."),
    )


STATUS_CHOICES = [
    SelectChoice("active", _l("Active")),
    SelectChoice("paused", _l("Paused")),
    SelectChoice("opted_out", _l("Opted out")),
]


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
    reason = StringField(_l("Reason"), validators=[Optional(), NoControlCharacters(), Length(max=200)],
                         description=_l("Required for an opt-out, e.g. 本人要求退出 or 回复TD退订."))


class UploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))],
    )


class CommitImportForm(FlaskForm):
    only_valid_rows = BooleanField(_l("Import only the valid rows and skip the rows with errors"))


class CategoryForm(FlaskForm):
    key = StringField(_l("Key"), validators=[DataRequired(), NoControlCharacters(), Length(max=32), Regexp(
        r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only."))])
    label_zh = StringField(_l("Chinese label"),
                           validators=[DataRequired(), NoControlCharacters(), Length(max=50)])
    label_en = StringField(_l("English label"), validators=[Optional(), NoControlCharacters(), Length(max=80)])
    target = IntegerField(_l("Target members"), default=0, validators=[Optional(), NumberRange(0, 1_000_000)])
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(0, 100000)])
