"""Secrets out of the server logs: a path that carries one is logged with the secret replaced by ``***``.

A personal survey link ``/s/<token>`` is a credential until its round closes; the slug of a service point
``/r/<slug>`` ties an address and a minute to the window a rater just rated; ``/admin/pool/import/<token>``
names a staged upload. Every server log the project configures masks them with this module:

- Werkzeug's request log (the development server) and Flask's own log lines: ``create_app`` attaches
  :class:`SecretPathFilter` to the ``werkzeug`` logger and to the application's logger;
- gunicorn's access and error logs: ``gunicorn.conf.py`` makes :class:`app.platform.gunicorn_logging.MaskingLogger`
  gunicorn's logger class, which attaches the same filter (and ``create_app`` attaches it too, in the workers);
- nginx: docs/DEPLOYMENT.md §7 logs ``$masked_uri``, made by the ``map`` that :func:`nginx_map` prints from the
  same patterns (tests/unit/test_log_masking.py checks that the documented block is exactly that output).

The patterns are the one source of truth; every route whose rule has a text variable is either listed here or
named as not secret in the test that walks the URL map, so a new secret-bearing route cannot slip through.
The module itself needs only the standard library (gunicorn's master imports it before it loads the app).
"""
from __future__ import annotations

import logging
import re

MASK = "***"

# (the fixed path before the secret, the secret's pattern). The secret's pattern is PCRE-compatible, because
# nginx's map uses it too. A secret runs to the next "/", "?", "#", blank or quote.
_SEGMENT = r'[^/?#\s"]+'
SECRET_PATHS: tuple[tuple[str, str], ...] = (
    # The personal link; /s/survey… and /s/thanks are the clean pages a link redirects to, not secrets.
    ("/s/", r'(?!(?:survey|thanks)(?:[/?#\s"]|$))' + _SEGMENT),
    # A raiser's call-back check link (/c/<token>); /c/thanks is the page it redirects to.
    ("/c/", r'(?!thanks(?:[/?#\s"]|$))' + _SEGMENT),
    # An enterprise's personal forum link; /f/home… and /f/problems… are the pages it leads to.
    ("/f/", r'(?!(?:home|problems)(?:[/?#\s"]|$))' + _SEGMENT),
    # An enterprise's personal link of a pushed policy item (/p/<token>, /p/<token>/opt-out).
    ("/p/", _SEGMENT),
    # An enterprise's question page (/w/q/<token>) and its application's tracking page (/w/<token>, /w/<token>/…);
    # /w/apply/<item code> and /w/ask/<item code> name a public item, not a secret.
    ("/w/q/", _SEGMENT),
    ("/w/", r'(?!(?:q|apply|ask)(?:[/?#\s"]|$))' + _SEGMENT),
    # A service point's QR link (/r/<slug>, /r/<slug>/code, /r/<slug>/thanks).
    ("/r/", _SEGMENT),
    # A staged pool import (bound to its uploader, but an identifier nobody else needs to read).
    ("/admin/pool/import/", _SEGMENT),
    # A staged profile import, likewise.
    ("/admin/profiles/import/", _SEGMENT),
)

_PATTERN = re.compile("|".join(f"(?:({re.escape(prefix)}){secret})" for prefix, secret in SECRET_PATHS))


def mask_secrets(text: str) -> str:
    """``text`` with the secret of every secret-bearing path in it replaced by ``***``."""
    return _PATTERN.sub(lambda match: next(group for group in match.groups() if group) + MASK, text)


class SecretPathFilter(logging.Filter):
    """Masks secret-bearing paths in a log record's message (the record is kept, its path shape too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's business, not ours
            return True
        masked = mask_secrets(text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


def mask_secret_paths_in_logs(*loggers: str | logging.Logger) -> None:
    """Attach one SecretPathFilter to each logger (by name or object); idempotent."""
    for target in loggers:
        logger = logging.getLogger(target) if isinstance(target, str) else target
        if not any(isinstance(existing, SecretPathFilter) for existing in logger.filters):
            logger.addFilter(SecretPathFilter())


def nginx_map(source: str = "$request_uri", target: str = "$masked_uri") -> str:
    """The nginx ``map`` block that makes ``target`` the masked form of ``source`` (docs/DEPLOYMENT.md §7)."""
    lines = [f"map {source} {target} {{", f"    default {source};"]
    for prefix, secret in SECRET_PATHS:
        pattern = f"^(?<bkb_p>{re.escape(prefix)}){secret}(?<bkb_r>.*)$".replace('"', '\\"')  # \" inside nginx's quotes
        lines.append(f'    "~{pattern}" "$bkb_p{MASK}$bkb_r";')
    lines.append("}")
    return "\n".join(lines)
