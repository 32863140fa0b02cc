"""Forms of staff accounts: login, the second factor, the account pages (administrators) and the own password."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from app.platform.forms import NoControlCharacters
from app.platform.phones import PhoneError, normalise

# The login form's limit; the minimum length is the accounts service's rule (its message names the number).
MAX_PASSWORD_LENGTH = 256


def _password(label):
    return PasswordField(label, validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                         render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    """Role and department; the department list is filled by the view (liaisons only)."""

    display_name = StringField(_l("Display name"), validators=[Optional(), NoControlCharacters(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[])
    department_id = SelectField(_l("Department"), choices=[], coerce=int,
                                description=_l("Required for a department liaison, empty for every other role."))
    mobile = StringField(_l("Mobile phone for reminders"), validators=[Optional(), NoControlCharacters(),
                                                                        Length(max=20)],
                         description=_l("A liaison receives the reminders (督办) of their department's cases by SMS. "
                                        "Leave empty for none."))

    def validate_mobile(self, field) -> None:
        if field.data and "*" not in field.data:  # the masked number shown on the page stands for "unchanged"
            try:
                normalise(field.data)
            except PhoneError:
                raise ValidationError(_l("Not a valid mainland China mobile number.")) from None

    def mobile_unchanged(self, user) -> bool:
        """The field still shows the account's masked number (or stays empty for an account without one)."""
        return (self.mobile.data or "") == user.mobile_masked


class CreateUserForm(RoleForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), NoControlCharacters(), Length(max=64),
        Regexp(r"^[A-Za-z0-9._@-]+$", message=_l("Letters, digits, . _ @ and - only."))],
        render_kw={"autocomplete": "off"})
    password = _password(_l("Initial password"))


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New password"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                            render_kw={"autocomplete": "current-password"})
    password = _password(_l("New password"))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


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
