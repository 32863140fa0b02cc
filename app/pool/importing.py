"""Importing the respondent pool from a spreadsheet: validate everything, then commit in one go.

Operators receive these files from other offices, so this is where real-world
mess arrives. ``check`` reads the whole file and returns a plan: what each
valid row would do (add / update / nothing) and every problem, located by row
and column. ``commit`` applies a plan in one transaction, and only if it has
no errors — unless the operator explicitly asks to import the valid rows only.

Matching: a row with a member key (编号) updates that member; otherwise a row
is matched to a member by phone number. A member who opted out is never
re-enrolled by an import.
"""
from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, text, update

from app.audit import service as audit
from app.departments.service import RowError
from app.extensions import db
from app.platform import dates
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.platform.tabular import (
    CONTROL_CHARACTERS,
    TableError,
    control_character,
    display_name,
    normalise_header,
    read_table,
)
from app.pool.models import MemberStatus, Respondent, RespondentCategory, StagedImport

HEADER_ALIASES = {
    normalise_header(text): name
    for name, texts in {
        "key": ["key", "编号", "成员编号", "样本编号"],
        "name": ["name", "姓名", "联系人", "联系人姓名"],
        "category": ["category", "类别", "主体类别", "样本类别", "分类", "类型"],
        "district": ["district", "区县", "县区", "所属区县", "区域", "地区"],
        "organisation": ["organisation", "organization", "单位", "工作单位", "单位名称", "企业名称", "公司"],
        "phone": ["phone", "mobile", "手机", "手机号", "手机号码", "联系电话", "电话"],
        "enrolled_on": ["enrolled_on", "入库日期", "加入日期", "入库时间"],
        # Columns of our own export, recognised so that a re-imported export changes nothing:
        # status and draw counters are managed by the platform, never by a file.
        "status": ["status", "状态"],
        "times_drawn": ["times_drawn", "抽中次数"],
    }.items()
    for text in texts
}
REQUIRED_FIELDS = ("name", "category", "phone")
MAX_LENGTHS = {"name": 100, "district": 50, "organisation": 200}
# Errors kept for the preview page; the count is always exact.
PREVIEW_ERROR_LIMIT = 500


@dataclass
class PoolImportPlan:
    """What an import would do. Rows are dicts of column values ready for the database."""

    to_add: list[dict] = field(default_factory=list)
    to_update: list[dict] = field(default_factory=list)  # each with "id" and only the changed columns
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0
    by_category: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    extra_headers: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> dict:
        """JSON-friendly findings for the preview page."""
        return {
            "rows_read": self.rows_read,
            "to_add": len(self.to_add),
            "to_update": len(self.to_update),
            "unchanged": self.unchanged,
            "error_count": len(self.errors),
            "error_rows": self.error_rows,
            "errors": [e.__dict__ for e in self.errors[:PREVIEW_ERROR_LIMIT]],
            "by_category": {k: dict(v) for k, v in self.by_category.items()},
            "extra_headers": self.extra_headers,
        }


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    skipped_rows: int


def category_lookup() -> dict[str, RespondentCategory]:
    """Categories by key, Chinese label and English label (case-insensitive)."""
    lookup: dict[str, RespondentCategory] = {}
    for category in db.session.scalars(select(RespondentCategory)):
        for name in (category.key, category.label_zh, category.label_en):
            if name:
                lookup[normalise_header(name)] = category
    return lookup


def parse_date(text_value: str) -> date | None:
    """YYYY-MM-DD, YYYY/MM/DD or YYYY.MM.DD (a time part is ignored); None if it is not one of those."""
    head = text_value.strip().split(" ")[0].replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in head.split("-")))
    except ValueError:
        return None


def check(filename: str, data: bytes) -> PoolImportPlan:
    """Read and validate the whole file against the current pool; change nothing."""
    plan = PoolImportPlan()
    try:
        table = read_table(filename, data, HEADER_ALIASES, required=REQUIRED_FIELDS,
                           max_uncompressed=current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
                           max_bytes=current_app.config["IMPORT_MAX_BYTES"])
        plan.extra_headers = table.extra_headers
        _check_rows(table.rows, plan)
    except TableError as exc:
        return PoolImportPlan(errors=[RowError(exc.row or 1, "", "", str(exc))])
    if plan.rows_read == 0 and not plan.errors:
        plan.errors.append(RowError(2, "", "", _("The file has a header but no data rows.")))
    return plan


