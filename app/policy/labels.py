"""What the policy catalogue calls its levels, kinds, delivery modes, statuses and benefits, in the reader's
language; the same names on the auditor's page."""
from __future__ import annotations

from flask_babel import gettext as _, pgettext

from app.audit import labels as audit_labels
from app.casework.labels import pick
from app.policy.models import DeliveryMode, ItemKind, ItemStatus, PolicyLevel, PromiseStatus


def level_label(value) -> str:
    """国家 / 省 / 市 / 县区."""
    return pick(value, national=pgettext("policy level", "National"), provincial=pgettext("policy level", "Provincial"),
                city=pgettext("policy level", "City"), county=pgettext("policy level", "County or district"))


def kind_label(value) -> str:
    """资金奖补 / 税费减免 / 资质认定 / 要素保障 / 其他."""
    return pick(value, grant=_("Grants and rewards"), tax=_("Tax and fee relief"),
                qualification=_("Qualification recognition"), factor=_("Production factor support"),
                other=pgettext("policy item kind", "Other"))


def mode_label(value) -> str:
    """免申即享 / 即申即享 / 申报审核."""
    return pick(value, automatic=_("Granted without application"), instant=_("Granted on application"),
                review=_("Application and review"))


def status_label(value) -> str:
    """草稿 → 已发布 → 已到期 / 已废止."""
    return pick(value, draft=pgettext("policy item status", "Draft"),
                published=pgettext("policy item status", "Published"),
                expired=pgettext("policy item status", "Expired"), repealed=pgettext("policy item status", "Repealed"))


def promise_status_label(value) -> str:
    """待兑现 / 已兑现 / 已撤销."""
    return pick(value, promised=_("To be delivered"),
                delivered=pgettext("investment promise", "Delivered"),
                cancelled=pgettext("investment promise", "Cancelled"))


def benefit_kind_label(value) -> str:
    """What an item gives: a fixed amount, a rate of a figure with a cap, or a text."""
    return pick(value, fixed=_("Fixed amount"), rate=_("Rate of a figure"), text=_("Described in words"))


LABELS = {
    "level": level_label, "kind": kind_label, "mode": mode_label, "status": status_label,
    "promise": promise_status_label, "benefit": benefit_kind_label,
}

# The codes named on the auditor's page: those the audit table does not already name (draft, published) and
# that are not so common another domain might record them (other).
_AUDITED = {
    **{v.value: level_label for v in PolicyLevel},
    **{v.value: kind_label for v in ItemKind if v != ItemKind.other},
    **{v.value: mode_label for v in DeliveryMode},
    **{v.value: status_label for v in ItemStatus if v not in (ItemStatus.draft, ItemStatus.published)},
    **{v.value: promise_status_label for v in PromiseStatus},
}


def _value_of_audit_entry(code: str) -> str | None:
    label = _AUDITED.get(code)
    return label(code) if label else None


audit_labels.register_value_labels(_value_of_audit_entry)
