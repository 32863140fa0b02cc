"""The refusals of the assessment service: one exception whose text the pages show as it is."""


class ScoringError(ValueError):
    """A user-facing reason why scoring, publishing or a correction is refused."""
