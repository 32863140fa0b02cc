"""Enterprise profiles: finding them, their facts with missing and stale fields, and editing one by hand."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, select

from app.audit import service as audit
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import Respondent
from app.profiles import importing
from app.profiles.facts import facts_of
from app.profiles.importing import (
    CONTACT, DISTRICT, EMPLOYEES, INDUSTRY, NAME, PHONE, QUALIFICATIONS, RD, REGISTERED, REVENUE, SIZE, TAX,
)
from app.profiles.models import EnterpriseProfile
from eligibility import industries
from eligibility.fields import STORED, Facts

INCOMPLETE_CHOICES = ("missing", "stale", "either")


class ProfileError(ValueError):
    """An edit that cannot be saved; its text says which field and why."""


def facts(profile: EnterpriseProfile, today: date | None = None) -> Facts:
    """What policy rules would read of this profile today: values, and the missing and stale fields."""
    return facts_of(profile, today)


def profile_query(search: str = "", size: str = "", district: str = "") -> Select:
    """Profiles filtered as the list page asks, by name."""
    query = select(EnterpriseProfile).order_by(EnterpriseProfile.name, EnterpriseProfile.id)
    if size:
        query = query.where(EnterpriseProfile.size == size)
    if district:
        query = query.where(EnterpriseProfile.district == district)
    if search:
        query = query.where(EnterpriseProfile.name.contains(search, autoescape=True)
                            | EnterpriseProfile.district.contains(search, autoescape=True)
                            | EnterpriseProfile.uscc.contains(search.strip().upper(), autoescape=True))
    return query


def gaps(profile: EnterpriseProfile, today: date | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The stored fields of ``profile`` that are missing, and those that are stale (derived facts left out)."""
    known = facts(profile, today)
    return known.missing & frozenset(STORED), known.stale & frozenset(STORED)


def incomplete_ids(query: Select, which: str, today: date | None = None) -> list[int]:
    """The ids, among ``query``'s profiles, with a stored field missing, stale or either (``which``)."""
    today = today or local_today()
    ids = []
    for profile in db.session.scalars(query):
        missing, stale = (bool(fields) for fields in gaps(profile, today))
        wanted = {"missing": missing, "stale": stale, "either": missing or stale}
        if wanted.get(which):
            ids.append(profile.id)
    return ids


def districts() -> list[str]:
    return [d for d in db.session.scalars(select(EnterpriseProfile.district).distinct()
                                          .order_by(EnterpriseProfile.district)) if d]


@dataclass(frozen=True)
class FieldLine:
    """One line of a profile's page: a field, its value as shown, the day it was last set, and its state."""

    label: Any
    value: str
    updated: str
    missing: bool
    stale: bool
    qualifications: list[dict[str, Any]] | None = None
    literal: str = ""  # a code shown before the value, not a word (the industry code)


LABELS = {
    NAME: _l("Enterprise name"), INDUSTRY: _l("Industry code"), SIZE: _l("Enterprise size"),
    DISTRICT: _l("County or district"), REGISTERED: _l("Date registered"),
    REVENUE: _l("Last year's revenue (10k yuan)"), EMPLOYEES: _l("Employees"),
    TAX: _l("Last year's tax paid (10k yuan)"), RD: _l("R&D spending ratio (%)"),
    QUALIFICATIONS: _l("Qualifications"), CONTACT: _l("Contact person"), PHONE: _l("Contact mobile"),
}


def _shown(profile: EnterpriseProfile, header: str) -> str:
    if header == PHONE:
        return profile.contact_phone_masked or ""
    value = importing.current_value(profile, header)
    if header == INDUSTRY:
        return industries.label(value).partition(" ")[2] if value else ""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def field_lines(profile: EnterpriseProfile, today: date | None = None) -> list[FieldLine]:
    today = today or local_today()
    known = facts(profile, today)
    updated = profile.field_updated or {}
    lines = []
    for header, label in LABELS.items():
        key = importing.ATTRIBUTE[header]
        held = None
        if header == QUALIFICATIONS:
            held = [{**q, "expired": bool(q.get("valid_to")) and q["valid_to"] < today.isoformat()}
                    for q in profile.qualifications or ()]
        lines.append(FieldLine(label, _shown(profile, header), updated.get(key, ""),
                               key in known.missing, key in known.stale, held,
                               profile.industry if header == INDUSTRY else ""))
    return lines


