"""Importing enterprise profiles from a spreadsheet: check the whole file, then apply it in one go or not at all.

The columns are named by their Chinese headers (the canonical names below are those headers, so that every
error names the column as the file shows it). Only 统一社会信用代码 is required. A row updates the profile with
its code, or creates one (which then needs 企业名称). Only the columns present in the file are touched; an empty
cell in a present column clears that field. Every field a row sets — changed or confirmed with the same value —
is dated with the row's 数据日期, or the import day: that date is what makes a figure current or stale.

资质 holds several qualifications separated by ；or ;, each written ``名称`` or ``名称（有效期至YYYY-MM-DD）``
(half-width brackets too).

Nothing is written while any row has an error: ``check`` finds everything, ``apply`` writes a plan without errors.
The staged preview keeps the uploaded file in ``StagedImport`` (as the pool import does) until it is confirmed.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, text

from app.audit import service as audit
from app.departments.service import RowError
from app.extensions import db
from app.platform import dates
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.i18n import translated
from app.platform.phones import PhoneError, current_vault, mask, normalise as normalise_phone
from app.platform.tabular import (
    CONTROL_CHARACTERS,
    TableError,
    control_character,
    display_name,
    normalise_header,
    read_table,
)
from app.pool.importing import parse_date
from app.pool.models import Respondent, StagedImport
from app.profiles.models import EnterpriseProfile
from eligibility import industries, uscc
from eligibility.fields import SIZES

# The columns: their Chinese header (also the name errors use), the profile's attribute, other headers accepted.
USCC, NAME, INDUSTRY, SIZE, DISTRICT, REGISTERED = "统一社会信用代码", "企业名称", "行业代码", "企业规模", "所属区县", "成立日期"
REVENUE, EMPLOYEES, TAX, RD = "上年营业收入(万元)", "从业人数", "上年纳税额(万元)", "研发投入占比(%)"
QUALIFICATIONS, CONTACT, PHONE, MEMBER, DATA_DATE = "资质", "联系人", "联系电话", "样本库编号", "数据日期"

COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    USCC: ("uscc", ("uscc", "信用代码", "社会信用代码")),
    NAME: ("name", ("name", "企业名称", "名称", "单位名称")),
    INDUSTRY: ("industry", ("industry", "行业", "行业分类", "国民经济行业代码")),
    SIZE: ("size", ("size", "规模")),
    DISTRICT: ("district", ("district", "区县", "县区")),
    REGISTERED: ("registered_on", ("registered_on", "注册日期", "成立时间")),
    REVENUE: ("revenue", ("revenue", "上年营业收入", "营业收入(万元)", "营业收入")),
    EMPLOYEES: ("employees", ("employees", "职工人数")),
    TAX: ("tax_paid", ("tax_paid", "上年纳税额", "纳税额(万元)", "纳税额")),
    RD: ("rd_ratio", ("rd_ratio", "研发投入占比", "研发费用占比(%)", "研发费用占比")),
    QUALIFICATIONS: ("qualifications", ("qualifications",)),
    CONTACT: ("contact_name", ("contact_name", "联系人姓名")),
    PHONE: ("contact_phone", ("contact_phone", "联系人手机", "手机", "手机号码")),
    MEMBER: ("respondent_id", ("key", "样本编号", "成员编号")),
    DATA_DATE: ("data_date", ("data_date", "数据截至日期")),
}
HEADER_ALIASES = {normalise_header(alias): header
                  for header, (_attr, aliases) in COLUMNS.items() for alias in (header, *aliases)}
ATTRIBUTE = {header: attr for header, (attr, _aliases) in COLUMNS.items()}
# The headers of the fields a profile keeps (not the code, the pool link or the data date).
DATED = (NAME, INDUSTRY, SIZE, DISTRICT, REGISTERED, REVENUE, EMPLOYEES, TAX, RD, QUALIFICATIONS, CONTACT, PHONE)

MAX_LENGTHS = {NAME: 200, DISTRICT: 50, CONTACT: 50}
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_EMPLOYEES = 10_000_000
EARLIEST_REGISTRATION = date(1900, 1, 1)
MAX_QUALIFICATION_NAME = 50
PREVIEW_ERROR_LIMIT = 500
STAGED_KIND = "profiles"  # marks this import's staged files apart from the pool's in the shared table

SIZE_WORDS = {**{s: s for s in SIZES}, **{s[0]: s for s in SIZES}, **{s + "企业": s for s in SIZES}}
QUALIFICATION = re.compile(r"^(?P<name>[^（()）]+?)\s*[（(]\s*有效期至\s*(?P<day>[^（()）]+?)\s*[）)]$")
SEPARATORS = re.compile(r"[;；]")


class CellError(ValueError):
    """Why one cell (or one field of the edit form) cannot be read."""


# --- reading one value (shared with the edit form, so that both accept exactly the same) --------------------------

def parse_text(header: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        limit = MAX_LENGTHS.get(header)
        if limit and len(value) > limit:
            raise CellError(_("Longer than %(limit)d characters.", limit=limit))
        return value
    return parse


def parse_industry(value: str) -> str:
    if not value:
        return ""
    try:
        return industries.normalise(value)
    except industries.IndustryError as exc:
        raise CellError(translated(exc)) from None


def parse_size(value: str) -> str:
    if not value:
        return ""
    size = SIZE_WORDS.get("".join(value.split()))
    if size is None:
        raise CellError(_("Write the size as 大, 中, 小 or 微 (or 大型, 中型, 小型, 微型)."))
    return size


def parse_day(value: str, low: date, high: date, label: str) -> date | None:
    if not value:
        return None
    day = parse_date(value)
    if day is None:
        raise CellError(_("Not a date (use YYYY-MM-DD)."))
    problem = dates.out_of_range(label, day, low, high)
    if problem:
        raise CellError(problem)
    return day


def parse_registered(value: str) -> date | None:
    return parse_day(value, EARLIEST_REGISTRATION, local_today(), REGISTERED)


def _number(value: str) -> Decimal:
    cleaned = value.replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("Not a number.")) from None
    if not number.is_finite():
        raise CellError(_("Not a number."))
    return number


def parse_amount(value: str) -> Decimal | None:
    if not value:
        return None
    number = _number(value)
    if number < 0 or number > MAX_AMOUNT:
        raise CellError(_("Must be between 0 and %(max)s (in 10k yuan).", max="999999999999.99"))
    return number.quantize(Decimal("0.01"), ROUND_HALF_UP)


def parse_ratio(value: str) -> Decimal | None:
    if not value:
        return None
    number = _number(value.rstrip("%％"))
    if number < 0 or number > 100:
        raise CellError(_("A percentage between 0 and 100."))
    return number.quantize(Decimal("0.01"), ROUND_HALF_UP)


def parse_employees(value: str) -> int | None:
    if not value:
        return None
    number = _number(value)
    if number != number.to_integral_value() or number < 0 or number > MAX_EMPLOYEES:
        raise CellError(_("A whole number of people between 0 and %(max)d.", max=MAX_EMPLOYEES))
    return int(number)


def parse_qualifications(value: str) -> list[dict[str, Any]]:
    """``高新技术企业（有效期至2027-12-31）；专精特新`` as [{"name", "valid_to"}] in the order written."""
    held: list[dict[str, Any]] = []
    for item in (part.strip() for part in SEPARATORS.split(value or "")):
        if not item:
            continue
        match = QUALIFICATION.match(item)
        if match:
            name, written = match.group("name").strip(), match.group("day")
            day = parse_date(written)
            if day is None:
                raise CellError(_("“%(item)s”: the valid-to date is not a date (use YYYY-MM-DD).", item=item))
            valid_to = day.isoformat()
        elif any(mark in item for mark in "（()）:：") or "有效期" in item:
            raise CellError(_("“%(item)s”: write a qualification as 名称 or 名称（有效期至YYYY-MM-DD）, several "
                              "separated by ；", item=item))
        else:
            name, valid_to = item, None
        if len(name) > MAX_QUALIFICATION_NAME:
            raise CellError(_("“%(item)s”: a qualification's name has at most %(limit)d characters.", item=name,
                              limit=MAX_QUALIFICATION_NAME))
        if any(q["name"] == name for q in held):
            raise CellError(_("“%(item)s” is named twice.", item=name))
        held.append({"name": name, "valid_to": valid_to})
    return held


def qualifications_text(held: list[dict[str, Any]] | None) -> str:
    """The stored qualifications written back in the import's syntax (for the edit form)."""
    return "；".join(f"{q['name']}（有效期至{q['valid_to']}）" if q.get("valid_to") else q["name"]
                    for q in held or ())


