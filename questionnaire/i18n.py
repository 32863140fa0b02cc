"""Translation marker for the pure questionnaire modules (the same one as the expression language's).

``questionnaire/`` must not import Flask-Babel, so user-facing messages are English templates wrapped in ``N_()``
where they are defined (so ``pybabel extract -k N_`` finds them) and carried with their parameters in a
``Message`` (or a ``Problem``); the app translates them at run time.
"""
from rules.messages import Message, N_, fill

__all__ = ["Message", "N_", "Refusal", "fill", "reason_of"]


class Refusal(ValueError):
    """A ValueError whose text is a message to translate (``reason``); ``str()`` is its English."""

    def __init__(self, template: str, **params):
        self.reason = Message.of(template, **params)
        super().__init__(str(self.reason))


def reason_of(error: Exception) -> Message:
    """The translatable reason of an error: its message if it carries one, else its English text as it stands."""
    return getattr(error, "reason", None) or Message(str(error))