def update_profile(profile: EnterpriseProfile, values: dict[str, Any]) -> list[str]:
    """Save the edit form's parsed ``values`` (column header → value); the changed fields are dated today.

    Returns the changed fields' keys (nothing is recorded when nothing changed).
    """
    if NAME in values and not values[NAME]:
        raise ProfileError(str(_l("The enterprise's name cannot be cleared.")))
    changed = {header for header, value in values.items() if importing.differs(profile, header, value)}
    if not changed:
        return []
    for header in changed:
        importing.set_field(profile, header, values[header])
    profile.field_updated = importing.dated(profile.field_updated, [h for h in changed if h in importing.DATED],
                                            local_today(), changed)
    keys = sorted(importing.ATTRIBUTE[h] for h in changed)
    audit.record("profile.update", f"profile:{profile.id}", {"fields": keys})
    return keys


# The edit form's fields and the columns whose parser reads them.
FORM_FIELDS = {
    "name": NAME, "industry": INDUSTRY, "size": SIZE, "district": DISTRICT, "registered_on": REGISTERED,
    "revenue": REVENUE, "employees": EMPLOYEES, "tax_paid": TAX, "rd_ratio": RD, "qualifications": QUALIFICATIONS,
    "contact_name": CONTACT, "contact_phone": PHONE, "member_key": importing.MEMBER,
}


def form_texts(profile: EnterpriseProfile) -> dict[str, str]:
    """The edit form's initial texts: each field as the import would read it back unchanged."""
    texts = {name: _shown(profile, header) for name, header in FORM_FIELDS.items()
             if header not in (INDUSTRY, QUALIFICATIONS, importing.MEMBER)}
    texts["industry"] = profile.industry or ""
    texts["qualifications"] = importing.qualifications_text(profile.qualifications)
    texts["member_key"] = profile.respondent.key if profile.respondent is not None else ""
    return texts


def read_form(profile: EnterpriseProfile, texts: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The edit form's texts parsed as the import parses its cells: (values by column, errors by form field)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, header in FORM_FIELDS.items():
        text = (texts.get(name) or "").strip()
        try:
            if header == QUALIFICATIONS:
                values[header] = importing.parse_qualifications(text.replace("\r", "").replace("\n", "；"))
            elif header == PHONE:
                phone = importing.parse_phone(text, profile.contact_phone_masked)
                if phone is not None:
                    values[header] = phone
            elif header == importing.MEMBER:
                values[header] = _member_id(profile, text)
            else:
                values[header] = importing.PARSERS[header](text)
        except importing.CellError as exc:
            errors[name] = str(exc)
    if not values.get(NAME) and "name" not in errors:
        errors["name"] = str(_l("The enterprise's name cannot be cleared."))
    return values, errors


def _member_id(profile: EnterpriseProfile, key: str) -> int | None:
    if not key:
        return None
    member = db.session.scalar(select(Respondent).where(Respondent.key == key.upper()))
    if member is None:
        raise importing.CellError(str(_l("No member has this key.")))
    holder = db.session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.respondent_id == member.id,
                                                               EnterpriseProfile.id != profile.id))
    if holder is not None:
        raise importing.CellError(str(_l("This pool member already has the profile of %(code)s.", code=holder.uscc)))
    return member.id


def restore_push(profile: EnterpriseProfile, reason: str, actor=None) -> None:
    """Policy messages to this enterprise again, after it asked for none (at its request, with the reason)."""
    if profile.push_opted_out_at is None:
        raise ProfileError(_("This enterprise receives policy messages."))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ProfileError(_("Say how the enterprise asked for it (at least 5 characters)."))
    profile.push_opted_out_at = None
    audit.record("profile.push_restore", f"profile:{profile.id}", {"reason_given": True}, actor=actor)
