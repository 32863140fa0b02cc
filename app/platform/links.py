"""Addresses that leave the site (printed on posters, sent by SMS): built on PUBLIC_BASE_URL when it is set."""
from __future__ import annotations

from flask import current_app, url_for

DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


def public_url(endpoint: str, **values) -> str:
    """The full address of an endpoint as the public reaches it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def public_base_url() -> str:
    """The configured public address, or the development server's default one."""
    return current_app.config.get("PUBLIC_BASE_URL") or DEVELOPMENT_BASE_URL
