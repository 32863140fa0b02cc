"""Translation marker for the pure form modules.

``forms/`` must not import Flask-Babel, so user-facing messages are written in English,
wrapped in ``N_()`` where they are defined (so ``pybabel extract -k N_`` finds them), and
translated at run time by the ``gettext`` callable the app passes in.
"""


def N_(message: str) -> str:
    """Mark a message for extraction without translating it (the app translates at run time)."""
    return message
