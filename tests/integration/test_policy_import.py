"""Importing policy items from a spreadsheet: whole-file validation, errors naming row and Chinese column, nothing
written on any error, drafts created or updated; and `flask policy import`."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.policy import catalogue, importing
from app.policy.catalogue import PolicyFields
from app.policy.models import ItemKind, ItemStatus, PolicyItem, PolicyItemVersion, PolicyLevel

HEADER = ["政策文号", "事项编号", "事项名称", "事项类别", "责任部门", "兑现方式", "享受方式", "定额金额(万元)", "比例(%)",
          "计算基数", "封顶金额(万元)", "享受内容", "预算(万元)", "申报材料", "承诺时限(工作日)", "条件", "人工审核条件",
          "适用规模", "适用行业"]


def row(**values) -> list[str]:
    base = {"政策文号": "X政发〔2026〕12号", "事项名称": "高新技术企业认定奖励", "事项类别": "资金奖补", "责任部门": "KJJ",
            "兑现方式": "申报审核", "定额金额(万元)": "30", "申报材料": "申请表；营业执照复印件",
            "承诺时限(工作日)": "15",
            "条件": "{qualifications} contains '高新技术企业' | 持有高新技术企业证书 | 第三条",
            "人工审核条件": "近三年无重大安全事故 | 第五条", "适用规模": "中型；小型", "适用行业": "C；I"}
    base.update(values)
    return [base.get(h, "") for h in HEADER]


def csv_bytes(*rows: list[str], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture
def world(app, make_department):
    make_department(code="KJJ", name="市科技局")  # the template's example names it
    make_department(code="SWJ", name="市税务局")
    policy = catalogue.create_policy(PolicyFields(title="关于支持科技型企业发展的若干措施", issuer="市人民政府",
                                                  level=PolicyLevel.city, doc_number="X政发〔2026〕12号"))
    db.session.commit()
    return policy


def items() -> int:
    return db.session.scalar(select(func.count()).select_from(PolicyItem))


def test_a_good_file_creates_draft_items(world):
    data = csv_bytes(
        row(),
        row(**{"事项名称": "研发费用加计扣除", "事项类别": "税费减免", "责任部门": "市税务局", "兑现方式": "免申即享",
               "定额金额(万元)": "", "比例(%)": "10", "计算基数": "纳税额", "封顶金额(万元)": "100",
               "条件": "{rd_ratio} >= 3 | 研发投入占比3%以上 | 第四条\n{employees} >= 10 | 从业人数10人以上 | 第四条",
               "人工审核条件": "", "适用规模": "", "适用行业": ""}),
        encoding="gb18030")
    report = importing.import_file("事项.csv", data)
    assert report.ok, report.errors
    db.session.commit()
    assert report.created == [f"ZC{world.id:04d}-01", f"ZC{world.id:04d}-02"]
    first, second = db.session.scalars(select(PolicyItem).order_by(PolicyItem.code)).all()
    assert first.status == ItemStatus.draft and first.current.number == 1
    assert first.current.kind == ItemKind.grant and first.current.amount == Decimal("30.00")
    assert first.current.materials == ["申请表", "营业执照复印件"]
    assert first.current.rules[0]["legal_ref"] == "第三条"
    assert first.current.reviews == [{"label": "近三年无重大安全事故", "legal_ref": "第五条"}]
    assert first.current.sizes == ["中型", "小型"] and first.current.industries == ["C", "I"]
    assert second.current.benefit_kind == "rate" and second.current.rate_base == "tax_paid"
    assert second.current.cap == Decimal("100.00") and len(second.current.rules) == 2
    catalogue.publish(first)  # what was imported is publishable as it is
    assert first.status == ItemStatus.published


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row_and_column(world):
    data = csv_bytes(row(), row(**{"事项名称": "第二个事项", "条件": "{turnover} >= 100 | 营业收入100万元以上 | 第二条"}),
                     row(**{"事项名称": "第三个事项"}))
    report = importing.import_file("事项.csv", data)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, "条件")]
    assert "{turnover}" in report.errors[0].reason
    db.session.commit()
    assert items() == 0


def test_unknown_values_are_named_by_column(world):
    data = csv_bytes(row(**{"事项类别": "补贴", "责任部门": "不存在的局", "兑现方式": "", "适用规模": "特大型",
                            "承诺时限(工作日)": "0", "政策文号": "不存在的文号"}))
    report = importing.import_file("事项.csv", data)
    columns = {e.column for e in report.errors}
    assert {"事项类别", "责任部门", "兑现方式", "适用规模", "承诺时限(工作日)", "政策文号"} <= columns
    assert {e.row for e in report.errors} == {2}
    assert items() == 0


def test_a_row_with_a_drafts_code_updates_that_draft_but_never_a_published_item(world):
    assert importing.import_file("a.csv", csv_bytes(row())).ok
    db.session.commit()
    code = f"ZC{world.id:04d}-01"
    report = importing.import_file("b.csv", csv_bytes(row(**{"事项编号": code, "定额金额(万元)": "45"})))
    assert report.ok and report.updated == [code]
    db.session.commit()
    item = db.session.scalar(select(PolicyItem))
    assert item.current.amount == Decimal("45.00") and items() == 1
    assert db.session.scalar(select(func.count()).select_from(PolicyItemVersion)) == 1
    catalogue.publish(item)
    db.session.commit()
    report = importing.import_file("c.csv", csv_bytes(row(**{"事项编号": code, "定额金额(万元)": "60"})))
    assert [(e.row, e.column) for e in report.errors] == [(2, "事项编号")]


def test_a_missing_required_column_is_named_in_chinese(world):
    data = "政策文号,事项名称\nX政发〔2026〕12号,某事项\n".encode()
    report = importing.import_file("x.csv", data)
    assert not report.ok and "事项类别" in report.errors[0].reason


def test_the_import_page_lists_the_columns_and_the_errors(client, world, make_user, login):
    login(make_user("policy", username="officer"))
    page = client.get("/admin/policy/import").get_data(as_text=True)
    assert "承诺时限(工作日)" in page and "人工审核条件" in page
    bad = csv_bytes(row(**{"责任部门": "XYZ"}))
    response = client.post_form("/admin/policy/import", {"file": (io.BytesIO(bad), "事项.csv")},
                                content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "责任部门" in page and "XYZ" in page
    assert items() == 0
    response = client.post_form("/admin/policy/import", {"file": (io.BytesIO(csv_bytes(row())), "事项.csv")},
                                content_type="multipart/form-data")
    assert response.status_code == 302 and items() == 1


def test_cli_import_exits_non_zero_on_error_and_zero_on_success(runner, world, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(row(**{"事项类别": "补贴"})))
    result = runner.invoke(args=["policy", "import", str(bad)])
    assert result.exit_code == 1
    assert "第2行" in result.output and "事项类别" in result.output
    assert items() == 0
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(row()))
    result = runner.invoke(args=["policy", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert f"ZC{world.id:04d}-01" in result.output
    db.session.remove()
    assert items() == 1


def test_the_template_downloads_and_imports_as_it_is(client, world, make_user, login):
    login(make_user("policy", username="officer"))
    response = client.get("/admin/policy/import/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    report = importing.import_file("模板.xlsx", response.data)  # its example names 市科技局, as the fixture's
    assert report.ok, report.errors
    assert items() == 1


def test_an_xlsx_file_is_read_like_a_csv(world):
    from app.platform.exports import Sheet, xlsx_bytes

    data = xlsx_bytes([Sheet("事项", [HEADER, row(), row(**{"事项名称": "第二个", "兑现方式": "随便"})])])
    report = importing.import_file("事项.xlsx", data)
    assert [(e.row, e.column) for e in report.errors] == [(3, "兑现方式")]
    assert items() == 0


def test_promised_days_written_as_a_superscript_are_an_error_not_a_crash(world):
    """"²" passes str.isdigit() but is no number int() reads: the row is refused by column, not a 500."""
    report = importing.import_file("事项.csv", csv_bytes(row(**{"承诺时限(工作日)": "1²"})))
    assert [(e.row, e.column) for e in report.errors] == [(2, "承诺时限(工作日)")]
    assert items() == 0
    report = importing.import_file("事项.csv", csv_bytes(row(**{"承诺时限(工作日)": "１５"})))  # full-width digits
    assert report.ok, report.errors