@dataclass(frozen=True)
class Phone:
    """A contact mobile ready for the profile's three columns; all empty when cleared."""

    sealed: str = ""
    hash: str = ""
    masked: str = ""


def parse_phone(value: str, current_masked: str = "") -> Phone | None:
    """None means "unchanged" (the masked number shown back, as in a re-imported export or the edit form)."""
    if not value:
        return Phone()
    if current_masked and value == current_masked:
        return None
    try:
        e164 = normalise_phone(value)
    except PhoneError:
        raise CellError(_("Not a valid mainland China mobile number.")) from None
    vault = current_vault()
    return Phone(vault.seal(e164), vault.lookup_hash(e164), mask(e164))


PARSERS: dict[str, Callable[[str], Any]] = {
    NAME: parse_text(NAME), INDUSTRY: parse_industry, SIZE: parse_size, DISTRICT: parse_text(DISTRICT),
    REGISTERED: parse_registered, REVENUE: parse_amount, EMPLOYEES: parse_employees, TAX: parse_amount,
    RD: parse_ratio, QUALIFICATIONS: parse_qualifications, CONTACT: parse_text(CONTACT),
}


def current_value(profile: EnterpriseProfile, header: str) -> Any:
    return getattr(profile, ATTRIBUTE[header])


def set_field(profile: EnterpriseProfile, header: str, value: Any) -> None:
    """Give ``profile`` the parsed ``value`` of a column (a phone goes into its three columns)."""
    if header == PHONE:
        profile.contact_phone, profile.contact_phone_hash, profile.contact_phone_masked = \
            value.sealed, value.hash, value.masked
    else:
        setattr(profile, ATTRIBUTE[header], value)


