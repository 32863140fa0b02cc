"""What the forum calls its categories, chairs, meeting steps and invitation sources, in the reader's language."""
from __future__ import annotations

from flask_babel import gettext as _, pgettext

from app.casework.labels import pick


def category_label(value) -> str:
    """A problem's category: 融资, 用地, 用工, 审批, 政策兑现, 执法检查, 基础设施, 其他."""
    return pick(value, financing=_("Financing"), land=_("Land use"), labour=_("Labour"), approval=_("Approvals"),
                policy=_("Policy delivery"), inspection=_("Law-enforcement inspections"),
                infrastructure=_("Infrastructure"), other=pgettext("forum category", "Other"))


def chair_label(value) -> str:
    """Who chairs the meeting."""
    return pick(value, secretary=_("Party secretary"), mayor=_("Mayor"))


def meeting_status_label(value) -> str:
    """筹备 → 已邀请 → 已召开 → 报告已发布."""
    return pick(value, preparing=_("In preparation"), invited=pgettext("meeting status", "Invitations sent"), held=_("Held"),
                reported=_("Report published"))


def source_label(value) -> str:
    """How an enterprise came to be invited."""
    return pick(value, chosen=_("Chosen by the organisers"), drawn=_("Drawn at random"))


def rsvp_label(attending) -> str:
    """The enterprise's answer to the invitation."""
    if attending is None:
        return _("No answer yet")
    return _("Will attend") if attending else _("Will not attend")
