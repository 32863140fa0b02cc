"""Staff login and logout, and the language switch."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.access import is_safe_next, public, staff_only
from app.extensions import limiter
from app.i18n import LANGUAGE_COOKIE
from app.services import accounts
from forms.auth import EmptyForm, LoginForm

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    """Throttle guesses at one account even when they come from many addresses."""
    return "login-account:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key)
def login():
    """Show the login form; on a valid POST, log in and go to the safe `next` page."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            target = form.next.data
            return redirect(target if is_safe_next(target) else url_for("main.index"))
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@staff_only
def logout():
    """Log out (a POST, so that no link or image can log anybody out)."""
    if EmptyForm().validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
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
