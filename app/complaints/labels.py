"""What the complaints centre calls its categories (states, verdicts and history steps: ``app.casework.labels``)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.casework.labels import pick
from app.complaints.models import ComplaintCategory


def category_label(category: ComplaintCategory | str) -> str:
    """The name of a complaint category."""
    return pick(category, discipline=_("Discipline inspection supervision"),
                procuratorial=_("Procuratorial legal supervision"),
                enforcement=_("Administrative law-enforcement supervision"),
                enterprise_policy=_("Enterprise-policy supervision"))
