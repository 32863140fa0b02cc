"""The call-back check's forms: a new check (purpose, period, bounds per department), the raiser's three questions,
and the enterprise's four questions of a delivery check (兑现回访) with its optional request to be contacted."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, ValidationError

from app.callbacks.draw import LARGEST_PER_DEPARTMENT
from app.callbacks.models import NOT_RECEIVED, AmountRight, Purpose, Received, Satisfied, Solved
from app.platform.dates import DateWithin


PURPOSES = {Purpose.resolution: _l("Call-back check of closed cases (solved?)"),
            Purpose.delivery: _l("Delivery check of paid or delivered policy applications (received?)")}


class CheckForm(FlaskForm):
    # Left out of a request (as before purposes existed), it is the default: a resolution check.
    purpose = RadioField(_l("What to check"), default=Purpose.resolution.value, validators=[
        DataRequired(message=_l("Choose what to check."))],
        choices=[SelectChoice(p.value, label) for p, label in PURPOSES.items()],
        description=_l("A delivery check draws from policy applications paid or delivered in the period (by the "
                       "day paid), per department."))
    period_start = DateField(_l("Period from"), validators=[
        InputRequired(message=_l("Give the period's first day.")), DateWithin()])
    period_end = DateField(_l("Period until"), validators=[
        InputRequired(message=_l("Give the period's last day.")), DateWithin()])
    minimum = IntegerField(_l("Minimum per department"), default=5, validators=[
        InputRequired(message=_l("Give the minimum per department.")), NumberRange(min=1, max=LARGEST_PER_DEPARTMENT)],
        description=_l("A department with fewer closed cases, or fewer answers, is shown as too few to judge."))
    maximum = IntegerField(_l("Maximum per department"), default=20, validators=[
        InputRequired(message=_l("Give the maximum per department.")), NumberRange(min=1, max=LARGEST_PER_DEPARTMENT)],
        description=_l("At most this many of a department's cases are called back; all of them when fewer."))


ANSWER_REQUIRED = InputRequired(message=_l("Choose one of the answers."))


class AnswerForm(FlaskForm):
    """The raiser's one page: three questions, every one required."""

    solved = RadioField(_l("Was the matter you raised solved?"), validators=[ANSWER_REQUIRED], choices=[
        SelectChoice(Solved.yes.value, _l("Yes, solved")),
        SelectChoice(Solved.partly.value, _l("Yes, partly solved")),
        SelectChoice(Solved.no.value, _l("No, not solved"))])
    satisfied = RadioField(_l("Are you satisfied with how it was handled?"), validators=[ANSWER_REQUIRED], choices=[
        SelectChoice(Satisfied.satisfied.value, _l("Satisfied")),
        SelectChoice(Satisfied.basically.value, _l("Basically satisfied")),
        SelectChoice(Satisfied.not_satisfied.value, _l("Not satisfied"))])
    returns = RadioField(_l("How many times did you have to go back about it?"), coerce=int,
                         validators=[ANSWER_REQUIRED], choices=[
                             SelectChoice(0, _l("0 times")), SelectChoice(1, _l("1 time")),
                             SelectChoice(2, _l("2 times")), SelectChoice(3, _l("Three times or more"))])


class DeliveryAnswerForm(FlaskForm):
    """The enterprise's one page of a delivery check: four questions, every one required; the contact optional."""

    received = RadioField(_l("Did you receive it?"), validators=[ANSWER_REQUIRED], choices=[
        SelectChoice(Received.yes.value, _l("Yes, received in full")),
        SelectChoice(Received.partly.value, _l("Partly received")),
        SelectChoice(Received.no.value, _l("No, not received"))])
    amount_right = RadioField(_l("Was the amount right?"), validators=[ANSWER_REQUIRED], choices=[
        SelectChoice(AmountRight.yes.value, lazy_pgettext("amount", "Yes, right")),
        SelectChoice(AmountRight.no.value, lazy_pgettext("amount", "No, not right")),
        SelectChoice(AmountRight.not_money.value, _l("Not money (a certificate, a reduction or a service)"))])
    visits = RadioField(_l("How many times did you have to come to a window for it?"), coerce=int,
                        validators=[ANSWER_REQUIRED], choices=[
                            SelectChoice(0, _l("0 times")), SelectChoice(1, _l("1 time")),
                            SelectChoice(2, _l("2 times")), SelectChoice(3, _l("Three times or more"))])
    satisfied = RadioField(_l("Are you satisfied with how it was delivered?"), validators=[ANSWER_REQUIRED],
                           choices=[SelectChoice(Satisfied.satisfied.value, _l("Satisfied")),
                                    SelectChoice(Satisfied.basically.value, _l("Basically satisfied")),
                                    SelectChoice(Satisfied.not_satisfied.value, _l("Not satisfied"))])
    follow_up = BooleanField(_l("Please have the window contact me"))

    def validate_follow_up(self, field) -> None:
        if field.data and self.received.data not in {r.value for r in NOT_RECEIVED}:
            raise ValidationError(_l("Ask for a contact only if you did not receive it, or only partly."))
