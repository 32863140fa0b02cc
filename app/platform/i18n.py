"""Language selection: Simplified Chinese by default, English on request (a cookie)."""
from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Flask-Babel's locale selector: the language cookie if it names a supported language."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(code: str | None = None) -> str:
    """The BCP 47 tag for <html lang> (zh-CN for Chinese) of ``code`` or of the current request."""
    code = code or select_locale()
    return "zh-CN" if code == "zh" else code


def translated(message: Any) -> str:
    """A message of the pure cores in the reader's language: ``gettext(template) % params``.

    ``message`` is anything that renders itself with a gettext (a ``rules.messages.Message``, a questionnaire
    ``Problem``) or an error carrying one as ``reason`` (``ExpressionError``); anything else is shown as it is.
    """
    from flask_babel import gettext

    if hasattr(message, "render"):
        return message.render(gettext)
    reason = getattr(message, "reason", None)
    if hasattr(reason, "render"):
        return reason.render(gettext)
    return str(message)
