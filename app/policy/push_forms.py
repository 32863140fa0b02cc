"""The push's forms: the criteria (read from the page's address for the preview), and the confirmed sending."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectMultipleField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from app.platform.forms import ConfirmForm
from app.policy.explain import RESULT_LABELS
from app.policy.push import DEFAULT_RESULTS, Criteria
from eligibility.evaluation import Result


class Checkboxes(SelectMultipleField):
    """Several choices as check boxes."""

    widget, option_widget = ListWidget(prefix_label=False), CheckboxInput()


def _result_choices():
    return [SelectChoice(r.value, RESULT_LABELS[r]) for r in (Result.eligible, Result.likely)]


class CriteriaFields:
    """The fields both forms share; ``districts`` gets its choices from the run."""

    results = Checkboxes(_l("Send to"), choices=_result_choices(), default=list(DEFAULT_RESULTS))
    ask_missing = BooleanField(_l("Also ask enterprises with missing data to update them (a different SMS)"))
    districts = Checkboxes(_l("Districts (none ticked: all)"), choices=[])

    def set_districts(self, districts: list[tuple[str, str]]) -> None:
        self.districts.choices = [SelectChoice(value, label) for value, label in districts]

    def criteria(self) -> Criteria:
        return Criteria(tuple(self.results.data or ()), tuple(self.districts.data or ()), bool(self.ask_missing.data))


class PreviewForm(CriteriaFields, FlaskForm):
    """GET: the criteria of a preview (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False


class PushForm(CriteriaFields, ConfirmForm):
    """POST: the confirmed sending, of the run that was previewed."""

    run_id = HiddenField(validators=[InputRequired()])