class _Pool:
    """The current pool, indexed the ways the import looks members up."""

    def __init__(self):
        columns = (Respondent.id, Respondent.key, Respondent.name, Respondent.category_id, Respondent.district,
                   Respondent.organisation, Respondent.phone_hash, Respondent.phone_masked, Respondent.status,
                   Respondent.status_changed_on, Respondent.attributes)
        self.by_hash: dict[str, object] = {}
        self.by_key: dict[str, object] = {}
        self.by_person: dict[tuple[str, str], object] = {}
        for member in db.session.execute(select(*columns)):
            self.by_key[member.key.upper()] = member
            if member.status == MemberStatus.active or member.phone_hash not in self.by_hash:
                self.by_hash[member.phone_hash] = member
            if member.status == MemberStatus.active and member.organisation:
                self.by_person[(member.name, member.organisation)] = member


def _check_rows(rows, plan: PoolImportPlan) -> None:
    categories = category_lookup()
    pool = _Pool()
    vault = current_vault()
    first_row_of_phone: dict[str, int] = {}
    first_row_of_key: dict[str, int] = {}

    for number, cells, extra in rows:
        plan.rows_read += 1
        errors_before = len(plan.errors)

        def error(column: str, value: str, reason: str) -> None:
            plan.errors.append(RowError(number, column, CONTROL_CHARACTERS.sub("\ufffd", value), reason))

        for column, value in [*cells.items(), *extra.items()]:
            bad = control_character(value)
            if bad:
                error(column, value[:40], _("Contains a control character (%(char)s) that a spreadsheet cannot hold.",
                                            char=bad))

        name = cells.get("name", "")
        for column in REQUIRED_FIELDS:
            if not cells.get(column, ""):
                error(column, "", _("Missing required field."))
        for column, limit in MAX_LENGTHS.items():
            if len(cells.get(column, "")) > limit:
                error(column, cells[column][:40], _("Longer than %(limit)d characters.", limit=limit))

        category = None
        if cells.get("category"):
            category = categories.get(normalise_header(cells["category"]))
            if category is None:
                error("category", cells["category"], _("Unknown category."))

        phone_hash = phone_e164 = None
        phone_text = cells.get("phone", "")
        key = cells.get("key", "").strip().upper()
        member = pool.by_key.get(key) if key else None
        if key and member is None:
            error("key", key, _("No member has this key."))
        elif key and key in first_row_of_key:
            error("key", key, _("Duplicate of row %(row)d in this file.", row=first_row_of_key[key]))
        if phone_text:
            if member is not None and phone_text == member.phone_masked:
                phone_hash = member.phone_hash  # a re-imported export: the masked number means "unchanged"
            else:
                try:
                    phone_e164 = normalise(phone_text)
                except PhoneError:
                    error("phone", phone_text, _("Not a valid mainland China mobile number."))
                else:
                    phone_hash = vault.lookup_hash(phone_e164)
        if phone_hash is not None:
            if phone_hash in first_row_of_phone:
                error("phone", mask(phone_e164) if phone_e164 else phone_text,
                      _("Duplicate of row %(row)d in this file.", row=first_row_of_phone[phone_hash]))
            else:
                first_row_of_phone[phone_hash] = number
            holder = pool.by_hash.get(phone_hash)
            if member is None and holder is not None:
                member = holder
            elif member is not None and holder is not None and holder.id != member.id \
                    and holder.status == MemberStatus.active:
                error("phone", mask(phone_e164 or ""),
                      _("Duplicate of existing member %(key)s.", key=holder.key))
        if key:
            first_row_of_key.setdefault(key, number)

        organisation = cells.get("organisation", "")
        if member is not None and member.status == MemberStatus.opted_out and not key:
            error("phone", member.phone_masked, _(
                "Member %(key)s opted out on %(day)s and is not re-enrolled by an import; "
                "reactivate them on their page if they agreed to return.",
                key=member.key, day=member.status_changed_on or "?"))
        elif member is None and organisation and (name, organisation) in pool.by_person:
            other = pool.by_person[(name, organisation)]
            error("name", name, _(
                "Duplicate of existing member %(key)s (same name and organisation, another phone). "
                "To change their phone, give their key in the 编号 column.", key=other.key))

        enrolled_on = None
        if cells.get("enrolled_on"):
            enrolled_on = parse_date(cells["enrolled_on"])
            if enrolled_on is None:
                error("enrolled_on", cells["enrolled_on"], _("Not a date (use YYYY-MM-DD)."))
            else:  # not in the future, not before the platform's records (issue 24, finding 9)
                problem = dates.out_of_range(_("Enrolled on"), enrolled_on, *dates.bounds())
                if problem:
                    error("enrolled_on", cells["enrolled_on"], problem)
                    enrolled_on = None

        if len(plan.errors) > errors_before:
            continue
        # A column the file does not have leaves that field alone (an empty cell does clear it).
        values = {"name": name, "category_id": category.id}
        values.update({f: cells[f] for f in ("district", "organisation") if f in cells})
        if member is None:
            plan.to_add.append({
                "district": "", "organisation": "", **values,
                "phone": vault.seal(phone_e164),
                "phone_hash": phone_hash,
                "phone_masked": mask(phone_e164),
                "enrolled_on": enrolled_on or local_today(),
                "attributes": extra,
                "status": MemberStatus.active,
            })
            plan.by_category[category.key]["add"] += 1
            continue
        changes = {k: v for k, v in values.items() if getattr(member, k) != v}
        if extra and {**member.attributes, **extra} != member.attributes:
            changes["attributes"] = {**member.attributes, **extra}
        if phone_hash != member.phone_hash:
            changes.update(phone=vault.seal(phone_e164), phone_hash=phone_hash, phone_masked=mask(phone_e164))
        if changes:
            plan.to_update.append({"id": member.id, **changes})
            plan.by_category[category.key]["update"] += 1
        else:
            plan.unchanged += 1
            plan.by_category[category.key]["unchanged"] += 1


