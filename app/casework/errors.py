"""The one exception of the casework engine: a user-facing reason why a step is refused."""


class CaseError(ValueError):
    """A user-facing reason why a step of a case is refused (the message is shown as it is)."""
