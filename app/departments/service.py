"""Departments: creating, editing, deactivating, and importing them from a spreadsheet."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.audit import service as audit
from app.departments.models import Department, DepartmentKind
from app.extensions import db
from app.platform.tabular import (
    CONTROL_CHARACTERS,
    Table,
    TableError,
    control_character,
    display_name,
    normalise_header,
    read_table,
)

# Header texts accepted for each field, in Chinese or English (compared after normalise_header).
HEADER_ALIASES = {
    normalise_header(text): name
    for name, texts in {
        "code": ["code", "编码", "代码", "部门编码", "单位编码"],
        "name": ["name", "名称", "部门", "部门名称", "单位名称"],
        "kind": ["kind", "type", "类型", "类别", "部门类型"],
        "active": ["active", "status", "状态", "是否启用", "启用"],
        "sort_order": ["sort_order", "order", "排序", "顺序"],
    }.items()
    for text in texts
}
REQUIRED_FIELDS = ("code", "name")

KIND_VALUES = {
    "": DepartmentKind.service,
    "service": DepartmentKind.service,
    "服务部门": DepartmentKind.service,
    "部门": DepartmentKind.service,
    "key_unit": DepartmentKind.key_unit,
    "keyunit": DepartmentKind.key_unit,
    "重点单位": DepartmentKind.key_unit,
}
ACTIVE_VALUES = {
    "": True, "1": True, "yes": True, "true": True, "active": True, "是": True, "启用": True,
    "0": False, "no": False, "false": False, "inactive": False, "否": False, "停用": False,
}


class DepartmentError(ValueError):
    """A user-facing reason why a department change is refused."""


@dataclass(frozen=True)
class RowError:
    """One problem in an import file, located as the spreadsheet shows it."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportOutcome:
    """What an import found and, if it had no errors, what it changed."""

    errors: list[RowError] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    
    @property
    def ok(self) -> bool:
        return not self.errors


def _check_unique(code: str, name: str, exclude_id: int | None = None) -> None:
    clash = db.session.scalar(
        select(Department).where(
            (func.lower(Department.code) == code.lower()) | (Department.name == name),
            Department.id != (exclude_id or 0),
        )
    )
    if clash is not None:
        if clash.code.lower() == code.lower():
            raise DepartmentError(_("Another department already has the code %(code)s.", code=code))
        raise DepartmentError(_("Another department is already called %(name)s.", name=name))


def valid_code(code: str) -> bool:
    """At most 32 ASCII letters, digits, - or _: a code goes into field names, URLs and the survey's script."""
    return 0 < len(code) <= 32 and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code)


def create(code: str, name: str, kind: str, sort_order: int = 0, active: bool = True) -> Department:
    """Add a department; codes and names must be unique."""
    code, name = code.strip(), name.strip()
    if not valid_code(code):
        raise DepartmentError(_("A code has at most 32 letters, digits, - or _."))
    _check_unique(code, name)
    department = Department(code=code, name=name, kind=DepartmentKind(kind), sort_order=sort_order, active=active)
    db.session.add(department)
    db.session.flush()
    audit.record("department.create", f"department:{department.id}", {"code": code, "name": name})
    return department


def update(department: Department, code: str, name: str, kind: str, sort_order: int, active: bool) -> None:
    """Change a department's fields; the audit entry lists what changed."""
    code, name = code.strip(), name.strip()
    if not valid_code(code):
        raise DepartmentError(_("A code has at most 32 letters, digits, - or _."))
    _check_unique(code, name, exclude_id=department.id)
    new = {"code": code, "name": name, "kind": DepartmentKind(kind), "sort_order": sort_order, "active": active}
    changes = _apply(department, new)
    if changes:
        audit.record("department.update", f"department:{department.id}", {"changes": changes})


def set_active(department: Department, active: bool) -> None:
    """Deactivate (no longer offered for new rounds) or reactivate a department."""
    if department.active != active:
        department.active = active
        audit.record("department.activate" if active else "department.deactivate", f"department:{department.id}",
                     {"code": department.code})


def _apply(department: Department, values: dict) -> dict[str, list]:
    """Set the values that differ and return them as {field: [old, new]} (JSON-friendly)."""
    changes = {}
    for key, value in values.items():
        old = getattr(department, key)
        if old != value:
            changes[key] = [_plain(old), _plain(value)]
            setattr(department, key, value)
    return changes


def _plain(value):
    return value.value if isinstance(value, DepartmentKind) else value


