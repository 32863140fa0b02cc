"""Forms of the second factor: the login's code, enrolment, turning it off."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

MAX_PASSWORD_LENGTH = 256


def _code_field(label):
    # One field for the app's 6 digits and the recovery codes (16 characters, maybe with dashes or spaces).
    return StringField(label, validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off",
                                  "spellcheck": "false"})


class LoginCodeForm(FlaskForm):
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))


class ConfirmTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField(_l("Code shown by the app"), validators=[DataRequired(), Length(max=32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))
