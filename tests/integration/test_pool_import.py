"""Importing the respondent pool: every error class, encodings, XLSX quirks, all-or-nothing, updates."""
import csv
import io
import re
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEntry
from app.extensions import db
from app.pool import importing as pool_import, service as pool
from app.pool.models import MemberStatus, Respondent

HEADER = ["姓名", "类别", "区县", "单位", "手机"]
ROWS = [
    ["张伟", "四上企业", "高新区", "星河电子有限公司", "13800000001"],
    ["李娜", "sme", "城关区", "李记餐饮", "138 0000 0002"],
    ["王芳", "办事群众", "东湖区", "", "+86 138-0000-0003"],
]


def csv_bytes(rows, header=HEADER, encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def members() -> list[Respondent]:
    return list(db.session.scalars(select(Respondent).order_by(Respondent.key)))


def member_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Respondent))


def run_import(data: bytes, filename="pool.csv", only_valid=False):
    plan = pool_import.check(filename, data)
    if plan.errors and not only_valid:
        return plan, None
    result = pool_import.commit(plan, filename=filename, only_valid_rows=only_valid)
    db.session.commit()
    return plan, result


def errors_by_row(plan) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for e in plan.errors:
        found.setdefault(e.row, []).append((e.column, e.reason))
    return found


def test_a_clean_file_adds_members_with_keys_normalised_phones_and_masks(app):
    plan, result = run_import(csv_bytes(ROWS))
    assert (result.added, result.updated, result.unchanged) == (3, 0, 0)
    rows = members()
    assert [m.key for m in rows] == ["P000001", "P000002", "P000003"]
    assert [m.phone for m in rows] == ["+8613800000001", "+8613800000002", "+8613800000003"]
    assert rows[0].phone_masked == "138****0001"
    assert [m.category.key for m in rows] == ["large_enterprise", "sme", "citizen"]
    assert all(m.status == MemberStatus.active and m.times_drawn == 0 for m in rows)
    assert dict(plan.by_category["large_enterprise"]) == {"add": 1}


def test_each_error_class_is_reported_with_row_column_and_reason(app):
    run_import(csv_bytes([["赵强", "新闻媒体", "城关区", "市日报社", "13900000009"]]))
    rows = [
        ["张伟", "四上企业", "高新区", "星河电子", "13800000001"],   # row 2: fine
        ["李娜", "sme", "城关区", "", "1380000"],                 # row 3: bad phone
        ["王芳", "外星人", "东湖区", "", "13800000003"],            # row 4: unknown category
        ["", "sme", "城关区", "", "13800000004"],                  # row 5: missing name
        ["刘洋", "sme", "城关区", "", "138-0000-0001"],            # row 6: same phone as row 2
        ["赵强", "新闻媒体", "城关区", "市日报社", "13900000010"],    # row 7: existing member, another phone
        ["孙丽", "citizen", "", "", ""],                          # row 8: missing phone
    ]
    plan = pool_import.check("pool.csv", csv_bytes(rows))
    found = errors_by_row(plan)
    assert 2 not in found
    assert found[3] == [("phone", "不是有效的中国大陆手机号码。")]
    assert found[4] == [("category", "未知的类别。")]
    assert found[5] == [("name", "缺少必填项。")]
    assert found[6] == [("phone", "与本文件第 2 行重复。")]
    assert found[7][0][0] == "name" and "P000001" in found[7][0][1]
    assert found[8] == [("phone", "缺少必填项。")]
    bad_phone = next(e for e in plan.errors if e.row == 3)
    assert bad_phone.value == "1380000"


