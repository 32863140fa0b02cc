"""The second authentication factor of staff accounts: time-based one-time passwords (TOTP, RFC 6238).

Any authenticator app reads the enrolment QR code (Google or Microsoft Authenticator, the mini-programs of
WeChat and Alipay…): 6 digits, a new code every 30 seconds. A code is accepted one step early or late (clocks
drift), and never twice: the account keeps the last step it accepted, and a conditional UPDATE takes a step
only once, even for two requests at the same moment.

Enrolment: a pending secret (stored, not yet enabled) is shown as a QR code and as text; the first correct
code enables it and makes 8 one-time recovery codes, shown once and kept only as SHA-256 digests. The secret
is stored Fernet-encrypted with PHONE_ENCRYPTION_KEY when that is set (the phone numbers' vault,
app/platform/phones.py), as is otherwise.

The roles in TWO_FACTOR_ROLES must use it (every staff page leads to the enrolment page until then, see
app/accounts/sessions.py) and cannot turn it off; any other account may turn it on, and off again with its
password and a code. An administrator resets another account's second factor (a lost phone), and
``flask users reset-two-factor`` anybody's; the account enrols again at its next login.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from app.accounts.models import RecoveryCode, User
from app.accounts.service import AccountError, WrongPassword
from app.audit import service as audit
from app.extensions import db
from app.platform.columns import utcnow
from app.platform.phones import current_vault

ISSUER = "Beikaobei"
RECOVERY_CODE_COUNT = 8
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_CODE_LENGTH = 16  # about 79 bits each: a stolen database copy of their digests cannot be searched
ACCEPTED_STEPS = (0, -1, 1)  # this 30-second step, the one before and the one after


class TwoFactorError(AccountError):
    """A user-facing reason why the second factor cannot be enrolled, used, disabled or reset."""


class WrongCode(TwoFactorError):
    """The code typed is not the authenticator's current one, or was used already."""


# --------------------------------------------------------------------------- who

def required_for(user: User) -> bool:
    """True if the account's role must log in with a second factor (TWO_FACTOR_ROLES)."""
    return user.role.value in current_app.config["TWO_FACTOR_ROLES"]


def must_enrol(user: User) -> bool:
    """True for an account whose role requires a second factor it does not have yet."""
    return required_for(user) and not user.two_factor_enabled


# --------------------------------------------------------------------------- the secret

def _seal(secret: str) -> str:
    return current_vault().seal(secret)


def _secret(user: User) -> str | None:
    return current_vault().open(user.totp_secret) if user.totp_secret else None


def pending_secret(user: User) -> str | None:
    """The secret the account is enrolling with (shown until confirmed), or None."""
    return None if user.two_factor_enabled else _secret(user)


def start_enrolment(user: User) -> str:
    """Give the account a new pending secret (replacing one not confirmed yet); refused once enabled."""
    if user.two_factor_enabled:
        raise TwoFactorError(_("Two-factor authentication is already on for this account."))
    secret = pyotp.random_base32()
    user.totp_secret = _seal(secret)
    user.totp_last_step = None
    db.session.flush()
    return secret


def grouped(secret: str) -> str:
    """The secret in groups of four characters, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address the QR code holds: the secret, the platform's name and the account's."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> bytes:
    """The QR code of ``uri`` as a standalone SVG (served from a URL of its own: the CSP refuses data: images)."""
    out = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(out, kind="svg", scale=5, border=2)
    return out.getvalue()


# --------------------------------------------------------------------------- codes

def _normalised(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _take_totp_step(user: User, code: str, now: float | None = None) -> bool:
    """Accept a 6-digit code of the account's secret within one step of now, never a step already taken."""
    secret = _secret(user)
    if secret is None or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time() if now is None else now)
    for offset in ACCEPTED_STEPS:
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code):
            taken = db.session.execute(
                update(User).where(User.id == user.id,
                                   or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                user.totp_last_step = step
                return True
            return False  # this step's code was used already
    return False


def _digest(code: str) -> str:
    return hashlib.sha256(f"recovery:{code}".encode()).hexdigest()


def _use_recovery_code(user: User, code: str) -> bool:
    """Delete the account's recovery code ``code``: True if it existed (only one request can delete it)."""
    if len(code) != RECOVERY_CODE_LENGTH:
        return False
    used = db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                         RecoveryCode.code_hash == _digest(code)))
    return used.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    """How many recovery codes the account has left."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == user.id))


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _i in range(RECOVERY_CODE_LENGTH))
             for _n in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    return codes


def show_recovery_code(code: str) -> str:
    """A recovery code as shown: four groups of four (typed with or without the dashes)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def verify_login(user: User, code: str) -> str | None:
    """The factor that the typed code proves ("totp" or "recovery"), or None; a used code is spent."""
    if not user.two_factor_enabled:
        return None
    typed = _normalised(code)
    if _take_totp_step(user, typed):
        return "totp"
    if _use_recovery_code(user, typed):
        return "recovery"
    return None


# --------------------------------------------------------------------------- enrolment, disabling, reset

def confirm_enrolment(user: User, password: str, code: str) -> list[str]:
    """Turn the second factor on with the account's password and the first code of the pending secret; the new
    recovery codes (shown once).

    The password: a stolen session alone must not tie the account to the thief's phone. Every other session of
    the account ends (its epoch changes; the caller renews this one): one that gave only the password, held at
    the enrolment page, would otherwise go on without ever giving a code.
    """
    if user.two_factor_enabled:
        raise TwoFactorError(_("Two-factor authentication is already on for this account."))
    if user.totp_secret is None:
        raise TwoFactorError(_("Start the set-up first."))
    if not user.check_password(password or ""):
        raise WrongPassword(_("The current password is wrong."))
    if not _take_totp_step(user, _normalised(code)):
        raise WrongCode(_("The code is wrong or has expired: type the code your app shows now."))
    user.totp_enabled_at = utcnow()
    user.session_epoch = (user.session_epoch or 0) + 1
    codes = _new_recovery_codes(user)
    audit.record("user.two_factor_enabled", f"user:{user.id}", {"username": user.username}, actor=user)
    db.session.flush()
    return [show_recovery_code(c) for c in codes]


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable(user: User, password: str, code: str) -> None:
    """The account turns its second factor off, with its password and a code; refused if its role requires it."""
    if required_for(user):
        raise TwoFactorError(_("Your role requires two-factor authentication: it cannot be turned off."))
    if not user.two_factor_enabled:
        raise TwoFactorError(_("Two-factor authentication is not on for this account."))
    if not user.check_password(password or ""):
        raise WrongPassword(_("The current password is wrong."))
    if verify_login(user, code) is None:
        raise WrongCode(_("The code is wrong or has expired: type the code your app shows now."))
    _clear(user)
    audit.record("user.two_factor_disabled", f"user:{user.id}", {"username": user.username}, actor=user)
    db.session.flush()


def reset(user: User, *, actor: User | None) -> None:
    """Remove another account's second factor (a lost phone): its sessions end, and it enrols again at its next
    login if its role requires it. ``actor`` None is the shell; nobody resets their own on the web."""
    if actor is not None and actor.id == user.id:
        raise TwoFactorError(_("You cannot reset your own two-factor authentication."))
    if user.totp_secret is None:
        raise TwoFactorError(_("%(name)s has no two-factor authentication to reset.", name=user.username))
    _clear(user)
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record("user.two_factor_reset", f"user:{user.id}", {"username": user.username}, actor=actor)
    db.session.flush()