def differs(profile: EnterpriseProfile, header: str, value: Any) -> bool:
    if header == PHONE:
        return value is not None and value.hash != (profile.contact_phone_hash or "")
    if header == MEMBER:
        return value != profile.respondent_id
    current = current_value(profile, header)
    if header == QUALIFICATIONS:
        return list(value) != list(current or [])
    if isinstance(value, str):
        return value != (current or "")
    return value != current


def dated(field_updated: dict[str, str] | None, headers, day: date, changed: set[str]) -> dict[str, str]:
    """``field_updated`` with each of ``headers``' fields dated ``day``: always for a changed value, and for an
    unchanged one only forward (a file of older data confirms nothing newer)."""
    out = dict(field_updated or {})
    iso = day.isoformat()
    for header in headers:
        key = ATTRIBUTE[header]
        if header in changed or out.get(key, "") < iso:
            out[key] = iso
    return out


# --- the whole file ------------------------------------------------------------------------------------------------

@dataclass
class RowPlan:
    row: int
    code: str
    profile_id: int | None  # None: a new profile
    values: dict[str, Any]  # header → parsed value, for every present column
    changed: set[str]  # the headers whose value differs from the stored one (all, for a new profile)
    day: date


@dataclass
class ProfileImportPlan:
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    columns: list[str] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def to_create(self) -> int:
        return sum(1 for r in self.rows if r.profile_id is None)

    @property
    def to_update(self) -> int:
        return sum(1 for r in self.rows if r.profile_id is not None and r.changed)

    @property
    def unchanged(self) -> int:
        return sum(1 for r in self.rows if r.profile_id is not None and not r.changed)

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> dict:
        """JSON-friendly findings for the preview page."""
        return {
            "kind": STAGED_KIND, "rows_read": self.rows_read, "to_create": self.to_create,
            "to_update": self.to_update, "unchanged": self.unchanged, "error_count": len(self.errors),
            "error_rows": self.error_rows, "errors": [e.__dict__ for e in self.errors[:PREVIEW_ERROR_LIMIT]],
            "columns": self.columns, "extra_headers": self.extra_headers,
        }


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int


