"""Known devices: a browser that completed a full login to an account (the password, and the second factor where
the account has one) is remembered for KNOWN_DEVICE_DAYS with a long random token in a cookie of its own, so
that the owner logs in from it while the account's back-off holds up unknown devices
(app/accounts/login_backoff.py).

The cookie is HttpOnly, SameSite=Strict, Secure where the session cookie is, and sent to the login pages only
(its path); the server keeps a SHA-256 digest of each token, never the token. One browser may be known to a
few accounts (a shared office computer): the cookie holds up to MAX_TOKENS_PER_BROWSER tokens.

A token stops working when it expires, when the account's password changes or its second factor is turned off,
reset or enrolled anew (``User.device_fingerprint``), and when the account is deactivated (``forget_all``). A
logout does not forget the device: it ends every session at the end of each working day, and would make the
owner's own computer unknown every morning.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app, request, url_for
from sqlalchemy import delete, select

from app.accounts.models import KnownDevice, User
from app.extensions import db
from app.platform.columns import utcnow

COOKIE = "bkb_device"
MAX_TOKENS_PER_BROWSER = 5
MAX_DEVICES_PER_ACCOUNT = 20  # the oldest are forgotten first
TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cookie_tokens() -> list[str]:
    """The well-formed tokens this browser sent (anything else in the cookie is ignored)."""
    raw = request.cookies.get(COOKIE, "")
    return [t for t in raw.split(".") if len(t) == TOKEN_LENGTH][:MAX_TOKENS_PER_BROWSER]


def _device_of(user: User) -> KnownDevice | None:
    """This browser's valid device record for ``user``, if it has one."""
    digests = [_digest(t) for t in _cookie_tokens()]
    if not digests:
        return None
    for device in db.session.scalars(select(KnownDevice).where(KnownDevice.user_id == user.id,
                                                               KnownDevice.token_hash.in_(digests))):
        if device.expires_at > utcnow() and hmac.compare_digest(device.fingerprint, user.device_fingerprint):
            return device
    return None


def known_id(user: User | None) -> int | None:
    """The id of this browser's device record for ``user`` if it completed a full login to it before and that
    still counts; None otherwise."""
    device = _device_of(user) if user is not None else None
    return device.id if device is not None else None


def remember(user: User, response) -> None:
    """After a full login: renew this browser's device record for ``user``, or make one, and set the cookie."""
    now = utcnow()
    expires = now + timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"])
    tokens = _cookie_tokens()
    device = _device_of(user)
    if device is not None:
        device.last_used_at, device.expires_at = now, expires
    else:
        token = secrets.token_urlsafe(32)
        db.session.add(KnownDevice(user_id=user.id, token_hash=_digest(token), fingerprint=user.device_fingerprint,
                                   created_at=now, last_used_at=now, expires_at=expires))
        tokens = [token, *tokens][:MAX_TOKENS_PER_BROWSER]
        _forget_stale(user)
    db.session.commit()
    response.set_cookie(COOKIE, ".".join(tokens), max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 24 * 3600,
                        path=url_for("auth.login"), secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Strict")


def _forget_stale(user: User) -> None:
    """Forget the account's expired devices, those of an old password, and the oldest beyond the cap."""
    db.session.flush()
    fingerprint = user.device_fingerprint
    devices = list(db.session.scalars(select(KnownDevice).where(KnownDevice.user_id == user.id)
                                      .order_by(KnownDevice.last_used_at.desc(), KnownDevice.id.desc())))
    valid = [d for d in devices if d.expires_at > utcnow() and d.fingerprint == fingerprint]
    for device in [d for d in devices if d not in valid] + valid[MAX_DEVICES_PER_ACCOUNT:]:
        db.session.delete(device)


def forget_all(user: User) -> None:
    """Forget every known device of the account (it is deactivated)."""
    db.session.execute(delete(KnownDevice).where(KnownDevice.user_id == user.id))
