"""Who sees which applications: window staff their own window's, the policy officer (and admin) every window's.

Every page of the window that shows or changes an application or a consultation goes through here, so that a
county window's staff can neither see nor change another window's cases (a case of another window is a 404, as if
it did not exist).
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, select

from app.accounts.models import User
from app.extensions import db
from app.platform.roles import Role
from app.policy.models import PolicyWindow
from app.policy_window.models import Consultation, PolicyCase, WindowPost


def window_of(user: User) -> PolicyWindow | None:
    """The window a window staff account is posted at (None for everybody else, or when not posted yet)."""
    post = db.session.get(WindowPost, user.id)
    return post.window if post is not None else None


def sees_every_window(user: User) -> bool:
    """The policy officer and the administrator see every window; window staff only their own."""
    return user.role in (Role.policy, Role.admin)


def cases(user: User) -> Select:
    """The applications this user may see."""
    query = select(PolicyCase)
    if sees_every_window(user):
        return query
    window = window_of(user)
    return query.where(PolicyCase.window_id == window.id) if window is not None else query.where(false())


def consultations(user: User) -> Select:
    query = select(Consultation)
    if sees_every_window(user):
        return query
    window = window_of(user)
    return query.where(Consultation.window_id == window.id) if window is not None else query.where(false())


def case_or_404(user: User, case_id: int) -> PolicyCase:
    """One application this user may see, or 404."""
    return db.one_or_404(cases(user).where(PolicyCase.id == case_id))


def case_by_number_or_404(user: User, number: str) -> PolicyCase:
    return db.one_or_404(cases(user).where(PolicyCase.tracking_number == number))


def may_act_for(user: User, window: PolicyWindow) -> bool:
    """Whether the user may take intake for this window."""
    if sees_every_window(user):
        return True
    own = window_of(user)
    return own is not None and own.id == window.id


def require_window(user: User, window: PolicyWindow) -> None:
    if not may_act_for(user, window):
        abort(404)
