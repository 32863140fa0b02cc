"""Staff sessions: a fresh session at login, an idle timeout and an absolute lifetime, logout everywhere, and
the password page first for an account whose password somebody else chose, then the two-factor enrolment
page for an account whose role requires a second factor it does not have yet.

The session is Flask's signed cookie, so the login time and the last-seen time live in it, where nobody can
change them without the secret key; a copied cookie is as old as when it was copied. The last-seen time is
rewritten at most once a minute, so that the cookie is not sent anew with every response. Logging out bumps
the account's session epoch: the fingerprint every session carries (``User.get_id``) no longer matches, so
a copied cookie, and any other session of the account, is refused from then on.

Between the password and the second factor's code, the session holds only a pending marker: the account's
``get_id`` (so that a logout everywhere, a deactivation or a new password voids it too) and the time; it is
good for 5 minutes, and nobody is logged in meanwhile.

Visitors' pages (``@visitors`` in app/platform/access.py) are left alone: nobody is logged in there, and this hook
neither reads nor writes their session.
"""
from __future__ import annotations

import hmac
import time
from urllib.parse import urlsplit

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.accounts import two_factor
from app.accounts.models import User
from app.extensions import db
from app.platform.access import is_safe_next, rule_for, wants_json

LOGIN_AT = "staff_login_at"
SEEN_AT = "staff_seen_at"
SEEN_REWRITE_SECONDS = 60
# Pages an account that must change its password may still open (besides public ones and static files).
OPEN_BEFORE_PASSWORD_CHANGE = frozenset({"users.change_password", "auth.logout"})
# … and that an account which must enrol a second factor may still open.
OPEN_BEFORE_ENROLMENT = frozenset({"users.two_factor", "users.two_factor_start", "users.two_factor_confirm",
                                   "users.two_factor_qr", "auth.logout"})
PENDING = "two_factor_pending"
PENDING_SECONDS = 5 * 60


def _now() -> int:
    return int(time.time())


def start(user: User) -> None:
    """Log ``user`` in on a new, empty session: nothing planted in the cookie before the login survives it
    (the interface language is a cookie of its own), and the forms' CSRF secret is a new one.

    The secret is made here rather than by the first form: a visitor's page opened next in the same browser
    must find the session complete, and leave it alone.
    """
    session.clear()
    login_user(user)
    now = _now()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


def await_second_factor(user: User, next_page: str | None) -> None:
    """The password was right and the account has a second factor: remember that, on a new session, for
    5 minutes; nobody is logged in yet."""
    session.clear()
    session[PENDING] = {"id": user.get_id(), "at": _now(), "since": time.time(), "next": next_page or ""}


def pending_user() -> User | None:
    """The account whose password was given on this session less than 5 minutes ago, still active and with
    the same password and session epoch, and with its second factor still on; None otherwise."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None
    if _now() - pending["at"] > PENDING_SECONDS:
        return None
    ident, _sep, fingerprint = str(pending.get("id", "")).partition(":")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or not user.active or not hmac.compare_digest(fingerprint, user.session_fingerprint):
        return None  # as load_user in app/__init__.py refuses a session
    since = pending.get("since", pending["at"])
    if user.last_login_at is not None and user.last_login_at.timestamp() > since:
        return None  # the login it began (or a later one) is done: a copy of this cookie is worth nothing now
    return user if user.two_factor_enabled else None


def pending_next() -> str:
    """The page asked for before the login."""
    pending = session.get(PENDING)
    return pending.get("next", "") if isinstance(pending, dict) else ""


def forget_pending() -> None:
    session.pop(PENDING, None)


def end() -> None:
    """Forget the login and everything else this session held."""
    logout_user()
    session.clear()


def expiry_message(now: int) -> str | None:
    """Why the logged-in session has ended (idle too long, open too long, or from before these limits), or
    None while it is valid."""
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return _("Your session has ended. Please log in again.")
    max_hours = current_app.config["STAFF_SESSION_MAX_HOURS"]
    if now - login_at > max_hours * 3600:
        return _("You were logged in for more than %(hours)d hours: please log in again.", hours=max_hours)
    idle_minutes = current_app.config["STAFF_IDLE_MINUTES"]
    if now - seen_at > idle_minutes * 60:
        return _("You were logged out after %(minutes)d minutes without activity: please log in again.",
                 minutes=idle_minutes)
    return None


def check_staff_session():
    """before_app_request: end an expired staff session, and send an account that must change its password
    to the password page. Visitors' pages and static files are not looked at."""
    if request.endpoint is None:
        return None
    rule = rule_for(request.endpoint)
    if rule is None or rule.visitors or request.endpoint == "static" or request.endpoint.endswith(".static"):
        return None  # an undeclared endpoint is refused by enforce_access
    if not current_user.is_authenticated:
        return None
    now = _now()
    message = expiry_message(now)
    if message is not None:
        end()
        return _refuse_expired(message)
    if now - session[SEEN_AT] >= SEEN_REWRITE_SECONDS:
        session[SEEN_AT] = now
    if rule.public:
        return None
    if current_user.must_change_password:  # the password first, then the second factor
        return None if request.endpoint in OPEN_BEFORE_PASSWORD_CHANGE else _to_password_page()
    if request.endpoint not in OPEN_BEFORE_ENROLMENT and two_factor.must_enrol(current_user):
        return _to_enrolment_page()
    return None


def _refuse_expired(message: str):
    if wants_json():
        return jsonify(error=message), 401  # the page's script shows it as it is
    flash(message, "info")
    if request.endpoint == "auth.login":
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        back = request.full_path if request.query_string else request.path
    else:  # what was sent is lost, but not the place: back to the page the form was on
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        back = (referrer.path + (f"?{referrer.query}" if referrer.query else "")) if same_site else ""
    return redirect(url_for("auth.login", next=back) if is_safe_next(back) else url_for("auth.login"))


def _to_enrolment_page():
    if wants_json():
        return jsonify(error="two-factor enrolment required"), 403
    return redirect(url_for("users.two_factor"))  # the page says why


def _to_password_page():
    if wants_json():
        return jsonify(error="password change required"), 403
    return redirect(url_for("users.change_password"))  # the page says why
