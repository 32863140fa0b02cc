"""Staff login and logout, and the language switch."""
from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import devices, login_backoff, service as accounts, sessions, two_factor
from app.accounts.forms import LoginCodeForm, LoginForm
from app.extensions import db, limiter
from app.platform.access import is_safe_next, public, staff_only
from app.platform.client_keys import client_key
from app.platform.forms import EmptyForm
from app.platform.i18n import LANGUAGE_COOKIE
from app.platform.security import keyed_hash

bp = Blueprint("auth", __name__)
bp.before_app_request(sessions.check_staff_session)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_client_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_CLIENT_RATE_LIMIT"]


def _attempted_username() -> str:
    """The account a login attempt is for: the username typed, or on the code page the one whose password was
    given (so that wrong codes count against the same limits as wrong passwords)."""
    if request.endpoint == "auth.login_code":
        user = sessions.pending_user()
        return user.username if user is not None else ""
    return request.form.get("username") or ""


def _typed_account() -> str:
    """A keyed digest of the typed username, not the name: Flask-Limiter logs the key of a limit it refuses,
    and what was typed in the username field may be a password."""
    return keyed_hash("login-account", _attempted_username().strip().lower())


def _account_client_key() -> str:
    """The hour's and the day's caps count one account's guesses from one address (the per-account guesses from
    every address meet the back-off, app/accounts/login_backoff.py)."""
    return f"login-account-client:{_typed_account()}:{client_key()}"


def _credentials_refused(response) -> bool:
    """Only refused credentials (a password or a second-factor code) count against the login limits: a
    successful login guesses nothing."""
    return bool(g.get("login_failed"))


def _refused(user) -> None:
    """Refused credentials for ``user`` (the typed account, None if unknown): they count against the limits and
    the account's back-off (and this browser's own count, if it is a known device of the account)."""
    g.login_failed = True
    login_backoff.record_failure(_typed_account(), devices.known_id(user))


def _audit_throttled(limit) -> None:
    """The account limit refused a login: audit it for an existing account (then answer 429 as usual)."""
    accounts.record_throttled_login(_attempted_username())


# The password form and the second factor's code form share their limits: a code is one more guess.
_per_client = limiter.shared_limit(_login_limit, "login", methods=["POST"], deduct_when=_credentials_refused)
_per_account_client = limiter.shared_limit(_account_client_limit, "login-account-client", methods=["POST"],
                                           key_func=_account_client_key, deduct_when=_credentials_refused,
                                           on_breach=_audit_throttled)


def _code_account_limit() -> str:
    return current_app.config["LOGIN_CODE_ACCOUNT_RATE_LIMIT"]


def _code_account_key() -> str:
    """The account whose password this session gave: its codes are guessed from wherever the thief likes."""
    user = sessions.pending_user()
    return f"login-code-account:{user.id if user is not None else 0}"


def _finish_login(user, factor: str | None, target: str | None):
    """The full login is done: log in, and remember this browser as a known device of the account."""
    accounts.record_login(user, factor)
    sessions.start(user)
    response = redirect(target if is_safe_next(target) else url_for("main.index"))
    devices.remember(user, response)
    return response


def _held_up(user, template: str, form):
    """The account is in its back-off and this browser is not one of its known devices: answer without checking
    the password or code (the same answer whatever was typed, and no guess counted), saying how long to wait.
    ``user`` is the typed account (None for an unknown username, which backs off all the same)."""
    account = _typed_account()
    wait = login_backoff.wait_seconds(account)
    if not wait or login_backoff.device_passes(account, devices.known_id(user)):
        return None
    accounts.record_throttled_login(_attempted_username())
    flash(_("Many wrong passwords were typed for this account recently, so for now it accepts logins only from "
            "devices that have logged in to it before. From this device, try again in %(minutes)d minutes. "
            "What you typed was not checked and does not count as a wrong password.",
            minutes=math.ceil(wait / 60)), "error")
    return render_template(template, form=form), 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
@public
@_per_client
@_per_account_client
def login():
    """Show the login form; on a valid POST, log in on a new session and go to the safe `next` page (an account
    with a second factor goes to the code page first)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        account = accounts.find_account(form.username.data)
        held_up = _held_up(account, "auth/login.html", form)
        if held_up is not None:
            return held_up
        user = accounts.check_credentials(form.username.data, form.password.data)
        if user is not None and user.two_factor_enabled:
            sessions.await_second_factor(user, form.next.data)
            return redirect(url_for("auth.login_code"))
        if user is not None:
            return _finish_login(user, None, form.next.data)
        _refused(account)
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
@public
@_per_client
@_per_account_client
@limiter.limit(_code_account_limit, methods=["POST"], key_func=_code_account_key, deduct_when=_credentials_refused,
               on_breach=_audit_throttled)
def login_code():
    """The second step of a login: the authenticator's code, or a recovery code, within 5 minutes of the
    password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = sessions.pending_user()
    if user is None:  # none begun on this session, or begun more than 5 minutes ago: the page says so
        sessions.forget_pending()
        return render_template("auth/login_code.html", form=None)
    form = LoginCodeForm()
    if form.validate_on_submit():
        held_up = _held_up(user, "auth/login_code.html", form)
        if held_up is not None:
            return held_up
        factor = two_factor.verify_login(user, form.code.data)
        if factor is not None:
            return _finish_login(user, factor, sessions.pending_next())
        accounts.record_failed_login(user, "code")
        _refused(user)
        form.code.errors.append(_("The code is wrong or has expired: type the code your app shows now."))
    return render_template("auth/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
@staff_only
def logout():
    """Log out on every device (a POST, so that no link or image can log anybody out): every session of the
    account ends, a copied session cookie included."""
    if EmptyForm().validate_on_submit():
        accounts.end_every_session(current_user._get_current_object())
        db.session.commit()
        sessions.end()
        flash(_("You have logged out. Every session of this account has ended, on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str):
    """Remember the chosen interface language in a cookie."""
    response = redirect(request.form.get("next") if is_safe_next(request.form.get("next")) else url_for("main.index"))
    if code in current_app.config["LANGUAGES"] and EmptyForm().validate_on_submit():
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", secure=current_app.config["HTTPS"]
        )
    return response
