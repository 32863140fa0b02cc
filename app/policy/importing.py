"""Importing policy items from a spreadsheet (CSV or XLSX): every row checked first, nothing written on any error.

One row is one item. Its policy must already be in the catalogue (named by its 文号, or by its number on the
platform, ``ZC0007``). A row creates a draft item; a row naming an existing draft's code (事项编号) updates that
draft. Published, expired and repealed items are never changed by an import: edit them on their page.

The columns (headers in Chinese; the page and docs list them, ``COLUMNS`` is the source): see ``COLUMNS``. Lists
(materials, conditions, sizes, sections) are separated by ；, ; or line breaks; a condition is
``表达式 | 说明 | 条款`` and a review condition ``说明 | 条款``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.audit import service as audit
from app.departments.models import Department
from app.departments.service import RowError
from app.extensions import db
from app.platform.exports import Sheet, xlsx_bytes
from app.platform.tabular import (
    CONTROL_CHARACTERS,
    TableError,
    control_character,
    display_name,
    normalise_header,
    read_table,
)
from app.policy import catalogue
from app.policy.catalogue import ItemContent, PolicyError
from app.policy.models import DeliveryMode, ItemKind, ItemStatus, PolicyItem
from eligibility.benefits import FIXED, RATE, TEXT
from eligibility.fields import SIZES

# (the header as written in the template, other headers accepted, what the column holds, required)
POLICY, CODE, NAME, KIND, DEPARTMENT, MODE = "政策文号", "事项编号", "事项名称", "事项类别", "责任部门", "兑现方式"
BENEFIT, AMOUNT, RATE_COLUMN, BASE, CAP, TEXT_COLUMN = ("享受方式", "定额金额(万元)", "比例(%)", "计算基数",
                                                        "封顶金额(万元)", "享受内容")
BUDGET, MATERIALS, DAYS, RULES, REVIEWS = "预算(万元)", "申报材料", "承诺时限(工作日)", "条件", "人工审核条件"
SIZES_COLUMN, INDUSTRIES, SUMMARY = "适用规模", "适用行业", "事项说明"

COLUMNS: tuple[tuple[str, tuple[str, ...], object, bool], ...] = (
    (POLICY, ("政策编号", "文号", "政策"), _l("the policy's document number (文号), or its number here, e.g. ZC0007"),
     True),
    (CODE, ("编号",), _l("optional: the code of a draft item to update (e.g. ZC0007-01); empty for a new item"),
     False),
    (NAME, ("名称",), _l("the item's name"), True),
    (KIND, ("类别",), "资金奖补 / 税费减免 / 资质认定 / 要素保障 / 其他", True),
    (DEPARTMENT, ("部门", "责任单位"), _l("the department's code or name"), True),
    (MODE, ("方式",), "免申即享 / 即申即享 / 申报审核", True),
    (BENEFIT, ("享受类型",), _l("定额, 比例 or 文字; empty: 定额 when an amount is given, 比例 when a rate is, "
                              "else 文字"), False),
    (AMOUNT, ("金额(万元)", "金额"), _l("a fixed amount, in 10k yuan"), False),
    (RATE_COLUMN, ("比例",), _l("a percentage of the figure in 计算基数"), False),
    (BASE, ("基数",), _l("营业收入 or 纳税额 (last year's figure)"), False),
    (CAP, ("上限(万元)", "封顶"), _l("the most a rate gives, in 10k yuan"), False),
    (TEXT_COLUMN, ("内容",), _l("what the enterprise gets, in words"), False),
    (BUDGET, ("预算",), _l("in 10k yuan"), False),
    (MATERIALS, ("材料",), _l("one per line or separated by ；"), False),
    (DAYS, ("承诺时限", "办理时限"), _l("working days; empty: 20"), False),
    (RULES, ("申报条件", "计算条件"), _l("one per line or separated by ；, each 表达式 | 说明 | 条款"), False),
    (REVIEWS, ("审核条件",), _l("one per line or separated by ；, each 说明 | 条款"), False),
    (SIZES_COLUMN, ("企业规模",), _l("大型, 中型, 小型, 微型 (several separated by ；); empty: all"), False),
    (INDUSTRIES, ("行业门类",), _l("section letters A to T of the national industry classification (several separated by ；); empty: all"), False),
    (SUMMARY, ("说明", "摘要"), _l("a short description"), False),
)
HEADER_ALIASES = {
    normalise_header(text): header
    for header, others, _help, _required in COLUMNS
    for text in (header, *others)
}
REQUIRED = tuple(header for header, _o, _h, required in COLUMNS if required)

KINDS = {"资金奖补": ItemKind.grant, "税费减免": ItemKind.tax, "资质认定": ItemKind.qualification,
         "要素保障": ItemKind.factor, "其他": ItemKind.other, **{k.value: k for k in ItemKind}}
MODES = {"免申即享": DeliveryMode.automatic, "即申即享": DeliveryMode.instant, "申报审核": DeliveryMode.review,
         **{m.value: m for m in DeliveryMode}}
BENEFITS = {"定额": FIXED, "固定金额": FIXED, "比例": RATE, "按比例": RATE, "文字": TEXT, "其他": TEXT,
            FIXED: FIXED, RATE: RATE, TEXT: TEXT}
BASES = {"营业收入": "revenue", "上年营业收入": "revenue", "纳税额": "tax_paid", "上年纳税额": "tax_paid",
         "revenue": "revenue", "tax_paid": "tax_paid"}
SEPARATORS = re.compile(r"[；;\n]+")
PARTS = re.compile(r"[|｜]")
MAX_TEXT = {NAME: 200, BASE: 32, TEXT_COLUMN: 500}


@dataclass
class ImportReport:
    """What an import found and, when it had no errors, what it wrote."""

    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    created: list[str] = field(default_factory=list)  # item codes
    updated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


EXAMPLE = {
    POLICY: "X政发〔2026〕12号", NAME: "高新技术企业认定奖励", KIND: "资金奖补", DEPARTMENT: "市科技局", MODE: "申报审核",
    BENEFIT: "定额", AMOUNT: "30", MATERIALS: "申请表；营业执照复印件；高新技术企业证书", DAYS: "15",
    REVIEWS: "近三年无重大安全事故 | 第五条", SIZES_COLUMN: "中型；小型；微型", INDUSTRIES: "C；I",
}


def template_xlsx() -> bytes:
    """The import's template: every column's header and one example row (its conditions are left empty: an
    expression's field names are Latin, and the import page shows examples of them)."""
    headers = [header for header, _o, _h, _r in COLUMNS]
    return xlsx_bytes([Sheet(_("Policy items"), [headers, [EXAMPLE.get(h, "") for h in headers]],
                             widths=[18] * len(headers))])


def split_list(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


def _number(text: str) -> Decimal:
    value = Decimal(text.replace(",", "").replace("，", "").strip())
    if not value.is_finite():
        raise InvalidOperation
    return value


def import_file(filename: str, data: bytes, *, actor=None, dry_run: bool = False) -> ImportReport:
    """Check the whole file; if every row is valid (and not a dry run), write its items as drafts."""
    report = ImportReport()
    try:
        table = read_table(filename, data, HEADER_ALIASES, required=REQUIRED,
                           max_uncompressed=current_app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"],
                           max_bytes=current_app.config["IMPORT_MAX_BYTES"])
        planned = _check_rows(table.rows, report)
    except TableError as exc:
        return ImportReport(errors=[RowError(exc.row or 1, "", "", str(exc))])
    if report.rows == 0 and not report.errors:
        report.errors.append(RowError(2, "", "", _("The file has a header but no data rows.")))
    if report.errors or dry_run:
        return report
    for row, policy, item, content in planned:
        try:
            if item is None:
                report.created.append(catalogue.create_item(policy, content, actor=actor).code)
            else:
                catalogue.edit_item(item, content, actor=actor)
                report.updated.append(item.code)
        except PolicyError as exc:  # checked above; a database that changed meanwhile is still reported by row
            report.errors.append(RowError(row, "", "", str(exc)))
    if report.errors:
        report.created, report.updated = [], []
        return report
    audit.record("policy.import", "policy_catalogue", {
        "file": display_name(filename), "added": len(report.created), "updated": len(report.updated)}, actor=actor)
    return report


def _departments() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for department in db.session.scalars(select(Department)):
        lookup[department.code.lower()] = department.id
        lookup[department.name] = department.id
    return lookup


def _check_rows(rows, report: ImportReport) -> list:
    departments = _departments()
    codes_in_file: dict[str, int] = {}
    planned = []
    sections = set(catalogue.SECTION_LETTERS)

    for number, cells, _extra in rows:
        report.rows += 1
        errors_before = len(report.errors)

        def error(column: str, value: str, reason: str) -> None:
            report.errors.append(RowError(number, column, CONTROL_CHARACTERS.sub("\ufffd", value)[:80], reason))

        for column, value in cells.items():
            bad = control_character(value.replace("\n", "").replace("\t", "").replace("\r", ""))
            if bad:
                error(column, value[:40], _("Contains a control character (%(char)s) that a spreadsheet cannot hold.",
                                            char=bad))
        for column in REQUIRED:
            if not cells.get(column, "").strip():
                error(column, "", _("Missing required field."))
        for column, limit in MAX_TEXT.items():
            if len(cells.get(column, "")) > limit:
                error(column, cells[column][:40], _("Longer than %(limit)d characters.", limit=limit))

        policy = None
        if cells.get(POLICY, "").strip():
            policy = catalogue.policy_by_reference(cells[POLICY])
            if policy is None:
                error(POLICY, cells[POLICY], _("No policy in the catalogue has this document number or number."))

        item = None
        code = cells.get(CODE, "").strip().upper()
        if code:
            item = db.session.scalar(select(PolicyItem).where(PolicyItem.code == code))
            if code in codes_in_file:
                error(CODE, code, _("Duplicate of row %(row)d in this file.", row=codes_in_file[code]))
            elif item is None:
                error(CODE, code, _("No item has this code; leave it empty to add a new item."))
            elif item.status != ItemStatus.draft:
                error(CODE, code, _("This item is no longer a draft: edit it on its page."))
            elif policy is not None and item.policy_id != policy.id:
                error(CODE, code, _("This item belongs to another policy."))
            codes_in_file.setdefault(code, number)

        def choice(column: str, table: dict):
            text = cells.get(column, "").strip()
            if not text:
                return None
            found = table.get(text) or table.get(text.lower())
            if found is None:
                error(column, text, _("Not one of: %(values)s.", values=" / ".join(
                    k for k in table if not k.isascii())))
            return found

        kind, mode = choice(KIND, KINDS), choice(MODE, MODES)
        department_id = None
        if cells.get(DEPARTMENT, "").strip():
            text = cells[DEPARTMENT].strip()
            department_id = departments.get(text.lower()) or departments.get(text)
            if department_id is None:
                error(DEPARTMENT, text, _("No department has this code or name."))

        def amount(column: str, limit: Decimal) -> Decimal | None:
            text = cells.get(column, "").strip()
            if not text:
                return None
            try:
                value = _number(text)
            except (InvalidOperation, ValueError):
                error(column, text, _("Not a number."))
                return None
            if not 0 <= value <= limit:
                error(column, text, _("Must be between 0 and %(limit)s.", limit=limit))
                return None
            return value.quantize(Decimal("0.001") if column == RATE_COLUMN else Decimal("0.01"))

        fixed, rate, cap = amount(AMOUNT, catalogue.MAX_AMOUNT), amount(RATE_COLUMN, catalogue.MAX_RATE), \
            amount(CAP, catalogue.MAX_AMOUNT)
        budget = amount(BUDGET, catalogue.MAX_BUDGET)
        benefit = choice(BENEFIT, BENEFITS) if cells.get(BENEFIT, "").strip() else (
            FIXED if cells.get(AMOUNT, "").strip() else RATE if cells.get(RATE_COLUMN, "").strip() else TEXT)
        base = ""
        if cells.get(BASE, "").strip():
            base = BASES.get(cells[BASE].strip(), "")
            if not base:
                error(BASE, cells[BASE], _("Not one of: %(values)s.", values="营业收入 / 纳税额"))
        benefit_text = cells.get(TEXT_COLUMN, "").strip()
        if benefit == FIXED and fixed is None and not cells.get(AMOUNT, "").strip():
            error(AMOUNT, "", _("A fixed benefit needs its amount."))
        if benefit == RATE:
            for column, present in ((RATE_COLUMN, rate), (BASE, base), (CAP, cap)):
                if not present and not cells.get(column, "").strip():
                    error(column, "", _("A rate needs the rate, the figure it applies to and the cap."))
        if benefit == TEXT and not benefit_text:
            error(TEXT_COLUMN, "", _("Describe what the enterprise gets."))

        days = 20
        if cells.get(DAYS, "").strip():
            text = cells[DAYS].strip()
            if not text.isdecimal() or not 1 <= int(text) <= catalogue.MAX_PROMISED_DAYS:
                error(DAYS, text, _("A whole number of working days from 1 to %(limit)d.",
                                    limit=catalogue.MAX_PROMISED_DAYS))
            else:
                days = int(text)

        rules = []
        for line in split_list(cells.get(RULES, "")):
            parts = [p.strip() for p in PARTS.split(line)]
            if len(parts) > 3:
                error(RULES, line, _("A condition is written 表达式 | 说明 | 条款."))
                continue
            parts += [""] * (3 - len(parts))
            rules.append({"expression": parts[0], "label": parts[1], "legal_ref": parts[2]})
        for index, problems in catalogue.rule_problems(rules).items():
            for problem in problems:
                error(RULES, rules[index]["expression"], _("Condition %(n)d: %(error)s", n=index + 1, error=problem))

        reviews = []
        for line in split_list(cells.get(REVIEWS, "")):
            parts = [p.strip() for p in PARTS.split(line)]
            if len(parts) > 2 or not parts[0]:
                error(REVIEWS, line, _("A review condition is written 说明 | 条款."))
                continue
            reviews.append({"label": parts[0], "legal_ref": parts[1] if len(parts) > 1 else ""})

        sizes = [s for s in re.split(r"[；;、,，\s]+", cells.get(SIZES_COLUMN, "")) if s]
        for size in sizes:
            if size not in SIZES:
                error(SIZES_COLUMN, size, _("Not one of: %(values)s.", values=" / ".join(SIZES)))
        industries = [s.upper() for s in re.split(r"[；;、,，\s]+", cells.get(INDUSTRIES, "")) if s]
        for section in industries:
            if section not in sections:
                error(INDUSTRIES, section, _("Not a section letter from A to T."))

        materials = split_list(cells.get(MATERIALS, ""))
        if len(materials) > catalogue.MAX_MATERIALS or len(rules) + len(reviews) > catalogue.MAX_RULES:
            error(MATERIALS if len(materials) > catalogue.MAX_MATERIALS else RULES, "",
                  _("Too many materials or conditions."))

        if len(report.errors) == errors_before:
            content = ItemContent(
                name=cells[NAME].strip(), kind=kind, department_id=department_id, mode=mode, benefit_kind=benefit,
                amount=fixed, rate=rate, rate_base=base, cap=cap, benefit_text=benefit_text, budget=budget,
                materials=materials, promised_days=days, rules=rules, reviews=reviews,
                sizes=list(dict.fromkeys(sizes)), industries=list(dict.fromkeys(industries)),
                summary=cells.get(SUMMARY, "").strip())
            planned.append((number, policy, item, content))
    return planned
