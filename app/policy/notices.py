"""The enterprise's personal page of a pushed item (/p/<token>): what it gets, why it matches, what to bring, where.

The page shows one notice's item version and the match result the notice was sent for — nothing of any other
enterprise, nothing of another item. Opening it marks the notice opened; the enterprise may ask for no more
policy messages there (``opt_out``), which every later push respects.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import format_decimal, gettext as _, lazy_gettext as _l
from sqlalchemy import or_, select

from app.audit import service as audit
from app.extensions import db
from app.platform.columns import utcnow
from app.policy import explain
from app.policy.models import DeliveryMode, PolicyItemVersion, PolicyNotice, PolicyWindow
from app.policy.push import find
from app.profiles.models import EnterpriseProfile
from eligibility.benefits import FIXED, RATE
from eligibility.evaluation import Result

MODE_NAMES = {
    DeliveryMode.automatic: _l("Delivered without an application"),
    DeliveryMode.instant: _l("Delivered at once on application"),
    DeliveryMode.review: _l("Delivered after application and review"),
}


class Access(str, enum.Enum):
    ok = "ok"
    expired = "expired"
    unknown = "unknown"


def access(token: str) -> tuple[Access, PolicyNotice | None]:
    """Whether a token opens a page now: its notice, or why not."""
    notice = find(token)
    if notice is None:
        return Access.unknown, None
    if notice.expires_at <= utcnow():
        return Access.expired, None
    return Access.ok, notice


def mark_opened(notice: PolicyNotice) -> None:
    """The first opening of the link (the caller commits)."""
    if notice.opened_at is None:
        notice.opened_at = utcnow()


def opt_out(notice: PolicyNotice) -> None:
    """No more policy messages to this enterprise (the caller commits)."""
    profile = notice.profile
    if profile.push_opted_out_at is None:
        profile.push_opted_out_at = utcnow()
        audit.record("policy.opt_out", f"profile:{profile.id}", {"notice": notice.id}, anonymous=True)


@dataclass(frozen=True)
class Estimate:
    """What a rate gives this enterprise: the amount, and the figure it was computed from."""

    amount: Decimal
    base_key: str
    base_value: float


def estimate(version: PolicyItemVersion, profile: EnterpriseProfile) -> Estimate | None:
    """For a rate, the amount from the profile's own figure (None when not a rate or the figure is unknown)."""
    found = version.benefit
    if found.kind != RATE:
        return None
    record = profile.record()
    amount = found.estimate(record)
    if amount is None:
        return None
    return Estimate(amount, found.base, record[found.base])


def windows(profile: EnterpriseProfile) -> list[PolicyWindow]:
    """The enterprise's district's window and the city's; every window when none of these exists."""
    order = (PolicyWindow.sort_order, PolicyWindow.name)
    near = list(db.session.scalars(select(PolicyWindow).where(or_(
        PolicyWindow.district == (profile.district or ""), PolicyWindow.district == "")).order_by(*order)))
    return near or list(db.session.scalars(select(PolicyWindow).order_by(*order)))


def wan(value: Decimal | float) -> str:
    """An amount in 万元 as read: 1,234.5 万元."""
    return f"{format_decimal(value)} {_('10k yuan')}"


def benefit_lines(version: PolicyItemVersion, found: Estimate | None) -> list[str]:
    """What the enterprise gets, in words: the amount, or the rate with its cap and the estimate, or the text."""
    what = version.benefit
    out = []
    if what.kind == FIXED and what.amount is not None:
        out.append(_("A fixed amount of %(amount)s.", amount=wan(what.amount)))
    elif what.kind == RATE and what.rate is not None:
        rate, base = format_decimal(what.rate), explain.field_label(what.base)
        out.append(_("%(rate)s%% of your %(base)s, at most %(cap)s.", rate=rate, base=base, cap=wan(what.cap))
                   if what.cap is not None else _("%(rate)s%% of your %(base)s.", rate=rate, base=base))
        if found is not None:
            out.append(_("Estimated from your %(base)s of %(value)s: about %(amount)s.",
                         base=explain.field_label(found.base_key), value=wan(found.base_value),
                         amount=wan(found.amount)))
    if what.text:
        out.append(what.text)
    return out


@dataclass(frozen=True)
class Page:
    """Everything the personal page shows, all of one notice."""

    notice: PolicyNotice
    version: PolicyItemVersion
    profile: EnterpriseProfile
    result: str
    result_label: str
    lines: list
    missing: list[str]
    windows: list[PolicyWindow]
    mode_name: str
    benefit: list[str]

    @property
    def asks_update(self) -> bool:
        return self.result == Result.missing.value


def page(notice: PolicyNotice) -> Page:
    version, profile, match = notice.version, notice.profile, notice.match
    return Page(notice=notice, version=version, profile=profile, result=notice.result,
                result_label=explain.result_label(notice.result), lines=explain.lines(version, match.trace),
                missing=[explain.field_label(k) for k in explain.missing_fields(match.trace)],
                windows=windows(profile),
                mode_name=str(MODE_NAMES[version.mode]),
                benefit=benefit_lines(version, estimate(version, profile)))
