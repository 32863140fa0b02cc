"""The call-back check's forms: a new check (period, bounds per department) and the raiser's three questions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice
from wtforms.validators import InputRequired, NumberRange

from app.callbacks.draw import LARGEST_PER_DEPARTMENT
from app.callbacks.models import Satisfied, Solved
from app.platform.dates import DateWithin


class CheckForm(FlaskForm):
    period_start = DateField(_l("Closed from"), validators=[
        InputRequired(message=_l("Give the period's first day.")), DateWithin()])
    period_end = DateField(_l("Closed until"), validators=[
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