def import_file(filename: str, data: bytes, *, dry_run: bool = False) -> ImportOutcome:
    """Validate the whole file; if and only if every row is valid (and not a dry run), apply it in one go.

    Rows are matched to existing departments by code (case-insensitive): new
    codes are added, known ones updated. A file with any error changes nothing.
    """
    try:
        table = read_table(filename, data, HEADER_ALIASES, required=REQUIRED_FIELDS,
                           max_uncompressed=current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
                           max_bytes=current_app.config["IMPORT_MAX_BYTES"])
        records, outcome = _validate(table)
    except TableError as exc:
        return ImportOutcome(errors=[RowError(exc.row or 1, "", "", str(exc))])
    if outcome.errors or dry_run:
        return outcome

    existing = {d.code.lower(): d for d in db.session.scalars(select(Department))}
    for values in records:
        department = existing.get(values["code"].lower())
        if department is None:
            db.session.add(Department(**{"kind": DepartmentKind.service, "active": True, "sort_order": 0, **values}))
            outcome.added += 1
        elif _apply(department, {k: v for k, v in values.items() if k != "code"}):
            outcome.updated += 1
        else:
            outcome.unchanged += 1
    audit.record("department.import", "departments", {
        "file": display_name(filename), "added": outcome.added, "updated": outcome.updated,
        "unchanged": outcome.unchanged,
    })
    return outcome


def _validate(table: Table) -> tuple[list[dict], ImportOutcome]:
    outcome = ImportOutcome()
    records: list[dict] = []
    codes_in_file: dict[str, int] = {}
    names_in_file: dict[str, int] = {}
    by_name = {d.name: d.code.lower() for d in db.session.scalars(select(Department))}

    def error(row, column, value, reason):
        outcome.errors.append(RowError(row, column, CONTROL_CHARACTERS.sub("\ufffd", value), reason))

    for row, cells, _extra in table.rows:
        code, name = cells.get("code", ""), cells.get("name", "")
        row_ok = True
        for column, value in cells.items():
            bad = control_character(value)
            if bad:
                error(row, column, value[:40], _("Contains a control character (%(char)s) that a spreadsheet "
                                                 "cannot hold.", char=bad))
                row_ok = False
        if not code:
            error(row, "code", code, _("Missing code."))
            row_ok = False
        elif not valid_code(code):
            error(row, "code", code, _("A code has at most 32 letters, digits, - or _."))
            row_ok = False
        elif code.lower() in codes_in_file:
            error(row, "code", code, _("Duplicate of row %(row)d in this file.", row=codes_in_file[code.lower()]))
            row_ok = False
        if not name:
            error(row, "name", name, _("Missing name."))
            row_ok = False
        elif len(name) > 100:
            error(row, "name", name, _("A name has at most 100 characters."))
            row_ok = False
        elif name in names_in_file:
            error(row, "name", name, _("Duplicate of row %(row)d in this file.", row=names_in_file[name]))
            row_ok = False
        elif code and by_name.get(name, code.lower()) != code.lower():
            error(row, "name", name, _("Another department with a different code already has this name."))
            row_ok = False

        # Columns the file does not have leave those fields alone on known departments.
        values = {"code": code, "name": name}
        if "kind" in cells:
            values["kind"] = KIND_VALUES.get(cells["kind"].strip().lower())
            if values["kind"] is None:
                error(row, "kind", cells["kind"], _("Unknown kind: use 服务部门 (service) or 重点单位 (key_unit)."))
                row_ok = False
        if "active" in cells:
            values["active"] = ACTIVE_VALUES.get(cells["active"].strip().lower())
            if values["active"] is None:
                error(row, "active", cells["active"], _("Unknown status: use 启用 or 停用."))
                row_ok = False
        sort_text = cells.get("sort_order", "").strip()
        if sort_text:
            # (a length check first: Python refuses int() of a string over 4,300 digits with an error)
            if sort_text.isdecimal() and len(sort_text) <= 6 and int(sort_text) <= 100000:
                values["sort_order"] = int(sort_text)
            else:
                error(row, "sort_order", sort_text, _("The sort order must be a whole number from 0 to 100000."))
                row_ok = False

        if code:
            codes_in_file.setdefault(code.lower(), row)
        if name:
            names_in_file.setdefault(name, row)
        if row_ok:
            records.append(values)
    if not records and not outcome.errors:
        outcome.errors.append(RowError(2, "", "", _("The file has a header but no data rows.")))
    return records, outcome
