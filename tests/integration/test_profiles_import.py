"""Importing enterprise profiles: a good file, a bad check character, encodings, update semantics, the draw frame."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import Respondent
from app.profiles import importing, service
from app.profiles.models import EnterpriseProfile
from app.rounds import campaigns
from app.rounds.draws import eligible_frame
from eligibility.uscc import check_character

HEADER = ["统一社会信用代码", "企业名称", "行业代码", "企业规模", "所属区县", "成立日期", "上年营业收入(万元)",
          "从业人数", "上年纳税额(万元)", "研发投入占比(%)", "资质", "联系人", "联系电话"]


def code(first17: str) -> str:
    return first17 + check_character(first17)


A, B, C = code("91350100M000100Y4"), code("91110108MA01ABCD2"), code("92440300L12345678")
ROWS = [
    [A, "星河电子有限公司", "C3911", "中", "高新区", "2015-03-18", "12,345.6", "230", "612.4", "5.2%",
     "高新技术企业（有效期至2027-12-31）；专精特新", "周敏", "13800000001"],
    [B, "青禾软件科技有限公司", "6513", "小型", "城关区", "2019/7/1", "1800", "45", "72", "11",
     "科技型中小企业(有效期至2026-12-31);高新技术企业", "", ""],
    [C, "李记餐饮", "H62", "微", "东湖区", "2021-05-09", "96.5", "8", "1.2", "", "", "", ""],
]


def csv_bytes(rows, header=HEADER, encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data: bytes, filename="profiles.csv"):
    report, plan = importing.check_and_apply(filename, data)
    if report is not None:
        db.session.commit()
    else:
        db.session.rollback()
    return report, plan


def profile(uscc: str) -> EnterpriseProfile:
    return db.session.scalar(select(EnterpriseProfile).where(EnterpriseProfile.uscc == uscc))


def profile_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EnterpriseProfile))


def test_a_good_file_creates_profiles_with_every_field_dated(app):
    report, plan = run(csv_bytes(ROWS))
    assert plan.errors == []
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    star = profile(A)
    assert star.name == "星河电子有限公司"
    assert (star.industry, star.size, star.district) == ("C3911", "中型", "高新区")
    assert star.registered_on == date(2015, 3, 18)
    assert star.revenue == Decimal("12345.60") and star.employees == 230
    assert star.tax_paid == Decimal("612.40") and star.rd_ratio == Decimal("5.20")
    assert star.qualifications == [{"name": "高新技术企业", "valid_to": "2027-12-31"},
                                   {"name": "专精特新", "valid_to": None}]
    assert star.contact_name == "周敏"
    assert star.contact_phone_masked == "138****0001" and "13800000001" not in star.contact_phone_masked
    assert star.contact_phone_hash
    today = local_today().isoformat()
    assert star.field_updated["revenue"] == today and star.field_updated["qualifications"] == today
    green = profile(B)
    assert green.industry == "I6513" and green.size == "小型" and green.registered_on == date(2019, 7, 1)
    assert green.qualifications[0] == {"name": "科技型中小企业", "valid_to": "2026-12-31"}
    assert green.contact_phone_masked == ""
    assert profile(C).rd_ratio is None
    # facts for the rules: nothing missing on the first one; the third has no R&D ratio
    assert service.facts(star).missing == frozenset()
    assert "rd_ratio" in service.facts(profile(C)).missing
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "profile.import")).one()
    assert entry.details["added"] == 3
    assert "星河" not in str(entry.details) and "0001" not in str(entry.details)


def test_one_wrong_check_character_writes_nothing_and_names_the_row(app):
    rows = [list(r) for r in ROWS]
    right = rows[1][0]
    rows[1][0] = right[:17] + ("0" if right[17] != "0" else "1")
    report, plan = run(csv_bytes(rows))
    assert report is None
    assert profile_count() == 0
    [error] = plan.errors
    assert (error.row, error.column) == (3, "统一社会信用代码")
    assert f"{right[17]}" in error.reason  # says what the check character should be
    assert "校验" in error.reason


def test_errors_name_the_row_and_the_chinese_column(app):
    rows = [list(r) for r in ROWS]
    rows[0][2] = "A39"  # division 39 is manufacturing
    rows[1][3] = "特大"
    rows[2][8] = "-3"
    rows.append([A, "重复企业", "", "", "", "", "", "", "", "", "", "", ""])
    rows.append([code("91320506MA1MXXXX0"), "", "", "", "", "", "", "", "", "", "高新技术企业:2027-01-01", "",
                 "123"])
    report, plan = run(csv_bytes(rows))
    assert report is None and profile_count() == 0
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(2, "行业代码"), (3, "企业规模"), (4, "上年纳税额(万元)"), (5, "统一社会信用代码"),
                     (6, "企业名称"), (6, "资质"), (6, "联系电话")}
    duplicate = next(e for e in plan.errors if e.row == 5)
    assert "2" in duplicate.reason


def test_gb18030_csv_and_xlsx_read_the_same(app):
    report, plan = run(csv_bytes(ROWS, encoding="gb18030"))
    assert plan.errors == [] and report.created == 3
    assert profile(A).name == "星河电子有限公司" and profile(B).qualifications[1]["name"] == "高新技术企业"
    report, plan = run(xlsx_bytes(ROWS), filename="profiles.xlsx")
    assert plan.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)  # the same data again
    report, plan = run(csv_bytes(ROWS, bom=True))
    assert plan.errors == [] and report.unchanged == 3


def test_xlsx_cells_typed_as_numbers_and_dates_read_as_written(app):
    from datetime import datetime

    typed = [[A, "星河电子有限公司", "C3911", "中型", "高新区", datetime(2015, 3, 18), 12345.6, 230, 612.4, 5.2,
              "高新技术企业（有效期至2027-12-31）", "周敏", 13800000001]]
    report, plan = run(xlsx_bytes(typed), filename="profiles.xlsx")
    assert plan.errors == [] and report.created == 1
    star = profile(A)
    assert star.registered_on == date(2015, 3, 18) and star.revenue == Decimal("12345.60")
    assert star.employees == 230 and star.rd_ratio == Decimal("5.20")
    assert star.contact_phone_masked == "138****0001"


def test_an_update_touches_only_the_columns_in_the_file_and_dates_them(app):
    run(csv_bytes(ROWS))
    star = profile(A)
    old_day = (local_today() - timedelta(days=600)).isoformat()
    star.field_updated = {key: old_day for key in star.field_updated}
    db.session.commit()
    assert {"revenue", "employees"} <= service.facts(star).stale

    data_day = (local_today() - timedelta(days=3)).isoformat()
    report, plan = run(csv_bytes([[A, "13000", "", data_day]],
                                 header=["统一社会信用代码", "上年营业收入(万元)", "资质", "数据日期"]))
    assert plan.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    star = profile(A)
    assert star.revenue == Decimal("13000.00")
    assert star.qualifications == []  # an empty cell in a present column clears it: a known "none"
    assert star.field_updated["revenue"] == data_day and star.field_updated["qualifications"] == data_day
    # columns not in the file stay as they were, dates included
    assert star.employees == 230 and star.name == "星河电子有限公司" and star.contact_phone_masked == "138****0001"
    assert star.field_updated["employees"] == old_day
    known = service.facts(star)
    assert "revenue" not in known.stale and "employees" in known.stale
    assert "qualifications" not in known.missing and known.values["qualifications"] == []


def test_the_same_value_confirmed_refreshes_its_date_but_counts_as_unchanged(app):
    run(csv_bytes(ROWS))
    star = profile(A)
    old_day = (local_today() - timedelta(days=600)).isoformat()
    star.field_updated = {**star.field_updated, "employees": old_day}
    db.session.commit()
    report, _plan = run(csv_bytes([[A, "230"]], header=["统一社会信用代码", "从业人数"]))
    assert (report.updated, report.unchanged) == (0, 1)
    assert profile(A).field_updated["employees"] == local_today().isoformat()


def test_a_new_profile_needs_a_name_and_an_existing_name_cannot_be_cleared(app):
    report, plan = run(csv_bytes([[A, "C39"]], header=["统一社会信用代码", "行业代码"]))
    assert report is None and [(e.row, e.column) for e in plan.errors] == [(2, "企业名称")]
    run(csv_bytes(ROWS))
    report, plan = run(csv_bytes([[A, ""]], header=["统一社会信用代码", "企业名称"]))
    assert report is None and [(e.row, e.column) for e in plan.errors] == [(2, "企业名称")]
    assert profile(A).name == "星河电子有限公司"


def _pool_members(*names):
    from tests.integration.test_pool_import import csv_bytes as pool_csv, run_import

    plan, result = run_import(pool_csv([[name, "四上企业", "高新区", name, f"139000000{n:02d}"]
                                        for n, name in enumerate(names, start=1)]))
    assert result is not None, plan.errors


def test_a_pool_key_links_the_profile_and_an_unknown_key_is_an_error(app):
    _pool_members("星河电子有限公司")
    key = db.session.scalar(select(Respondent.key))
    header = ["统一社会信用代码", "企业名称", "样本库编号"]
    report, plan = run(csv_bytes([[A, "星河电子有限公司", key.lower()], [B, "青禾软件", "P999999"]], header=header))
    assert report is None and [(e.row, e.column) for e in plan.errors] == [(3, "样本库编号")]
    report, plan = run(csv_bytes([[A, "星河电子有限公司", key], [B, "青禾软件", ""]], header=header))
    assert report.created == 2
    assert profile(A).respondent.key == key and profile(B).respondent_id is None
    # one member, one profile
    report, plan = run(csv_bytes([[B, "青禾软件", key]], header=header))
    assert report is None and plan.errors[0].column == "样本库编号" and A in plan.errors[0].reason


def test_a_profile_without_a_pool_member_never_enters_a_rounds_draw_frame(app, make_user):
    _pool_members("星河电子有限公司", "其他企业")
    member = db.session.scalar(select(Respondent).where(Respondent.name == "星河电子有限公司"))
    run(csv_bytes([[A, "星河电子有限公司", member.key], [B, "青禾软件科技有限公司", ""],
                   [C, "李记餐饮", ""]], header=["统一社会信用代码", "企业名称", "样本库编号"]))
    assert profile_count() == 3
    campaign = campaigns.create("2026-11", "十一月评价", make_user("operator"))
    db.session.commit()
    frame = eligible_frame(campaign)
    # the frame is the pool's members and nothing else: two members, three profiles
    assert sorted(key for _, key, _ in frame) == sorted(db.session.scalars(select(Respondent.key)))
    assert len(frame) == 2
    framed = set(db.session.scalars(select(Respondent.organisation).where(
        Respondent.id.in_([rid for rid, _, _ in frame]))))
    assert "青禾软件科技有限公司" not in framed and "李记餐饮" not in framed
    assert db.session.scalar(select(func.count()).select_from(Respondent)) == 2


def test_a_file_without_the_code_column_or_of_another_type_is_refused(app):
    report, plan = run(csv_bytes([["星河"]], header=["企业名称"]))
    assert report is None and "统一社会信用代码" in plan.errors[0].reason
    report, plan = run(b"%PDF-1.4", filename="profiles.pdf")
    assert report is None and plan.errors and profile_count() == 0


@pytest.mark.parametrize("text, expected", [
    ("高新技术企业（有效期至2027-12-31）；专精特新", [("高新技术企业", "2027-12-31"), ("专精特新", None)]),
    ("高新技术企业 (有效期至 2027/1/5) ; 专精特新；", [("高新技术企业", "2027-01-05"), ("专精特新", None)]),
    ("", []),
])
def test_the_qualifications_syntax(app, text, expected):
    assert [(q["name"], q["valid_to"]) for q in importing.parse_qualifications(text)] == expected


@pytest.mark.parametrize("text", ["高新技术企业:有效期至2027-12-31", "高新技术企业（2027-12-31）",
                                  "高新技术企业（有效期至明年）", "专精特新；专精特新"])
def test_qualifications_written_otherwise_are_refused(app, text):
    with pytest.raises(importing.CellError):
        importing.parse_qualifications(text)
