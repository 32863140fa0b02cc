"""User-facing messages of the pure cores: an English template and its parameters, translated where shown.

The pure cores (``rules``, ``questionnaire``) may not import Flask-Babel, so each message a person can read is an
English template marked with ``N_()`` (``pybabel extract -k N_`` collects it; the English is the msgid) and kept
with its parameters in a ``Message``. The app renders it with the catalog (``message.render(gettext)``); the CLI
and the logs read ``str(message)``, the English.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


def N_(template: str) -> str:
    """Mark a message for extraction without translating it (the app translates at run time)."""
    return template


def fill(template: str, params: dict, gettext: Callable[[str], str] | None = None) -> str:
    """``template`` (translated by ``gettext`` if given) filled with ``params``; nested messages are rendered too."""
    text = gettext(template) if gettext else template
    if not params:
        return text
    values = {k: (v.render(gettext) if gettext else str(v)) if isinstance(v, Message) else v for k, v in params.items()}
    return text % values


@dataclass(frozen=True)
class Message:
    """An English template with its parameters (sorted name-value pairs, so that messages compare and hash)."""

    template: str
    params: tuple = ()

    @classmethod
    def of(cls, template: str, **params: Any) -> "Message":
        """The message ``template`` with ``params``."""
        return cls(template, tuple(sorted(params.items())))

    def render(self, gettext: Callable[[str], str]) -> str:
        """The message in the reader's language."""
        return fill(self.template, dict(self.params), gettext)

    def __str__(self) -> str:
        return fill(self.template, dict(self.params))
