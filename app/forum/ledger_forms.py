"""The meeting report's one form: publishing it, with the organisers' summary."""
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length

from app.platform.forms import ConfirmForm, NoControlCharacters


class PublishReportForm(ConfirmForm):
    """发布报告: the summary the public ledger shows above the meeting's problems; the box confirms."""

    summary = TextAreaField(_l("Summary of the meeting"), validators=[NoControlCharacters(), Length(max=5000)],
                            description=_l("Shown on the public ledger above the meeting's problems."))
