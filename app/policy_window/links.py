"""An application's tracking link for the enterprise: ``/w/<token>``.

Only the token's SHA-256 is stored. The token itself is derived from the application's secret key, the case and
the moment it was submitted (an HMAC), so that every later SMS about the case — materials missing, decided,
paid — carries the same link without the server keeping it in clear (as the forum's invitations do).
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.platform.links import public_base_url
from app.policy_window.models import PolicyCase

TOKEN_LENGTH = 32
TRACK_PATH = "/w/"  # the tracking page, /w/<token> (app.policy_window.public_routes; masked in logs)


def _digest(token: str) -> str:
    return hashlib.sha256(f"policy-case:{token}".encode()).hexdigest()


def token(case: PolicyCase) -> str:
    """The case's tracking token (the case must be flushed: it has an id and a submitted time)."""
    message = f"policy-case-link:{case.id}:{case.submitted_at.isoformat()}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:TOKEN_LENGTH]


def issue(case: PolicyCase) -> str:
    """Give the case its tracking link (idempotent); returns the token."""
    value = token(case)
    case.token_hash = _digest(value)
    return value


def url(case: PolicyCase) -> str:
    """The enterprise's tracking address of the case (built from the configured public address, so that a job or
    the command line can send it as well as a request)."""
    return f"{public_base_url()}{TRACK_PATH}{token(case)}"


def find(value: str) -> PolicyCase | None:
    """The case of a tracking token, or None."""
    if not value or len(value) > 64:
        return None
    return db.session.scalar(select(PolicyCase).where(PolicyCase.token_hash == _digest(value)))
