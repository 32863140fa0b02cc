"""Staff accounts: authentication and creation."""
from __future__ import annotations

from functools import cache

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import Department, Role, User
from app.models.types import utcnow
from app.services import audit

MIN_PASSWORD_LENGTH = 10


@cache
def dummy_password_hash() -> str:
    """A real scrypt hash of nothing anybody types: checked when the account (or the complaint) is unknown,
    so that both failures take the same time. Made on first use, not at start-up."""
    return generate_password_hash("no account has this password")


class AccountError(ValueError):
    """A user-facing reason why an account cannot be created or changed."""


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


def create_user(
    username: str, password: str, role: Role, *, display_name: str = "", department: Department | None = None
) -> User:
    """Create a staff account; a liaison needs a department and nobody else may have one."""
    username = username.strip()
    if not username:
        raise AccountError("username must not be empty")
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise AccountError(f"a user named {username!r} already exists")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if role == Role.liaison and department is None:
        raise AccountError("a department liaison needs --department")
    if role != Role.liaison and department is not None:
        raise AccountError("only a department liaison belongs to a department")
    user = User(username=username, display_name=display_name or username, role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", f"user:{user.id}", {"username": username, "role": role.value,
                                                   "department": department.code if department else None})
    return user
