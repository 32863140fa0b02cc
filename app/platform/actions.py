"""The shape of every staff POST action, written once: validate the form, do the work through a service, then
commit and flash the outcome, or roll back and say what was refused — and go back to the page.

Who commits (docs/ARCHITECTURE.md, "Transactions"): services change the session and flush; the request commits,
through ``perform`` for POST actions and explicitly in the few views that are not one. Work that must commit in
the middle (a job's progress, the response store's shuffled release, a counted failed attempt) says so where it
does it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import abort, flash, redirect
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from app.extensions import db
from app.platform.feedback import flash_errors

F = TypeVar("F", bound=FlaskForm)
Text = str | Callable[[Any], str | None] | None
Place = str | Callable[[Any], str]


def perform(form: F, work: Callable[[F], Any], *, done: Text, back: Place, then: Place | None = None,
            refused: type[Exception] | tuple[type[Exception], ...] = (),
            invalid: Callable[[F], Response | str] | None = None) -> Response | str:
    """Run one POST action.

    ``work(form)`` is called with the validated form; it returns a result (or None). Then the session is
    committed and ``done`` (a message, or a function of the result giving one) is flashed as a success. An
    exception of a ``refused`` class rolls everything back and its text is flashed as an error. An invalid form
    rolls back and flashes each error with its field's label — or, with ``invalid``, lets the view show the form
    again. Every path ends with a redirect: after a success to ``then`` if given (a URL, or a function of the
    result: where the new thing is), else to ``back`` (a URL, or a function of the result, None when refused).
    """
    if not form.validate_on_submit():
        db.session.rollback()
        if invalid is not None:
            return invalid(form)
        flash_errors(form)
        return redirect(back(None) if callable(back) else back)
    try:
        result = work(form)
    except refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(back(None) if callable(back) else back)
    db.session.commit()
    message = done(result) if callable(done) else done
    if message:
        flash(message, "success")
    target = back if then is None else then
    return redirect(target(result) if callable(target) else target)


def bad_request(form: FlaskForm) -> NoReturn:
    """For ``invalid=``: a form that only a forged or broken request gets wrong (a bare button, a fixed choice)
    is answered 400, not shown."""
    abort(400)


def unconfirmed(back: str) -> Callable[[FlaskForm], Response]:
    """For ``invalid=`` with a ``ConfirmForm``: an unticked confirmation goes back to the page and says that nothing
    was done; any other error of such a form (a bad CSRF token) is a forged or broken request, answered 400."""

    def answer(form: FlaskForm) -> Response:
        if set(form.errors) - {"confirm"}:
            abort(400)
        flash_errors(form)
        return redirect(back)

    return answer
