"""The respondent pool: listing, editing, status changes, composition and export."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from app.audit import labels as audit_labels, service as audit
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.exports import csv_bytes, formula_safe
from app.platform.phones import PhoneError, current_vault, mask, normalise
from app.pool.models import MemberStatus, Respondent, RespondentCategory


class PoolError(ValueError):
    """A user-facing reason why a pool change is refused."""


def member_query(category: str = "", district: str = "", status: str = "", search: str = "") -> Select:
    """Members filtered as the pool page asks, in key order."""
    query = select(Respondent).join(Respondent.category).order_by(Respondent.key)
    if category:
        query = query.where(RespondentCategory.key == category)
    if district:
        query = query.where(Respondent.district == district)
    if status in MemberStatus.__members__:
        query = query.where(Respondent.status == MemberStatus(status))
    if search:
        pattern = f"%{search}%"
        query = query.where(
            Respondent.name.ilike(pattern) | Respondent.organisation.ilike(pattern) | (Respondent.key == search.upper())
        )
    return query


def categories() -> list[RespondentCategory]:
    return list(db.session.scalars(select(RespondentCategory).order_by(RespondentCategory.sort_order)))


def districts() -> list[str]:
    """Districts present in the pool, for the filters."""
    return [d for d in db.session.scalars(select(Respondent.district).distinct().order_by(Respondent.district)) if d]


def update_member(member: Respondent, *, name: str, category_id: int, district: str, organisation: str,
                  phone: str) -> list[str]:
    """Change a member's details; returns the names of the changed fields (the audit log gets only those)."""
    changed = []
    for field_name, value in (("name", name.strip()), ("category_id", category_id),
                              ("district", district.strip()), ("organisation", organisation.strip())):
        if getattr(member, field_name) != value:
            setattr(member, field_name, value)
            changed.append(field_name)
    if phone.strip() and phone.strip() != member.phone_masked:
        try:
            e164 = normalise(phone)
        except PhoneError:
            raise PoolError(_("Not a valid mainland China mobile number.")) from None
        vault = current_vault()
        phone_hash = vault.lookup_hash(e164)
        if phone_hash != member.phone_hash or not member.phone:  # (no phone: erased by the retention purge)
            holder = db.session.scalar(select(Respondent).where(
                Respondent.phone_hash == phone_hash, Respondent.status == MemberStatus.active,
                Respondent.id != member.id))
            if holder is not None:
                raise PoolError(_("Duplicate of existing member %(key)s.", key=holder.key))
            member.phone, member.phone_hash, member.phone_masked = vault.seal(e164), phone_hash, mask(e164)
            changed.append("phone")
    if changed:
        audit.record("pool.member.update", f"respondent:{member.key}", {"fields": changed})
    return changed


def set_status(member: Respondent, status: MemberStatus, reason: str = "") -> None:
    """Pause, opt out or reactivate a member, with the date and the reason."""
    if member.status == status:
        return
    if status == MemberStatus.active and not member.phone:
        raise PoolError(_("The personal data of member %(key)s was erased on %(day)s under the retention rule; "
                          "enter their name and phone number again before reactivating them.",
                          key=member.key, day=member.erased_on or "?"))
    if status == MemberStatus.active:
        holder = db.session.scalar(select(Respondent).where(
            Respondent.phone_hash == member.phone_hash, Respondent.status == MemberStatus.active,
            Respondent.id != member.id))
        if holder is not None:
            raise PoolError(_("Another active member (%(key)s) now has this phone number.", key=holder.key))
    if status == MemberStatus.opted_out and not reason.strip():
        raise PoolError(_("Give the reason for the opt-out."))
    old = member.status
    member.status = status
    member.status_changed_on = local_today()
    member.status_reason = reason.strip()[:200]
    audit.record("pool.member.status", f"respondent:{member.key}",
                 {"from": old.value, "to": status.value, "reason": member.status_reason})


@dataclass
class Composition:
    """Active members per category and district, against each category's target."""

    categories: list[RespondentCategory]
    districts: list[str]
    counts: dict[tuple[int, str], int]  # (category id, district) → active members
    by_category: dict[int, int]
    by_district: dict[str, int]
    total: int
    target_total: int

    def shortfall(self, category: RespondentCategory) -> int:
        return max(category.target - self.by_category.get(category.id, 0), 0)


