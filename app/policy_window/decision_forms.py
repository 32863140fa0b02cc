"""The forms of the department's decision, the window's review, payments, delivery and receipt by phone.

Choices that depend on the application (its conditions, its materials, the departments) are set by the view.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.dates import DateWithin
from app.platform.forms import NoControlCharacters

TEXT = [Optional(), NoControlCharacters(), Length(max=4000)]


class CheckList(SelectMultipleField):
    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("approved", _l("Approved")), SelectChoice("partly", _l("Partly approved")),
        SelectChoice("rejected", _l("Not approved")), SelectChoice("rework", _l("Returned for missing materials"))],
        validators=[InputRequired(message=_l("Choose the decision."))])
    amount = StringField(_l("Approved amount (10k yuan)"), validators=[Optional(), Length(max=20)],
                         description=_l("Only for an approved item that gives an amount."))
    amount_reason = TextAreaField(_l("Reason for an amount above the rule's"), validators=TEXT,
                                  description=_l("Needed when the amount is more than the rule gives."))
    failed = SelectField(_l("Condition not met"), validators=[Optional()],
                         description=_l("Only for a rejection: the condition the application fails."))
    legal_ref = StringField(_l("Legal reference of another condition"),
                            validators=[Optional(), NoControlCharacters(), Length(max=200)],
                            description=_l("Only when the condition not met is another one: the provision."))
    note = TextAreaField(_l("Reason or remarks"), validators=TEXT,
                         description=_l("A rejection needs its reason; the enterprise reads it."))
    missing = CheckList(_l("Missing materials"), validators=[Optional()])
    other_missing = TextAreaField(_l("Other missing materials"), validators=TEXT,
                                  description=_l("One per line; only for a return for missing materials."))


class ReviewForm(FlaskForm):
    verdict = RadioField(_l("Review"), choices=[SelectChoice("confirm", _l("Confirm: the decision goes out")),
                                                SelectChoice("back", _l("Send back to the department"))],
                         validators=[InputRequired(message=_l("Choose the review's result."))])
    note = TextAreaField(_l("Note"), validators=TEXT,
                         description=_l("Needed when sending back: the department reads it."))


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount paid (10k yuan)"), validators=[DataRequired(), Length(max=20)])
    paid_on = DateField(_l("Day of payment"), validators=[DataRequired(), DateWithin()])
    voucher = StringField(_l("Voucher or reference number"),
                          validators=[DataRequired(), NoControlCharacters(), Length(max=100)])
    department = SelectField(_l("Paying department"), coerce=int, validators=[DataRequired()])
    over_budget_reason = TextAreaField(_l("Reason for exceeding the budget"), validators=TEXT,
                                       description=_l("Needed only when this payment takes the item past its "
                                                      "budget."))


class DeliveryForm(FlaskForm):
    note = TextAreaField(_l("What was delivered"),
                         validators=[DataRequired(), NoControlCharacters(), Length(max=4000)],
                         description=_l("E.g. the certificate issued, the reduction applied."))


VERDICTS = [SelectChoice("satisfied", _l("Satisfied")), SelectChoice("basically", _l("Basically satisfied")),
            SelectChoice("unsatisfied", _l("Not satisfied"))]


class PhoneVerdictForm(FlaskForm):
    """What the enterprise said on the phone: its receipt (or that it has the rejection), and how satisfied."""

    satisfaction = RadioField(_l("The enterprise's satisfaction"), choices=VERDICTS,
                              validators=[InputRequired(message=_l("Choose the raiser's verdict."))])
    note = TextAreaField(_l("Note"), validators=TEXT)