def test_a_file_with_any_error_imports_nothing(app):
    run_import(csv_bytes(ROWS[:1]))
    before = [(m.key, m.name, m.phone) for m in members()]
    audit_before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    rows = [["张伟改名", "四上企业", "高新区", "星河电子有限公司", "13800000001"],
            ["新人", "sme", "城关区", "", "13800000005"],
            ["坏号码", "sme", "城关区", "", "12"]]
    plan, result = run_import(csv_bytes(rows))
    assert result is None and plan.errors
    with pytest.raises(ValueError):
        pool_import.commit(plan, filename="pool.csv")
    db.session.rollback()
    assert [(m.key, m.name, m.phone) for m in members()] == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_importing_only_the_valid_rows_is_an_explicit_choice(app):
    rows = ROWS + [["坏号码", "sme", "城关区", "", "12"]]
    plan, result = run_import(csv_bytes(rows), only_valid=True)
    assert result.added == 3 and result.skipped_rows == 1
    assert member_count() == 3


def test_reimporting_an_updated_file_updates_by_phone_and_counts(app):
    run_import(csv_bytes(ROWS))
    updated = [
        ["张伟", "四上企业", "高新区", "星河电子集团", "13800000001"],  # organisation changed
        ["李娜", "sme", "城关区", "李记餐饮", "13800000002"],           # unchanged
        ["王芳", "办事群众", "东湖区", "", "13800000003"],              # unchanged
        ["陈静", "营商环境监督员", "临江县", "临江商会", "13800000004"],  # new
    ]
    plan, result = run_import(csv_bytes(updated))
    assert (result.added, result.updated, result.unchanged) == (1, 1, 2)
    assert db.session.scalar(select(Respondent.organisation).where(Respondent.key == "P000001")) == "星河电子集团"
    assert db.session.scalar(select(Respondent.key).where(Respondent.name == "陈静")) == "P000004"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pool.import")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details["added"] == 1 and entry.details["updated"] == 1
    assert "138" not in str(entry.details)  # no phone numbers in the audit log


def test_a_key_column_lets_a_member_change_phone(app):
    run_import(csv_bytes(ROWS))
    rows = [["P000001", "张伟", "四上企业", "高新区", "星河电子有限公司", "13900000001"]]
    plan, result = run_import(csv_bytes(rows, header=["编号"] + HEADER))
    assert result.updated == 1
    assert db.session.scalar(select(Respondent.phone).where(Respondent.key == "P000001")) == "+8613900000001"


def test_a_reimported_export_keeps_the_masked_phones(app):
    run_import(csv_bytes(ROWS))
    exported = pool.export_csv()
    plan, result = run_import(exported)
    assert result is not None, plan.errors
    assert (result.added, result.updated, result.unchanged) == (0, 0, 3)


def test_an_opted_out_member_is_not_re_enrolled_by_an_import(app):
    run_import(csv_bytes(ROWS))
    member = members()[0]
    pool.set_status(member, MemberStatus.opted_out, "回复TD退订")
    db.session.commit()
    plan = pool_import.check("pool.csv", csv_bytes(ROWS))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "phone")]
    assert "退出" in plan.errors[0].reason