def composition() -> Composition:
    """The composition table the operator checks before a draw."""
    rows = db.session.execute(
        select(Respondent.category_id, Respondent.district, func.count())
        .where(Respondent.status == MemberStatus.active)
        .group_by(Respondent.category_id, Respondent.district)
    ).all()
    counts = {(c, d): n for c, d, n in rows}
    by_category: dict[int, int] = defaultdict(int)
    by_district: dict[str, int] = defaultdict(int)
    for (c, d), n in counts.items():
        by_category[c] += n
        by_district[d] += n
    cats = categories()
    return Composition(
        categories=cats,
        districts=sorted(by_district),
        counts=counts,
        by_category=dict(by_category),
        by_district=dict(by_district),
        total=sum(counts.values()),
        target_total=sum(c.target for c in cats),
    )


EXPORT_HEADER = ["编号", "姓名", "类别", "区县", "单位", "手机", "状态", "入库日期", "抽中次数"]


def export_rows():
    """The pool as rows for a spreadsheet: masked phones, formula-safe cells."""
    yield EXPORT_HEADER
    labels = {c.id: c.label_zh for c in categories()}
    status_labels = {MemberStatus.active: "在库", MemberStatus.paused: "暂停", MemberStatus.opted_out: "退出"}
    for m in db.session.scalars(select(Respondent).order_by(Respondent.key).execution_options(yield_per=2000)):
        yield [formula_safe(v) for v in (
            m.key, m.name, labels[m.category_id], m.district, m.organisation, m.phone_masked,
            status_labels[m.status], m.enrolled_on.isoformat(), m.times_drawn)]


def export_csv() -> bytes:
    """The pool as CSV (UTF-8 with a BOM, formula-safe, phones masked)."""
    return csv_bytes(export_rows())


def export_xlsx() -> bytes:
    """A one-sheet workbook with a frozen header row; every cell is stored as text."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("主体样本库")
    sheet.freeze_panes = "A2"
    for row in export_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_category(key: str, label_zh: str, label_en: str, target: int, sort_order: int) -> RespondentCategory:
    """A new sampling category (stratum); keys and Chinese labels are unique."""
    clash = db.session.scalar(select(RespondentCategory).where(
        (RespondentCategory.key == key) | (RespondentCategory.label_zh == label_zh.strip())))
    if clash is not None:
        raise PoolError(_("A category with this key or label already exists."))
    category = RespondentCategory(key=key, label_zh=label_zh.strip(), label_en=label_en.strip(), target=target,
                                  sort_order=sort_order)
    db.session.add(category)
    db.session.flush()
    audit.record("pool.category.create", f"category:{key}", {"label": category.label_zh, "target": target})
    return category


def set_targets(targets: dict[RespondentCategory, int]) -> None:
    """Set the categories' target sizes; the audit entry lists the changed ones."""
    changed = {}
    for category, target in targets.items():
        if category.target != target:
            changed[category.key] = [category.target, target]
            category.target = target
    if changed:
        audit.record("pool.targets", "pool", {"changes": changed})


def _categories_of_this_request() -> dict[str, RespondentCategory]:
    """The categories by key, read once per request."""
    from flask import g

    if g.get("category_labels") is None:
        g.category_labels = {c.key: c for c in db.session.scalars(select(RespondentCategory))}
    return g.category_labels


def stratum_label(stratum: str) -> str:
    """What people read for a stratum key: 「四上企业 · 城关区」 for ``large_enterprise|城关区``."""
    from app.platform.i18n import select_locale

    key, _sep, district = stratum.partition("|")
    category = _categories_of_this_request().get(key)
    name = category.label(select_locale()) if category else key
    return f"{name} · {district}" if district else name


def _category_of_audit_entry(code: str) -> str | None:
    """A respondent category's key in an audit entry (a draw's allocation), as its label; None for any other code
    (another domain's strata are written ``key|…`` too)."""
    return stratum_label(code) if code.partition("|")[0] in _categories_of_this_request() else None


audit_labels.register_value_labels(_category_of_audit_entry)
