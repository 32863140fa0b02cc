"""What the ledger and the meeting report call a problem's fate, the ledger's status filter and, until the forum's
own labels are shared, its categories, chairs and meeting states — in the reader's language."""
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


def category_label(category) -> str:
    """A problem's category: 融资, 用地, 用工, 审批, 政策兑现, 执法检查, 基础设施, 其他."""
    return pick(category, financing=_("Financing"), land=_("Land use"), labour=_("Labour"),
                approval=_("Approvals"), policy=_("Policy delivery"), inspection=_("Law-enforcement inspections"),
                infrastructure=_("Infrastructure"), other=pgettext("forum category", "Other"))


def chair_label(chair) -> str:
    """Who chairs a meeting."""
    return pick(chair, secretary=_("Party Secretary"), mayor=_("Mayor"))


def meeting_status_label(status) -> str:
    """筹备 → 已邀请 → 已召开 → 报告已发布."""
    return pick(status, preparing=_("In preparation"), invited=_("Invitations sent"), held=_("Held"),
                reported=_("Report published"))
