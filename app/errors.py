"""Error pages in the user's language, and JSON errors for API clients."""
from __future__ import annotations

from flask import jsonify, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.access import wants_json


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _("The form expired or was sent from another site. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500, _describe(error.code))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if app.testing:  # let the test see the traceback instead of a polite page
            raise error
        app.logger.exception("unhandled error")
        from app.extensions import db

        db.session.rollback()
        return _render(500, _describe(500))


def _describe(code: int | None) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have permission to open this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }.get(code or 500, _("Something went wrong on our side. The error has been logged; please try again later."))


def _render(code: int, message: str):
    if wants_json():
        return jsonify(error=message), code
    return render_template("errors/error.html", code=code, message=message), code
