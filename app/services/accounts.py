"""Staff accounts: authentication, creation, and what an administrator may change.

Every change is audited (never the password). Two rules keep the platform
administrable: nobody deactivates their own account, and the last active
administrator can be neither deactivated nor given another role.
"""
from __future__ import annotations

from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import Department, Role, User
from app.models.types import utcnow
from app.services import audit

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # the login form's limit: a longer password could never be typed there


@cache
def dummy_password_hash() -> str:
    """A real scrypt hash of nothing anybody types: checked when the account (or the complaint) is unknown,
    so that both failures take the same time. Made on first use, not at start-up."""
    return generate_password_hash("no account has this password")


class AccountError(ValueError):
    """A user-facing reason why an account cannot be created or changed."""


class WrongPassword(AccountError):
    """The current password given to change it is not the account's."""


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; records the login time."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    if user is None:
        check_password_hash(dummy_password_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH))


def _check_scope(role: Role, department: Department | None) -> None:
    if role == Role.liaison and department is None:
        raise AccountError(_("A department liaison needs a department."))
    if role != Role.liaison and department is not None:
        raise AccountError(_("Only a department liaison belongs to a department."))


def create_user(
    username: str, password: str, role: Role, *, display_name: str = "", department: Department | None = None
) -> User:
    """Create a staff account; a liaison needs a department and nobody else may have one."""
    username = username.strip()
    display_name = (display_name or "").strip()
    if not username:
        raise AccountError(_("The username must not be empty."))
    if len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError(_("A username has at most 64 characters and no spaces."))
    if len(display_name) > 100:
        raise AccountError(_("The display name has at most 100 characters."))
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise AccountError(_("A user named %(name)s already exists.", name=username))
    _check_password(password)
    _check_scope(role, department)
    user = User(username=username, display_name=display_name or username, role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", f"user:{user.id}", {"username": username, "role": role.value,
                                                   "department": department.code if department else None})
    return user


def accounts_query():
    """Every staff account, active ones first, by username."""
    return select(User).order_by(User.active.desc(), func.lower(User.username))


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.admin, User.active.is_(True), User.id != user.id))


def _refuse_losing_last_admin(user: User) -> None:
    if user.role == Role.admin and user.active and _other_active_admins(user) == 0:
        raise AccountError(_("%(name)s is the last active administrator: make another account an administrator "
                             "first.", name=user.username))


def change_role(user: User, role: Role, department: Department | None, *, actor=None,
                display_name: str | None = None) -> bool:
    """Give ``user`` another role (and department, for a liaison); False when nothing changed."""
    _check_scope(role, department)
    changes: dict = {}
    if display_name is not None:
        display_name = display_name.strip() or user.username
        if len(display_name) > 100:
            raise AccountError(_("The display name has at most 100 characters."))
        if display_name != user.display_name:
            changes["display_name"] = [user.display_name, display_name]
            user.display_name = display_name
    old_role, old_department = user.role, user.department
    if role != old_role:
        if old_role == Role.admin:
            _refuse_losing_last_admin(user)
        user.role = role
    if department != old_department:
        user.department = department
    if role != old_role or department != old_department:
        audit.record("user.role_change", f"user:{user.id}", {
            "username": user.username, "old_role": old_role.value, "new_role": role.value,
            "old_department": old_department.code if old_department else None,
            "new_department": department.code if department else None}, actor=actor)
    if "display_name" in changes:
        audit.record("user.update", f"user:{user.id}", {"username": user.username, "changes": changes}, actor=actor)
    db.session.flush()
    return role != old_role or department != old_department or bool(changes)


def set_active(user: User, active: bool, *, actor) -> bool:
    """Deactivate (the account can no longer log in, its sessions end) or reactivate; False if already so."""
    if user.active == active:
        return False
    if not active:
        if actor is not None and actor.id == user.id:
            raise AccountError(_("You cannot deactivate your own account."))
        _refuse_losing_last_admin(user)
        user.session_epoch = (user.session_epoch or 0) + 1  # its open sessions end, and stay ended
    user.active = active
    audit.record("user.reactivate" if active else "user.deactivate", f"user:{user.id}",
                 {"username": user.username, "role": user.role.value}, actor=actor)
    db.session.flush()
    return True


def reset_password(user: User, password: str, *, actor) -> None:
    """An administrator sets a new password for ``user``; the account's open sessions end."""
    _check_password(password)
    user.set_password(password)
    audit.record("user.password_reset", f"user:{user.id}", {"username": user.username}, actor=actor)
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> None:
    """A staff member changes their own password, proving they know the current one."""
    if not user.check_password(current or ""):
        raise WrongPassword(_("The current password is wrong."))
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    _check_password(new)
    user.set_password(new)
    audit.record("user.password_change", f"user:{user.id}", {"username": user.username}, actor=user)
    db.session.flush()
