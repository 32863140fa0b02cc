"""The 免申即享 forms: creating a batch from the reviewed list (confirmed, naming the number of SMS).

The list's exclusions are one check box per enterprise (``exclude``, its profile id) and a reason beside it
(``reason-<profile id>``): as many as the list is long, so they are read from the request here rather than declared
as fields; ``automatic.create_batch`` checks each one (on the list, with a reason).
"""
from __future__ import annotations

from werkzeug.datastructures import MultiDict
from wtforms import HiddenField
from wtforms.validators import InputRequired

from app.platform.forms import ConfirmForm

EXCLUDE = "exclude"
REASON = "reason-{}"


class BatchForm(ConfirmForm):
    """POST: make the batch of the reviewed run for a window."""

    run_id = HiddenField(validators=[InputRequired()])
    window_id = HiddenField(validators=[InputRequired()])

    def exclusions(self, formdata: MultiDict) -> dict[int, str]:
        """{profile id: reason} of the ticked boxes (a box that is not a number is a forged request: -1, refused
        later as not on the list)."""
        out: dict[int, str] = {}
        for value in formdata.getlist(EXCLUDE):
            profile_id = int(value) if value.isdigit() else -1
            out[profile_id] = formdata.get(REASON.format(value), "")
        return out
