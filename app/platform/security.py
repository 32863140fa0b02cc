"""HTTP response headers that every page gets, and the keyed hash that stands in for what must not be stored."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request

# No inline scripts or styles anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# No page needs the camera, the microphone, the location or payment: no script may ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


def set_security_headers(response):
    """Add CSP and friends; keep pages out of shared caches except static files."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    if not (request.endpoint or "").endswith("static") and request.endpoint != "assets.favicon":
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("HTTPS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def keyed_hash(purpose: str, value: str, length: int = 32) -> str:
    """HMAC-SHA256 of ``value`` under a key of its own for ``purpose``, derived from SECRET_KEY: the same input
    gives the same hash (to count or compare it), nobody without the key can invert it, and hashes made for
    two purposes cannot be joined."""
    key = hashlib.sha256(f"{purpose}:{current_app.config['SECRET_KEY']}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:length]
