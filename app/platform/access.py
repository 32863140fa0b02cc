"""Who may open which page: every view declares a rule, one hook enforces them all.

A view is decorated with ``@public``, ``@visitors`` (public pages of the
respondents, raters and complainants) or ``@roles_required(Role.x, ...)``
(``@staff_only`` for any logged-in account). The decorators only declare;
``enforce_access`` runs before every request and refuses any endpoint that
declares nothing, so a forgotten rule fails closed, and the access-matrix
test can read every rule from ``app.url_map``.

Anonymous browsers are redirected to the login page; JSON clients get 401.
A logged-in account without the role gets 403 (JSON or a page).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.platform.roles import Role


@dataclass(frozen=True)
class AccessRule:
    """Who may call a view: everybody, any staff account, or staff holding one of ``roles``."""

    public: bool = False
    roles: frozenset[Role] = frozenset()
    visitors: bool = False  # public, and served as to an anonymous visitor (see ``visitors``)

    def allows(self, user) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or user.has_role(*self.roles)


def public(view):
    """Open to everybody, logged in or not."""
    view.access_rule = AccessRule(public=True)
    return view


def visitors(view):
    """Open to everybody and served as to an anonymous member of the public.

    For the pages of respondents, raters and complainants. A staff login in the same browser is neither read
    nor touched: Flask-Login is told up front that the visitor is anonymous. Otherwise the first template that
    asks for the user makes it check the session, and its "strong" session protection takes a visitor's
    session (which has no login identifier) for a stolen one: it then rewrites the session cookie and deletes
    any remember-me cookie on every response.
    """
    view.access_rule = AccessRule(public=True, visitors=True)
    return view


def staff_only(view):
    """Open to any logged-in staff account."""
    view.access_rule = AccessRule()
    return view


def roles_required(*roles: Role):
    """Open to staff holding one of ``roles`` (admin always qualifies)."""
    if not roles:
        raise ValueError("roles_required needs at least one role; use staff_only for any account")

    def decorate(view):
        view.access_rule = AccessRule(roles=frozenset(roles))
        return view

    return decorate


def rule_for(endpoint: str) -> AccessRule | None:
    """The rule the view behind ``endpoint`` declares; static files are public."""
    if endpoint == "static" or endpoint.endswith(".static"):
        return AccessRule(public=True)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def wants_json() -> bool:
    """True for API clients, which get status codes instead of redirects and pages."""
    if request.is_json:
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def enforce_access():
    """before_request hook: apply the endpoint's declared rule, refusing undeclared endpoints."""
    if request.endpoint is None:  # no route matched: let routing answer 404/405
        return None
    rule = rule_for(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule; refusing", request.endpoint)
        abort(403)
    if rule.visitors:
        current_app.login_manager._update_request_context_with_user()  # no user: the anonymous one
        return None
    if rule.allows(current_user):
        return None
    if not current_user.is_authenticated:
        if wants_json():
            return jsonify(error="authentication required"), 401
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if wants_json():
        return jsonify(error="forbidden"), 403
    abort(403)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be used as a post-login redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def role_label(role: Role) -> str:
    """The role's name in the user's language."""
    return {
        Role.admin: _("Administrator"),
        Role.designer: _("Questionnaire designer"),
        Role.operator: _("Operator"),
        Role.hr: _("Assessment office"),
        Role.liaison: _("Department liaison"),
        Role.complaints: _("Complaints handler"),
        Role.forum: _("Forum organiser"),
        Role.policy: _("Policy officer"),
        Role.window: _("Policy window staff"),
        Role.auditor: _("Auditor"),
    }[role]
