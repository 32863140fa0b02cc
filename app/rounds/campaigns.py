"""Monthly rounds: creating them (the rest of their life arrives with the rounds issue)."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit import service as audit
from app.extensions import db
from app.rounds.models import Campaign


class CampaignError(ValueError):
    """A user-facing reason why a round change is refused."""


def recent():
    """Rounds, newest month first."""
    return (select(Campaign).options(selectinload(Campaign.draws))
            .order_by(Campaign.month.desc(), Campaign.id.desc()))


def create(month: str, title: str, user) -> Campaign:
    """A new round in draft, with the default sample plan."""
    year, _sep, number = month.partition("-")
    if not (year.isdigit() and number.isdigit() and len(year) == 4 and 1 <= int(number) <= 12):
        raise CampaignError(_("The month must look like 2026-11."))
    campaign = Campaign(month=f"{year}-{int(number):02d}", title=title.strip(), created_by_id=user.id if user else None)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", f"campaign:{campaign.id}", {"month": campaign.month, "title": campaign.title},
                 actor=user)
    return campaign


def find(identifier: str) -> Campaign | None:
    """A round by id, or by month when exactly one round has that month (for the command line)."""
    if identifier.isdigit():
        return db.session.get(Campaign, int(identifier))
    matches = list(db.session.scalars(select(Campaign).where(Campaign.month == identifier)))
    return matches[0] if len(matches) == 1 else None
