"""Error pages in the user's language, and JSON errors for API clients."""
from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from flask import jsonify, render_template, request
from flask_babel import format_timedelta, gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, TooManyRequests

from app.platform.access import wants_json


class RetryLater(TooManyRequests):
    """Refused for now, with how long until the request would be taken (a limit counted outside Flask-Limiter's
    decorators, e.g. wrong access codes only: app/survey/code_limits.py)."""

    def __init__(self, wait: timedelta):
        super().__init__()
        self.wait = wait


class DatabaseDetailFilter(logging.Filter):
    """Drops the DETAIL lines of a database error from the logged traceback.

    PostgreSQL's messages quote the failing row ("DETAIL: Failing row contains (…)") or the duplicate key's
    values, which may be a phone number, a name or an answer; ``hide_parameters`` hides only the statement's.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DBAPIError):
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("DETAIL:"))
        return True


def register(app) -> None:
    if not any(isinstance(f, DatabaseDetailFilter) for f in app.logger.filters):
        app.logger.addFilter(DatabaseDetailFilter())

    @app.before_request
    def refuse_nul_characters():
        """No browser sends a NUL character, and PostgreSQL can neither store nor compare text holding one."""
        if any("\x00" in value for value in (request.view_args or {}).values() if isinstance(value, str)):
            return _render(404, _describe(404))  # no page has such an address
        field = _field_with_nul()
        if field is not None:
            return _render(400, _("The form field %(field)s contains a NUL character, which is not allowed. "
                                  "Remove it and try again.", field=field[:40]))
        return None

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _("The form expired or was sent from another site. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 413:
            return _render(413, _("What you sent is too large: at most %(mb)d MB at once, and a text field at most "
                                  "%(kb)d KB. Attach fewer or smaller files, or shorten the text, and try again.",
                                  mb=(app.config["MAX_CONTENT_LENGTH"] or 0) // (1024 * 1024),
                                  kb=(app.config["MAX_FORM_MEMORY_SIZE"] or 0) // 1000))
        if isinstance(error, RetryLater):
            body, code = _render(429, _("Too many attempts. Please wait up to %(wait)s and try again.",
                                        wait=format_timedelta(error.wait, threshold=1, add_direction=False)))
            response = app.make_response((body, code))
            response.headers["Retry-After"] = str(max(1, int(error.wait.total_seconds() + 0.999)))
            return response
        if isinstance(error, RateLimitExceeded):
            return _render(429, _too_many(error))
        return _render(error.code or 500, _describe(error.code))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        if app.testing:  # let the test see the traceback instead of a polite page
            raise error
        app.logger.exception("unhandled error")
        from app.extensions import db

        db.session.rollback()
        return _render(500, _describe(500))


def _too_many(error: RateLimitExceeded) -> str:
    """How long to wait: the window of the limit that was hit (a minute for most, up to a day for logins)."""
    window = timedelta(seconds=error.limit.limit.get_expiry())
    return _("Too many attempts. Please wait up to %(wait)s and try again.",
             wait=format_timedelta(window, threshold=1, add_direction=False))


def _describe(code: int | None) -> str:
    return {
        400: _("The request could not be understood."),
        401: _("Please log in first."),
        403: _("You do not have permission to open this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        429: _("Too many attempts. Please wait a minute and try again."),
    }.get(code or 500, _("Something went wrong on our side. The error has been logged; please try again later."))


def _field_with_nul() -> str | None:
    """The name of the first query or form value (or uploaded file name) holding a NUL, else None."""
    sources = [request.args.items(multi=True)]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        sources += [request.form.items(multi=True),
                    ((name, upload.filename or "") for name, upload in request.files.items(multi=True))]
    for items in sources:
        for name, value in items:
            if "\x00" in name or (isinstance(value, str) and "\x00" in value):
                return name.replace("\x00", "")
    return None


def _render(code: int, message: str):
    if wants_json():
        return jsonify(error=message), code
    return render_template("errors/error.html", code=code, message=message), code
