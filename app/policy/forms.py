"""Forms of the policy officer's pages: policies, items with their rules editor, the import, windows, promises."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.dates import DateWithin
from app.platform.forms import ConfirmForm, NoControlCharacters
from app.platform.i18n import translated
from app.policy import labels
from app.policy.catalogue import MAX_AMOUNT, MAX_BUDGET, MAX_PROMISED_DAYS, MAX_RATE, industry_sections
from app.policy.models import DeliveryMode, ItemKind, PolicyLevel
from eligibility.benefits import KINDS as BENEFIT_KINDS, RATE_BASES
from eligibility.evaluation import rule_errors
from eligibility.fields import BY_KEY, SIZES

YEARS_AHEAD = 3660  # a policy's validity, an investment promise's due day: up to ten years ahead
EMPTY_ROWS = 2  # blank rows of the rules editor offered after the filled ones (no JavaScript needed)


class Checkboxes(SelectMultipleField):
    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


def _line(label, limit: int, required: bool = False, description=None) -> StringField:
    validators = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*validators, NoControlCharacters(), Length(max=limit)],
                       description=description)


def _money(label, limit) -> DecimalField:
    return DecimalField(label, places=2, validators=[Optional(), NumberRange(min=0, max=limit)])


class PolicyForm(FlaskForm):
    title = _line(_l("Title"), 300, required=True)
    issuer = _line(_l("Issuing body"), 200, required=True)
    level = SelectField(_l("Level"), validators=[InputRequired()])
    doc_number = _line(_l("Document number (文号)"), 100)
    issued_on = DateField(_l("Issued on"), validators=[Optional(), DateWithin()])
    valid_from = DateField(_l("Valid from"), validators=[Optional(), DateWithin(future_days=YEARS_AHEAD)])
    valid_to = DateField(_l("Valid to"), validators=[Optional(), DateWithin(future_days=YEARS_AHEAD)],
                         description=_l("After this day the policy's published items are shown as expired."))
    source_url = _line(_l("Source link"), 500, description=_l("The web address of the official publication."))
    full_text = TextAreaField(_l("Full text"), validators=[Optional(), NoControlCharacters(), Length(max=200_000)])
    attachment = FileField(_l("Attachment"))  # the allowed types are named on the page (catalogue.ATTACHMENT_TYPES)
    remove_attachment = BooleanField(_l("Remove the attachment"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = [SelectChoice(v.value, labels.level_label(v)) for v in PolicyLevel]

    def validate_source_url(self, field) -> None:
        from app.policy.catalogue import safe_link

        if field.data and not safe_link(field.data.strip()):
            raise ValidationError(_("The source link must start with http:// or https://."))

    def validate_valid_to(self, field) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_("The policy cannot end before it starts."))


class RuleRow(Form):
    """One computable condition of the rules editor."""

    expression = StringField(_l("Expression"), validators=[Optional(), NoControlCharacters(), Length(max=500)])
    label = StringField(_l("In plain words"), validators=[Optional(), NoControlCharacters(), Length(max=200)])
    legal_ref = StringField(_l("Legal reference"), validators=[Optional(), NoControlCharacters(), Length(max=100)])

    def validate_expression(self, field) -> None:
        if field.data and field.data.strip():
            errors = rule_errors(field.data.strip())
            if errors:
                raise ValidationError("；".join(translated(e) for e in errors))
        elif (self.label.data or "").strip() or (self.legal_ref.data or "").strip():
            raise ValidationError(_("The rule has no expression."))

    def validate_label(self, field) -> None:
        if (self.expression.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_("The rule needs a label in plain words."))


class ReviewRow(Form):
    """One condition a person reviews."""

    label = StringField(_l("Condition"), validators=[Optional(), NoControlCharacters(), Length(max=200)])
    legal_ref = StringField(_l("Legal reference"), validators=[Optional(), NoControlCharacters(), Length(max=100)])

    def validate_label(self, field) -> None:
        if (self.legal_ref.data or "").strip() and not (field.data or "").strip():
            raise ValidationError(_("Review condition has no text."))


class ItemForm(FlaskForm):
    name = _line(_l("Item name"), 200, required=True)
    kind = SelectField(_l("Kind"), validators=[InputRequired()])
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[InputRequired()])
    mode = SelectField(_l("Delivery mode"), validators=[InputRequired()])
    summary = TextAreaField(_l("Description"), validators=[Optional(), NoControlCharacters(), Length(max=5000)])
    benefit_kind = SelectField(_l("What the enterprise gets"), validators=[InputRequired()])
    amount = _money(_l("Fixed amount (10k yuan)"), MAX_AMOUNT)
    rate = DecimalField(_l("Rate (%)"), places=3, validators=[Optional(), NumberRange(min=0, max=MAX_RATE)])
    rate_base = SelectField(_l("Figure the rate applies to"), validators=[Optional()])
    cap = _money(_l("Cap (10k yuan)"), MAX_AMOUNT)
    benefit_text = _line(_l("What the enterprise gets, in words"), 500)
    budget = _money(_l("Budget (10k yuan)"), MAX_BUDGET)
    materials = TextAreaField(_l("Materials to bring"), validators=[Optional(), NoControlCharacters(),
                                                                    Length(max=10_000)],
                              description=_l("One per line."))
    promised_days = IntegerField(_l("Promised processing time (working days)"), default=20,
                                 validators=[InputRequired(), NumberRange(min=1, max=MAX_PROMISED_DAYS)])
    rules = FieldList(FormField(RuleRow), min_entries=EMPTY_ROWS, max_entries=50)
    reviews = FieldList(FormField(ReviewRow), min_entries=EMPTY_ROWS, max_entries=50)
    sizes = Checkboxes(_l("Enterprise sizes"), validators=[Optional()], description=_l("None ticked: every size."))
    industries = Checkboxes(_l("Industry sections"), validators=[Optional()],
                            description=_l("None ticked: every industry."))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(v.value, labels.kind_label(v)) for v in ItemKind]
        self.mode.choices = [SelectChoice(v.value, labels.mode_label(v)) for v in DeliveryMode]
        self.benefit_kind.choices = [SelectChoice(v, labels.benefit_kind_label(v)) for v in BENEFIT_KINDS]
        self.rate_base.choices = [SelectChoice("", "—")] + [
            SelectChoice(key, _(BY_KEY[key].label)) for key in RATE_BASES]
        self.department_id.choices = [SelectChoice(d.id, d.name) for d in departments]
        self.sizes.choices = [SelectChoice(s, s) for s in SIZES]
        self.industries.choices = [SelectChoice(letter, name) for letter, name in industry_sections()]

    def rule_rows(self) -> list[dict[str, str]]:
        rows = [r.form for r in self.rules]  # (a FormField's own .label is its label, not the row's field)
        return [{"expression": (r.expression.data or "").strip(), "label": (r.label.data or "").strip(),
                 "legal_ref": (r.legal_ref.data or "").strip()}
                for r in rows if (r.expression.data or "").strip()]

    def review_rows(self) -> list[dict[str, str]]:
        rows = [r.form for r in self.reviews]
        return [{"label": (r.label.data or "").strip(), "legal_ref": (r.legal_ref.data or "").strip()}
                for r in rows if (r.label.data or "").strip()]

    def material_lines(self) -> list[str]:
        return [line.strip() for line in (self.materials.data or "").splitlines() if line.strip()]


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet"), validators=[
        FileRequired(), FileAllowed(["csv", "xlsx"], _l("Choose a .csv or .xlsx file."))])
    dry_run = BooleanField(_l("Only check the file, write nothing"))


class RepealForm(ConfirmForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=500)])


class WindowForm(FlaskForm):
    name = _line(_l("Name"), 100, required=True)
    district = _line(_l("County or district"), 50, description=_l("Empty for the city's window."))
    address = _line(_l("Address"), 200)
    hours = _line(_l("Opening hours"), 100)
    phone = _line(_l("Desk phone"), 30, description=_l("The window's public number, shown on the public pages."))
    sort_order = IntegerField(_l("Sort order"), default=0, validators=[Optional(), NumberRange(0, 100000)])


class PromiseForm(FlaskForm):
    profile_id = SelectField(_l("Enterprise"), coerce=int, validators=[InputRequired()])
    title = _line(_l("What was promised"), 200, required=True)
    amount = _money(_l("Amount (10k yuan)"), MAX_AMOUNT)
    due_on = DateField(_l("Due on"), validators=[InputRequired(), DateWithin(future_days=YEARS_AHEAD)])
    department_id = SelectField(_l("Responsible department"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), NoControlCharacters(), Length(max=500)])


class DeliverForm(ConfirmForm):
    delivered_on = DateField(_l("Delivered on"), validators=[InputRequired(), DateWithin()])


class CancelForm(ConfirmForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), NoControlCharacters(), Length(max=500)])
