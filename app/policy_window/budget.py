"""An item's budget (万元) and how much of it the payments have used.

The budget is the CURRENT version's (an edited item may raise or lower it); every payment on an application for
any version of the item draws it down. None when the item states no budget (nothing to exceed).
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.policy.models import PolicyItem, PolicyItemVersion
from app.policy_window.models import PolicyCase, PolicyPayment


def total(item: PolicyItem) -> Decimal | None:
    """The item's budget, from its current version."""
    current = item.current
    return current.budget if current is not None else None


def used(item: PolicyItem) -> Decimal:
    """Paid so far on every application of every version of the item."""
    paid = db.session.scalar(
        select(func.coalesce(func.sum(PolicyPayment.amount), 0))
        .join(PolicyCase, PolicyPayment.case_id == PolicyCase.id)
        .join(PolicyItemVersion, PolicyCase.item_version_id == PolicyItemVersion.id)
        .where(PolicyItemVersion.item_id == item.id))
    return Decimal(str(paid or 0)).quantize(Decimal("0.01"))


def left(item: PolicyItem) -> Decimal | None:
    """What is left of the budget (negative once exceeded with a recorded reason); None without a budget."""
    budget = total(item)
    return None if budget is None else budget - used(item)