def test_phones_are_unique_among_active_members(app):
    run_import(csv_bytes(ROWS))
    first = members()[0]
    pool.set_status(first, MemberStatus.opted_out, "本人要求")
    db.session.commit()

    def holder(key):
        return Respondent(key=key, name="新号主", category_id=first.category_id, phone=first.phone,
                          phone_hash=first.phone_hash, phone_masked=first.phone_masked)

    # Carriers recycle numbers: once the old holder left, a new member may have it …
    db.session.add(holder("P000099"))
    db.session.commit()
    # … but two active members never share one: the database itself refuses it.
    db.session.add(holder("P000100"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # An import giving the number back to the member who left names the new holder instead.
    rows = [["P000001", "张伟", "四上企业", "高新区", "星河电子有限公司", "13800000001"]]
    plan = pool_import.check("pool.csv", csv_bytes(rows, header=["编号"] + HEADER))
    assert [(e.row, e.column) for e in plan.errors] == [(2, "phone")] and "P000099" in plan.errors[0].reason


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_bom_and_gb18030_files_read_correctly(app, encoding):
    plan, result = run_import(csv_bytes(ROWS, encoding=encoding))
    assert result.added == 3
    assert [m.name for m in members()] == ["张伟", "李娜", "王芳"]


def test_english_headers_and_category_labels_are_accepted(app):
    rows = [["Zhang Wei", "Large enterprises", "Hi-tech zone", "Xinghe", "13800000001"]]
    plan, result = run_import(csv_bytes(rows, header=["name", "category", "district", "organisation", "phone"]))
    assert result.added == 1 and members()[0].category.key == "large_enterprise"


def test_extra_columns_become_attributes(app):
    plan, result = run_import(csv_bytes([ROWS[0] + ["制造业"]], header=HEADER + ["行业"]))
    assert members()[0].attributes == {"行业": "制造业"}


def with_cached_values(xlsx: bytes, values: dict[str, str]) -> bytes:
    """Give formula cells the cached results Excel would have saved (openpyxl writes none)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in values.items():
                    text = re.sub(rf'<c r="{ref}"><f>(.*?)</f><v ?/>', rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>',
                                  text)
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_xlsx_with_a_merged_title_row_and_formulas_imports_the_values(app):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["2026年主体样本库名单（市营商办）"])
    sheet.merge_cells("A1:E1")
    sheet.append(HEADER)
    sheet.append(["张伟", "四上企业", "高新区", "星河电子", 13800000001])
    sheet.append(["李娜", "中小微市场主体", "城关区", '=CONCATENATE("李记","餐饮")', '="138"&"00000002"'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = with_cached_values(buffer.getvalue(), {"D4": "李记餐饮", "E4": "13800000002"})
    plan, result = run_import(data, filename="pool.xlsx")
    assert result is not None, plan.errors
    rows = members()
    assert [(m.name, m.organisation, m.phone) for m in rows] == [
        ("张伟", "星河电子", "+8613800000001"), ("李娜", "李记餐饮", "+8613800000002")]


def test_xlsx_error_rows_are_numbered_as_the_spreadsheet_shows_them(app):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["名单"])
    sheet.append(HEADER)
    sheet.append(["张伟", "四上企业", "高新区", "星河电子", "bad"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = pool_import.check("pool.xlsx", buffer.getvalue())
    assert [(e.row, e.column) for e in plan.errors] == [(3, "phone")]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(app):
    app.config["IMPORT_MAX_UNCOMPRESSED_BYTES"] = 1_000_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 5_000_000)
    assert len(buffer.getvalue()) < 50_000
    plan = pool_import.check("pool.xlsx", buffer.getvalue())
    assert plan.errors and "解压后超过" in plan.errors[0].reason
    assert member_count() == 0


def test_missing_required_column_is_named(app):
    plan = pool_import.check("pool.csv", csv_bytes([["张伟", "高新区"]], header=["姓名", "区县"]))
    assert plan.errors[0].row == 1 and "category" in plan.errors[0].reason and "phone" in plan.errors[0].reason


def test_encrypted_phones_at_rest(app):
    from cryptography.fernet import Fernet

    app.config["PHONE_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    run_import(csv_bytes(ROWS))
    stored = db.session.scalars(select(Respondent.phone)).all()
    assert all(s.startswith("fernet:") and "1380000" not in s for s in stored)
    plan, result = run_import(csv_bytes(ROWS))  # matching by phone still works
    assert result.unchanged == 3


def test_a_file_without_a_column_leaves_that_field_alone(app):
    run_import(csv_bytes(ROWS))
    slim = [[name, category, phone] for name, category, _district, _organisation, phone in ROWS]
    plan, result = run_import(csv_bytes(slim, header=["姓名", "类别", "手机"]))
    assert (result.updated, result.unchanged) == (0, 3)
    assert db.session.scalar(select(Respondent.district).where(Respondent.key == "P000001")) == "高新区"
    assert db.session.scalar(select(Respondent.organisation).where(Respondent.key == "P000001")) == "星河电子有限公司"
