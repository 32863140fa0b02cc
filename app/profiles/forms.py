"""Forms of the enterprise profile pages. The edit form's fields are read by the import's own parsers, so that a
value typed here and a cell of a file follow one syntax."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from app.platform.forms import NoControlCharacters
from eligibility.fields import SIZES


def _line(label, limit: int, description=None) -> StringField:
    return StringField(label, validators=[NoControlCharacters(), Length(max=limit)], description=description)


class ProfileForm(FlaskForm):
    name = _line(_l("Enterprise name"), 200)
    industry = _line(_l("Industry code"), 20, _l("GB/T 4754-2017: a section letter with up to four digits, "
                                                 "e.g. C3911, or the digits alone."))
    size = SelectField(_l("Enterprise size"), choices=[SelectChoice("", "—")] + [SelectChoice(s, s) for s in SIZES])
    district = _line(_l("County or district"), 50)
    registered_on = _line(_l("Date registered"), 20, _l("YYYY-MM-DD"))
    revenue = _line(_l("Last year's revenue (10k yuan)"), 30)
    employees = _line(_l("Employees"), 20)
    tax_paid = _line(_l("Last year's tax paid (10k yuan)"), 30)
    rd_ratio = _line(_l("R&D spending ratio (%)"), 20)
    qualifications = TextAreaField(
        _l("Qualifications"), validators=[NoControlCharacters(), Length(max=2000)],
        description=_l("Several separated by ；, each 名称 or 名称（有效期至YYYY-MM-DD）."))
    contact_name = _line(_l("Contact person"), 50)
    contact_phone = _line(_l("Contact mobile"), 32, _l("Shown masked. Type a new number to replace it; empty it "
                                                       "to remove it."))
    member_key = _line(_l("Pool member key"), 20, _l("The pool member this enterprise is, e.g. P000123; empty: "
                                                     "not in the pool."))


class UploadForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))],
    )


class RestorePushForm(FlaskForm):
    """Policy messages again, at the enterprise's request (it asked for none from its personal page)."""

    reason = StringField(_l("How the enterprise asked for it"), validators=[NoControlCharacters(), Length(max=200)])
