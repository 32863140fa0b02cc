"""Staff accounts and their roles. Respondents and the public never log in."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.departments.models import Department
from app.extensions import db
from app.platform.columns import UTCDateTime, utcnow
from app.platform.roles import Role


class User(UserMixin, db.Model):
    """A staff account. A department liaison is scoped to exactly one department."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'liaison' AND department_id IS NOT NULL) OR (role <> 'liaison' AND department_id IS NULL)",
            name="liaison_has_department",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, create_constraint=True, length=16, name="user_role")
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped when the account is deactivated or logs out: sessions opened before never come back (a copied
    # session cookie included), even after reactivation.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when somebody else chose the password (an administrator creating the account or resetting it): every
    # staff page leads to the own-password page until its owner picks one (see app/accounts/sessions.py).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The second factor (app/accounts/two_factor.py): the TOTP secret, Fernet-encrypted like the phone numbers
    # when PHONE_ENCRYPTION_KEY is set; set but not enabled while the account enrols. The last accepted time
    # step refuses a code a second time.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()

    # A mobile number for the engine's reminders (督办短信) to a department's liaison: sealed like every phone
    # number (app/platform/phones.py), shown masked.
    mobile: Mapped[str] = mapped_column(String(255), default="", server_default="")
    mobile_masked: Mapped[str] = mapped_column(String(20), default="", server_default="")

    department: Mapped[Department | None] = relationship()

    def set_password(self, password: str) -> None:
        """Hash with werkzeug's default (scrypt) and note when (the policy is the accounts service's)."""
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def session_fingerprint(self) -> str:
        """A keyed digest of the password hash and the session epoch: a new password or a deactivation changes it."""
        key = current_app.config["SECRET_KEY"].encode()
        message = f"session:{self.session_epoch or 0}:{self.password_hash}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]

    @property
    def device_fingerprint(self) -> str:
        """A keyed digest of the password hash and the second factor's enrolment time: a new password, a second
        factor turned off, reset or enrolled anew changes it, and every known device of the account is forgotten
        (app/accounts/devices.py). A logout does not: it is the end of a working day, not a sign of theft."""
        key = current_app.config["SECRET_KEY"].encode()
        enrolled = int(self.totp_enabled_at.timestamp()) if self.totp_enabled_at is not None else 0
        message = f"device:{enrolled}:{self.password_hash}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]

    def get_id(self) -> str:
        """What the session remembers: the id and the fingerprint, so that a password change or reset
        ends every session opened with the old password (see load_user in app/__init__.py)."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin

    def has_role(self, *roles: Role) -> bool:
        """True if the user holds one of these roles; admin holds every role."""
        return self.role == Role.admin or self.role in roles

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class RecoveryCode(db.Model):
    """One unused one-time recovery code of an account's second factor, kept only as a SHA-256 digest (the codes
    are random, so a slow hash would add nothing); using it deletes the row."""

    __tablename__ = "user_recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_user_recovery_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))


class KnownDevice(db.Model):
    """A browser that completed a full login to an account (password, and the second factor where the account
    has one): it holds a random token in a cookie, kept here only as a SHA-256 digest (the token is random, so a
    slow hash would add nothing). The login's back-off for unknown devices does not hold it up
    (app/accounts/devices.py, app/accounts/login_backoff.py). Valid until ``expires_at`` and while the
    account's ``device_fingerprint`` is the one it was made under."""

    __tablename__ = "user_known_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
