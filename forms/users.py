"""Forms of the staff account pages (administrators) and of the own-password page."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from forms.validators import NoControlCharacters

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