def commit(plan: PoolImportPlan, *, filename: str, only_valid_rows: bool = False) -> ImportResult:
    """Apply a checked plan in the current transaction (the caller commits). Refuses a plan with errors
    unless ``only_valid_rows`` says to skip the rows that have them."""
    if plan.errors and not only_valid_rows:
        raise ValueError("the import has errors; fix the file or choose to import only the valid rows")
    if db.session.get_bind().dialect.name == "postgresql":
        # Two imports at once would hand out the same member keys.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": 0x706F6F6C})  # "pool"
    next_number = _next_key_number()
    today = local_today()
    for offset, values in enumerate(plan.to_add):
        values["key"] = f"P{next_number + offset:06d}"
        values["times_drawn"] = 0
        values["status_reason"] = ""
        values.setdefault("enrolled_on", today)
    if plan.to_add:
        # Core, not ORM, insert: the ORM's per-row bookkeeping doubles the time of a 100,000-row import.
        db.session.execute(insert(Respondent.__table__), plan.to_add)
    if plan.to_update:
        db.session.execute(update(Respondent), plan.to_update)
    result = ImportResult(len(plan.to_add), len(plan.to_update), plan.unchanged, plan.error_rows)
    audit.record("pool.import", "pool", {
        "file": filename, "added": result.added, "updated": result.updated,
        "unchanged": result.unchanged, "skipped_rows": result.skipped_rows,
    })
    return result


def _next_key_number() -> int:
    """One more than the highest P-number in use (keys are never reused)."""
    longest_first = select(Respondent.key).order_by(func.length(Respondent.key).desc(), Respondent.key.desc())
    last = db.session.scalar(longest_first.limit(1))
    return int(last[1:]) + 1 if last else 1


def stage(user, filename: str, data: bytes) -> StagedImport:
    """Check an uploaded file and keep it, with its findings, until the operator commits or cancels."""
    _purge_expired()
    plan = check(filename, data)
    staged = StagedImport(token=secrets.token_urlsafe(24), user_id=user.id, filename=display_name(filename, 255),
                          data=data, summary=plan.summary())
    db.session.add(staged)
    return staged


def staged_for(token: str, user) -> StagedImport | None:
    """The user's own staged file (nobody else's), if it has not expired."""
    _purge_expired()
    staged = db.session.scalar(select(StagedImport).where(StagedImport.token == token,
                                                          StagedImport.user_id == user.id))
    if staged is None or staged.created_at < _expiry_cutoff():
        return None
    return staged


def commit_staged(staged: StagedImport, *, only_valid_rows: bool) -> tuple[ImportResult | None, PoolImportPlan]:
    """Check the staged file again (the pool may have changed since the preview) and apply it.

    Returns (None, plan) when the new check found errors the operator has not agreed to skip.
    """
    plan = check(staged.filename, staged.data)
    if plan.errors and not only_valid_rows:
        staged.summary = plan.summary()
        return None, plan
    result = commit(plan, filename=staged.filename, only_valid_rows=only_valid_rows)
    db.session.delete(staged)
    return result, plan


def discard(staged: StagedImport) -> None:
    db.session.delete(staged)


def _expiry_cutoff():
    return utcnow() - timedelta(hours=current_app.config["STAGED_IMPORT_TTL_HOURS"])


def _purge_expired() -> None:
    """Uploaded files hold phone numbers: never keep them past their time."""
    db.session.execute(delete(StagedImport).where(StagedImport.created_at < _expiry_cutoff()))
