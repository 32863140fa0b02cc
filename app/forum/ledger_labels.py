"""What the ledger and the meeting report call a problem's fate and the ledger's status filter, in the reader's
language (categories, chairs and meeting states: ``app.forum.labels``)."""
from __future__ import annotations

from flask_babel import gettext as _, pgettext

from app.casework.labels import pick


def fate_label(fate: str) -> str:
    """What became of a problem, in the report's words (``app.forum.ledger.fate``)."""
    return pick(fate, solved=_("Solved"), in_progress=pgettext("forum problem", "In progress"),
                overdue=pgettext("forum problem", "Overdue"), explained=_("Explained, cannot be solved"),
                other=_("Other outcomes"))


def stage_label(stage: str) -> str:
    """The ledger's status filter."""
    return pick(stage, open=pgettext("forum problem", "Open"), overdue=pgettext("forum problem", "Overdue"),
                closed=pgettext("forum problem", "Closed"), declined=_("Not accepted"))
