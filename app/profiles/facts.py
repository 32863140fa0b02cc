"""A profile's facts on a day, as the eligibility core reads them (missing and stale fields marked)."""
from __future__ import annotations

from datetime import date

from flask import current_app

from app.platform.calendar import local_today
from app.profiles.models import EnterpriseProfile
from eligibility.fields import Facts, build_facts

DEFAULT_STALE_DAYS = 548


def stale_days() -> int:
    """After how many days a yearly figure is stale (POLICY_PROFILE_STALE_DAYS)."""
    return int(current_app.config.get("POLICY_PROFILE_STALE_DAYS", DEFAULT_STALE_DAYS))


def facts_of(profile: EnterpriseProfile, today: date | None = None) -> Facts:
    return build_facts(profile.record(), profile.updated_days(), today or local_today(), stale_days())
