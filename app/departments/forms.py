"""Forms of the department admin pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.platform.forms import NoControlCharacters

KIND_CHOICES = [SelectChoice("service", _l("Service department")), SelectChoice("key_unit", _l("Key unit"))]


class DepartmentForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            NoControlCharacters(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only.")),
        ],
        description=_l("A short stable identifier, e.g. SCJG. It appears in exports."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), NoControlCharacters(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(0, 100000)])
    active = BooleanField(_l("Active (evaluated in new rounds)"), default=True)


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))],
    )