def check(filename: str, data: bytes) -> ProfileImportPlan:
    """Read and validate the whole file against the stored profiles and the pool; change nothing."""
    plan = ProfileImportPlan()
    try:
        table = read_table(filename, data, HEADER_ALIASES, required=(USCC,),
                           max_uncompressed=current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
                           max_bytes=current_app.config["IMPORT_MAX_BYTES"])
        plan.columns, plan.extra_headers = table.fields, table.extra_headers
        _check_rows(table.rows, plan)
    except TableError as exc:
        return ProfileImportPlan(errors=[RowError(exc.row or 1, "", "", str(exc))])
    if plan.rows_read == 0 and not plan.errors:
        plan.errors.append(RowError(2, "", "", _("The file has a header but no data rows.")))
    return plan


def _check_rows(rows, plan: ProfileImportPlan) -> None:
    profiles = {p.uscc: p for p in db.session.scalars(select(EnterpriseProfile))}
    linked = {p.respondent_id: p.uscc for p in profiles.values() if p.respondent_id is not None}
    members = dict(db.session.execute(select(Respondent.key, Respondent.id)).tuples().all())
    first_row_of_code: dict[str, int] = {}
    first_row_of_member: dict[int, int] = {}
    today = local_today()

    for number, cells, extra in rows:
        plan.rows_read += 1
        errors_before = len(plan.errors)

        def error(column: str, value: str, reason: str) -> None:
            plan.errors.append(RowError(number, column, CONTROL_CHARACTERS.sub("\ufffd", value[:60]), reason))

        for column, value in [*cells.items(), *extra.items()]:
            bad = control_character(value)
            if bad:
                error(column, value, _("Contains a control character (%(char)s) that a spreadsheet cannot hold.",
                                       char=bad))
        if len(plan.errors) > errors_before:
            continue

        code = ""
        if not cells.get(USCC):
            error(USCC, "", _("Missing required field."))
        else:
            try:
                code = uscc.normalise(cells[USCC])
            except uscc.UsccError as exc:
                error(USCC, cells[USCC], translated(exc))
            else:
                if code in first_row_of_code:
                    error(USCC, code, _("Duplicate of row %(row)d in this file.", row=first_row_of_code[code]))
                else:
                    first_row_of_code[code] = number
        profile = profiles.get(code)

        values: dict[str, Any] = {}
        for header, parse in PARSERS.items():
            if header in cells:
                try:
                    values[header] = parse(cells[header])
                except CellError as exc:
                    error(header, cells[header], str(exc))
        if PHONE in cells:
            try:
                values[PHONE] = parse_phone(cells[PHONE], profile.contact_phone_masked if profile else "")
            except CellError as exc:
                error(PHONE, cells[PHONE], str(exc))
            if values.get(PHONE, Phone()) is None:
                del values[PHONE]  # the masked number shown back: unchanged
        if MEMBER in cells:
            key = cells[MEMBER].strip().upper()
            member_id = members.get(key) if key else None
            if key and member_id is None:
                error(MEMBER, key, _("No member has this key."))
            elif member_id is not None and member_id in first_row_of_member:
                error(MEMBER, key, _("Duplicate of row %(row)d in this file.", row=first_row_of_member[member_id]))
            elif member_id is not None and linked.get(member_id, code) != code:
                error(MEMBER, key, _("This pool member already has the profile of %(code)s.", code=linked[member_id]))
            else:
                values[MEMBER] = member_id
                if member_id is not None:
                    first_row_of_member[member_id] = number
        day = today
        if cells.get(DATA_DATE):
            try:
                day = parse_day(cells[DATA_DATE], *dates.bounds(), DATA_DATE) or today
            except CellError as exc:
                error(DATA_DATE, cells[DATA_DATE], str(exc))

        if profile is None and code and not values.get(NAME):
            error(NAME, cells.get(NAME, ""), _("A new profile needs the enterprise's name."))
        elif profile is not None and NAME in values and not values[NAME]:
            error(NAME, "", _("The enterprise's name cannot be cleared."))

        if len(plan.errors) > errors_before:
            continue
        if profile is None:
            changed = set(values)
        else:
            changed = {header for header, value in values.items() if differs(profile, header, value)}
        plan.rows.append(RowPlan(number, code, profile.id if profile else None, values, changed, day))


