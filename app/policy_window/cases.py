"""Opening an application, whatever door it comes in by, and the one record of each step of its chain.

Window staff open one at the window (``Origin.window``), the enterprise from its personal link
(``Origin.online``, a draft until it hands it in), a 免申即享 batch for each enterprise on its reviewed list
(``Origin.automatic``, waiting for the enterprise's consent). The application records the item version it is
for, the enterprise's profile, its window, the materials checklist of the version, the figures the enterprise
declared and the eligibility re-run on them with its trace.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from app.audit import service as audit
from app.casework import service as casework
from app.casework.errors import CaseError
from app.platform.calendar import local_today
from app.platform.phones import current_vault, mask
from app.policy.explain import rule_set, trace_json
from app.policy.models import ItemStatus, PolicyItemVersion, PolicyWindow
from app.policy_window import links
from app.policy_window.models import Origin, PolicyCase, Stage
from app.profiles.contact import phone_of
from app.profiles.facts import stale_days
from app.profiles.models import EnterpriseProfile
from eligibility.fields import BY_KEY, NUMBER, build_facts

TRACKING_PREFIX = "ZC"  # 政策兑现: ZC20261207-0001
FIRST_STAGE = {Origin.window: Stage.intake, Origin.online: Stage.draft, Origin.automatic: Stage.consent}


def clean_declared(figures: dict[str, Any]) -> dict[str, float]:
    """The declared figures kept: numbers of known numeric profile fields only (others are refused)."""
    out: dict[str, float] = {}
    for key, value in (figures or {}).items():
        field = BY_KEY.get(key)
        if field is None or field.kind != NUMBER:
            raise CaseError(_("“%(key)s” is not a figure an application declares.", key=key))
        if value is None or value == "":
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError as error:
            raise CaseError(_("%(field)s: not a number.", field=_(field.label))) from error
        if not number.is_finite() or number < 0:
            raise CaseError(_("%(field)s: not a number.", field=_(field.label)))
        out[key] = float(number)
    return out


def check_eligibility(case: PolicyCase) -> None:
    """Re-run the version's rules on the profile as it is today, the declared figures taking the place of the
    profile's (declared today, so never stale); the result and its trace are kept with the application."""
    profile = case.profile
    record, updated = profile.record(), profile.updated_days()
    today = local_today()
    for key, value in (case.declared or {}).items():
        record[key], updated[key] = value, today
    match = rule_set(case.version).match(build_facts(record, updated, today, stale_days()))
    case.eligibility, case.trace = match.result.value, trace_json(match)


def open_case(version: PolicyItemVersion, profile: EnterpriseProfile, window: PolicyWindow, origin: Origin, *,
              actor=None, declared: dict[str, Any] | None = None, phone_e164: str | None = None,
              batch=None) -> PolicyCase:
    """A new application for ``version`` (its item must be published and this version current).

    ``phone_e164``: where its messages go; the profile's contact phone otherwise (or none).
    """
    item = version.item
    if item.status != ItemStatus.published or item.current_version_id != version.id:
        raise CaseError(_("Applications are taken only for the current version of a published item."))
    if phone_e164:
        sealed, masked = current_vault().seal(phone_e164), mask(phone_e164)
    else:  # the profile's contact phone, else its pool member's (as a push reaches it)
        known = phone_of(profile)
        sealed, masked = (known.sealed, known.masked) if known else ("", "")
    case = PolicyCase(version=version, profile=profile, window=window, origin=origin, stage=FIRST_STAGE[origin],
                      subject=f"{version.name} · {profile.name}"[:200], identity_shared=True, batch=batch,
                      declared=clean_declared(declared or {}),
                      materials=[{"name": name, "received": False} for name in version.materials or ()],
                      phone=sealed, phone_masked=masked)
    check_eligibility(case)
    casework.add_numbered(case, TRACKING_PREFIX)
    links.issue(case)
    casework.event(case, "applied", actor=actor)
    audit.record("policy.applied", casework.target(case),
                 {"item": item.code, "version": version.number, "window": window.id, "origin": origin.value,
                  "eligibility": case.eligibility}, actor=actor)
    return case


def move(case: PolicyCase, stage: Stage, step: str, note: str = "", *, public: bool = True, actor=None,
         details: dict | None = None) -> None:
    """Put the application at ``stage``: one history step (``step``, public unless said) and one audit entry
    ``policy.<step>`` — every state change of an application goes through here. ``step`` is one of
    ``app.policy_window.labels.STEPS`` (its name in the history and the audit log)."""
    before = case.stage
    case.stage = stage
    casework.event(case, step, note, public=public, actor=actor)
    audit.record(f"policy.{step}", casework.target(case),
                 {"from": before.value if before else None, "to": stage.value, **(details or {})}, actor=actor)
