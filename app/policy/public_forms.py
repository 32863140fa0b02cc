"""The public self-check's form: only the fields an item's rules read, every one optional (empty means missing)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.dates import DateWithin
from app.platform.forms import NoControlCharacters
from app.platform.i18n import translated
from eligibility import industries
from eligibility.fields import SIZES


class Checkboxes(SelectMultipleField):
    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()

    def pre_validate(self, form) -> None:  # a box that is not offered is dropped, not an error
        values = {str(c.value) for c in self.choices}
        self.data = [d for d in self.data or () if d in values]


def _industry_code(form, field) -> None:
    """A code of GB/T 4754 as the profile import reads it (``C3911``, ``c 39``, ``3911``), written back normalised."""
    if not (field.data or "").strip():
        field.data = ""
        return
    try:
        field.data = industries.normalise(field.data)
    except industries.IndustryError as error:
        raise ValidationError(translated(error)) from None


def _field(key: str, qualifications: list[str]):
    if key == "industry":
        return StringField(_l("Industry code"), validators=[Optional(), Length(max=8), _industry_code],
                           description=_l("GB/T 4754, for example C3911"))
    if key == "size":
        return SelectField(_l("Enterprise size"), choices=[SelectChoice("", _l("— choose —"))] + [SelectChoice(s, s) for s in SIZES],
                           validators=[Optional()])
    if key == "district":
        return StringField(_l("County or district"), validators=[Optional(), Length(max=50), NoControlCharacters()])
    if key == "registered_on":
        return DateField(_l("Date registered"), validators=[Optional(), DateWithin()])
    if key == "employees":
        return IntegerField(_l("Employees"), validators=[Optional(), NumberRange(min=0, max=10_000_000)],
                            description=_l("people"))
    if key == "rd_ratio":
        return DecimalField(_l("R&D spending ratio"), places=None,
                            validators=[Optional(), NumberRange(min=0, max=100)], description="%")
    if key in ("revenue", "tax_paid"):
        label = _l("Last year's revenue") if key == "revenue" else _l("Last year's tax paid")
        return DecimalField(label, places=None, validators=[Optional(), NumberRange(min=0, max=10**10)],
                            description=_l("10k yuan"))
    if key == "qualifications":
        return Checkboxes(_l("Qualifications"), choices=[SelectChoice(q, q) for q in qualifications], validate_choice=False,
                          description=_l("Tick those your enterprise holds and that are still valid."))
    raise KeyError(key)  # pragma: no cover - asked_fields gives only the keys above


def self_check_form(keys: list[str], qualifications: list[str], **kwargs) -> FlaskForm:
    """A form asking for ``keys`` (stored profile fields) only, each optional."""

    class SelfCheckForm(FlaskForm):
        pass

    for key in keys:
        setattr(SelfCheckForm, key, _field(key, qualifications))
    return SelfCheckForm(**kwargs)


def answers_of(form: FlaskForm, keys: list[str]) -> dict:
    """What was entered, by stored field (an empty field is absent or None)."""
    return {key: form[key].data for key in keys}