def apply(plan: ProfileImportPlan, *, filename: str) -> ImportReport:
    """Write a checked plan in the current transaction (the caller commits); a plan with errors is refused."""
    if plan.errors:
        raise ValueError("the import has errors: nothing is written")
    for row in plan.rows:
        profile = db.session.get(EnterpriseProfile, row.profile_id) if row.profile_id else None
        if profile is None:
            profile = EnterpriseProfile(uscc=row.code, qualifications=[], field_updated={})
            db.session.add(profile)
        for header, value in row.values.items():
            if header in row.changed:
                set_field(profile, header, value)
        present = [h for h in row.values if h in DATED]
        profile.field_updated = dated(profile.field_updated, present, row.day, row.changed)
    db.session.flush()
    report = ImportReport(plan.to_create, plan.to_update, plan.unchanged)
    audit.record("profile.import", "profiles", {"added": report.created, "updated": report.updated,
                                                "unchanged": report.unchanged})
    return report


def lock() -> None:
    """One profile import at a time (PostgreSQL): two at once could both create the same code."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x70726F66})  # "prof"


def check_and_apply(filename: str, data: bytes) -> tuple[ImportReport | None, ProfileImportPlan]:
    """Check the file and, if it has no error, apply it (the caller commits); (None, plan) otherwise."""
    lock()
    plan = check(filename, data)
    if plan.errors:
        return None, plan
    return apply(plan, filename=filename), plan


# --- the preview between upload and confirmation -------------------------------------------------------------------

def stage(user, filename: str, data: bytes) -> StagedImport:
    """Check an uploaded file and keep it, with its findings, until it is confirmed or cancelled."""
    _purge_expired()
    plan = check(filename, data)
    staged = StagedImport(token=secrets.token_urlsafe(24), user_id=user.id, filename=display_name(filename, 255),
                          data=data, summary=plan.summary())
    db.session.add(staged)
    return staged


def staged_for(token: str, user) -> StagedImport | None:
    """The user's own staged profile file, if it has not expired."""
    _purge_expired()
    staged = db.session.scalar(select(StagedImport).where(StagedImport.token == token,
                                                          StagedImport.user_id == user.id))
    if staged is None or (staged.summary or {}).get("kind") != STAGED_KIND:
        return None
    return staged


def commit_staged(staged: StagedImport) -> tuple[ImportReport | None, ProfileImportPlan]:
    """Check the staged file again (profiles or the pool may have changed since the preview) and apply it."""
    report, plan = check_and_apply(staged.filename, staged.data)
    if report is None:
        staged.summary = plan.summary()
        return None, plan
    db.session.delete(staged)
    return report, plan


def discard(staged: StagedImport) -> None:
    db.session.delete(staged)


def _purge_expired() -> None:
    """Uploaded files hold phone numbers: never keep them past their time."""
    cutoff = utcnow() - timedelta(hours=current_app.config["STAGED_IMPORT_TTL_HOURS"])
    db.session.execute(delete(StagedImport).where(StagedImport.created_at < cutoff))
