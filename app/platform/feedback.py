"""A form's errors shown away from their field (a flash after a redirect): each names the field it is about.

A view that redirects after a refused POST shows no form, so a bare "This field is required." would leave the user
guessing which field was meant; a generic message in its place hides what was wrong.
"""
from __future__ import annotations

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField


def labelled_errors(form: FlaskForm) -> list[str]:
    """Each error of ``form`` with the label of its field ("label: error").

    An error that names its field already is left as it is; the CSRF token's error has no field to name.
    """
    messages = []
    for field in form:
        label = None if isinstance(field, HiddenField) else str(field.label.text)
        for error in field.errors:
            named = label is None or label in error
            messages.append(error if named else _("%(field)s: %(error)s", field=label, error=error))
    messages.extend(str(error) for error in getattr(form, "form_errors", []))
    return messages


def flash_errors(form: FlaskForm) -> None:
    """Flash each of the form's errors, labelled, as an error message."""
    for message in labelled_errors(form):
        flash(message, "error")
