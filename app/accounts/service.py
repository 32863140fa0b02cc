"""Staff accounts: authentication, creation, and what an administrator may change.

Every change is audited (never the password), and so is every login, logout and
failed login of an existing account. Two rules keep the platform administrable:
nobody deactivates their own account, and the last active administrator can be
neither deactivated nor given another role.

A password has 10 to 256 characters, does not contain the username, and is hard to
guess: the zxcvbn estimator, told the site's words, the usernames and the common
Chinese passwords, scores it at least 3 (app/accounts/password_strength.py). A password
somebody else chose (an administrator's, on creating or resetting the account) must
be changed by its owner before anything else.
"""
from __future__ import annotations

from datetime import timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import devices, password_strength
from app.accounts.models import User
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.departments.models import Department
from app.extensions import db
from app.platform.columns import utcnow
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.platform.roles import Role

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # the login form's limit: a longer password could never be typed there
# A username this short (e.g. "hr") would refuse too many good passwords that merely contain its letters.
MIN_USERNAME_LENGTH_TO_REFUSE = 3

@cache
def dummy_password_hash() -> str:
    """A real scrypt hash of nothing anybody types: checked when the account (or the complaint) is unknown,
    so that both failures take the same time. Made on first use, not at start-up."""
    return generate_password_hash("no account has this password")


class AccountError(ValueError):
    """A user-facing reason why an account cannot be created or changed."""


class WrongPassword(AccountError):
    """The current password given to change it is not the account's."""


def find_account(username: str) -> User | None:
    """The account of this username, whatever its case and surrounding spaces."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def check_credentials(username: str, password: str) -> User | None:
    """The active user with these credentials, or None; a failure is audited.

    A failure is audited only for an existing account, under its own name: what was typed for an unknown one
    may be a password typed into the wrong field, and is written nowhere.
    """
    user = find_account(username)
    if user is None:
        check_password_hash(dummy_password_hash(), password)
        return None
    password_ok = user.check_password(password)
    if not password_ok or not user.active:
        record_failed_login(user, "inactive" if password_ok else "password")
        return None
    return user


def record_failed_login(user: User, reason: str) -> None:
    """Audit a refused login of an existing account: a wrong ``password`` or ``code``, or an ``inactive`` one."""
    audit.record("auth.login_failed", f"user:{user.id}", {"username": user.username, "reason": reason},
                 anonymous=True)
    db.session.commit()


def record_login(user: User, factor: str | None = None) -> None:
    """Note the login time and audit the login (with the second factor that completed it, if any)."""
    user.last_login_at = utcnow()
    details = {"username": user.username}
    if factor is not None:
        details["factor"] = factor
    audit.record("auth.login", f"user:{user.id}", details, actor=user)
    db.session.commit()


def end_every_session(user: User) -> None:
    """Log the account out on every device: its session cookies, copies included, no longer work."""
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record("auth.logout", f"user:{user.id}", {"username": user.username}, actor=user)
    db.session.flush()


def record_throttled_login(username: str) -> None:
    """Audit that logins to an existing account are refused for too many failures, once a minute at most
    (a script hammering the account does not fill the log); an unknown username leaves no trace."""
    user = find_account(username)
    if user is None:
        return
    recent = db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "auth.login_throttled", AuditEntry.target == f"user:{user.id}",
        AuditEntry.at >= utcnow() - timedelta(minutes=1)).limit(1))
    if recent is None:
        audit.record("auth.login_throttled", f"user:{user.id}", {"username": user.username}, anonymous=True)
        db.session.commit()


def _usernames() -> list[str]:
    """Every account's username: the first words somebody who knows the site tries."""
    return list(db.session.scalars(select(User.username)))


def check_password_policy(password: str, username: str, display_name: str = "") -> None:
    """Refuse, with the reason, a password too short or too long, holding the username, or easy to guess (the
    estimator's score under 3, its reason in Chinese)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH))
    username = username.strip().lower()
    if len(username) >= MIN_USERNAME_LENGTH_TO_REFUSE and username in password.lower():
        raise AccountError(_("The password must not contain the username."))
    problem = password_strength.weakness(password, [username, display_name, *_usernames()])
    if problem is not None:
        raise AccountError(problem)


def _check_scope(role: Role, department: Department | None) -> None:
    if role == Role.liaison and department is None:
        raise AccountError(_("A department liaison needs a department."))
    if role != Role.liaison and department is not None:
        raise AccountError(_("Only a department liaison belongs to a department."))


def create_user(
    username: str, password: str, role: Role, *, display_name: str = "", department: Department | None = None,
    must_change_password: bool = True,
) -> User:
    """Create a staff account; a liaison needs a department and nobody else may have one.

    The owner must change the initial password at the first login unless ``must_change_password`` is off
    (the demo's accounts, an account made at the shell by the person who will use it).
    """
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
    check_password_policy(password, username, display_name)
    _check_scope(role, department)
    user = User(username=username, display_name=display_name or username, role=role, department=department,
                must_change_password=must_change_password)
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


def set_mobile(user: User, mobile: str, *, actor=None) -> bool:
    """Set (or clear, with an empty value) the account's mobile number for reminders; False when unchanged.
    AccountError for a number that is not a mainland China mobile. The audit entry names no number."""
    mobile = (mobile or "").strip()
    e164 = ""
    if mobile:
        try:
            e164 = normalise(mobile)
        except PhoneError:
            raise AccountError(_("Not a valid mainland China mobile number.")) from None
    vault = current_vault()
    if e164 == (vault.open(user.mobile) if user.mobile else ""):
        return False
    user.mobile, user.mobile_masked = (vault.seal(e164), mask(e164)) if e164 else ("", "")
    audit.record("user.mobile", f"user:{user.id}", {"username": user.username, "set": bool(e164)}, actor=actor)
    db.session.flush()
    return True


def set_active(user: User, active: bool, *, actor) -> bool:
    """Deactivate (the account can no longer log in, its sessions end) or reactivate; False if already so."""
    if user.active == active:
        return False
    if not active:
        if actor is not None and actor.id == user.id:
            raise AccountError(_("You cannot deactivate your own account."))
        _refuse_losing_last_admin(user)
        user.session_epoch = (user.session_epoch or 0) + 1  # its open sessions end, and stay ended
        devices.forget_all(user)  # and no browser is a known device of it any more
    user.active = active
    audit.record("user.reactivate" if active else "user.deactivate", f"user:{user.id}",
                 {"username": user.username, "role": user.role.value}, actor=actor)
    db.session.flush()
    return True


def reset_password(user: User, password: str, *, actor) -> None:
    """An administrator sets a new password for ``user``; the account's open sessions end, and its owner must
    choose another at the next login (unless the administrator reset their own)."""
    check_password_policy(password, user.username, user.display_name)
    user.set_password(password)
    user.must_change_password = actor is None or actor.id != user.id
    audit.record("user.password_reset", f"user:{user.id}", {"username": user.username}, actor=actor)
    db.session.flush()


def change_own_password(user: User, current: str, new: str) -> None:
    """A staff member changes their own password, proving they know the current one."""
    if not user.check_password(current or ""):
        raise WrongPassword(_("The current password is wrong."))
    if new == current:
        raise AccountError(_("The new password must differ from the current one."))
    check_password_policy(new, user.username, user.display_name)
    user.set_password(new)
    user.must_change_password = False
    audit.record("user.password_change", f"user:{user.id}", {"username": user.username}, actor=user)
    db.session.flush()
