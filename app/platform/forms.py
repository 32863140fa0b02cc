"""What every form shares: the empty form of POST-only buttons and the validators of the admin forms."""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from app.platform.characters import CONTROL_CHARACTERS

# Unicode category Cc is the C0 controls, DEL and the C1 controls (U+007F to U+009F). CONTROL_CHARACTERS is the
# part no exported spreadsheet cell can hold: every C0 control but tab, LF and CR. A textarea keeps those three
# (a browser sends its line breaks as CR LF); a single-line field refuses them too, as it refuses DEL and C1.
_REFUSED_IN_A_TEXTAREA = re.compile(f"{CONTROL_CHARACTERS.pattern}|[\x7f-\x9f]")
_REFUSED_IN_A_LINE = re.compile(f"{CONTROL_CHARACTERS.pattern}|[\t\n\r\x7f-\x9f]")


class EmptyForm(FlaskForm):
    """A form with only its CSRF token, for POST-only buttons (log out, deactivate…)."""


class ConfirmForm(FlaskForm):
    """A button whose action cannot be undone or costs money (templates/_confirm.html): it carries a box that says
    what will happen, and the server refuses the action while the box is unticked. Without JavaScript the browser
    asks for the box; with it, static/js/confirm.js asks in a dialog instead and ticks the box. A form with more
    fields (a scheme to score with) subclasses it."""

    confirm = BooleanField(_l("Confirmation"), validators=[InputRequired(
        message=_l("Tick the box that says what will happen to confirm it: nothing was done."))])


class NoControlCharacters:
    """Refuse text holding a control character (Unicode Cc): a textarea may hold tab and line breaks, nothing else.

    Refused rather than silently dropped, so that whoever typed or pasted the text learns it was not saved as
    they see it; the message names the field and the character, which is invisible on the page.
    """

    def __call__(self, form, field) -> None:
        refused = _REFUSED_IN_A_TEXTAREA if isinstance(field, TextAreaField) else _REFUSED_IN_A_LINE
        found = refused.search(field.data) if isinstance(field.data, str) else None
        if found is not None:
            raise ValidationError(_(
                "%(field)s contains an invisible control character (%(code)s at character %(position)d). "
                "Delete it and try again.",
                field=field.label.text, code=f"U+{ord(found.group()):04X}", position=found.start() + 1))
