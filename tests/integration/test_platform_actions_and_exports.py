"""The shared POST-action shape and the one spreadsheet writer, as the users of every domain meet them."""
import csv
import io

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from openpyxl import load_workbook
from wtforms import StringField
from wtforms.validators import DataRequired

from app.departments.models import Department, DepartmentKind
from app.extensions import db
from app.platform.actions import perform
from app.platform.exports import Sheet, csv_bytes, download, formula_safe, xlsx_bytes


class NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])


class Refused(Exception):
    pass


def rename(name: str):
    """A stand-in service: changes a department, refuses one name after changing it."""
    department = db.session.scalars(db.select(Department)).one()
    department.name = name
    db.session.flush()
    if name == "refused":
        raise Refused("这个名称不能用")
    return department


@pytest.fixture()
def department(app):
    with app.app_context():
        db.session.add(Department(code="SCJG", name="市场监管局", kind=DepartmentKind.service))
        db.session.commit()


def stored_name(app) -> str:
    with app.app_context():
        return db.session.scalars(db.select(Department.name)).one()


def act(app, data):
    with app.test_request_context("/x", method="POST", data=data):
        response = perform(NameForm(), lambda form: rename(form.name.data), refused=Refused,
                           done=lambda d: f"已保存 {d.name}", back="/back")
        return response, get_flashed_messages(with_categories=True)


def test_a_valid_action_is_committed_and_says_so(app, department):
    response, flashed = act(app, {"name": "新名称"})
    assert response.status_code == 302 and response.location.endswith("/back")
    assert flashed == [("success", "已保存 新名称")]
    assert stored_name(app) == "新名称"


def test_a_refused_action_changes_nothing_and_says_why(app, department):
    response, flashed = act(app, {"name": "refused"})
    assert response.status_code == 302
    assert flashed == [("error", "这个名称不能用")]
    assert stored_name(app) == "市场监管局"


def test_an_invalid_form_changes_nothing_and_names_the_field(app, department):
    response, flashed = act(app, {"name": ""})
    assert response.status_code == 302
    assert len(flashed) == 1 and flashed[0][0] == "error" and flashed[0][1].startswith("Name")
    assert stored_name(app) == "市场监管局"


def test_csv_has_a_bom_keeps_numbers_and_defuses_formulas():
    body = csv_bytes([["部门", "变化", "备注"], ["=HYPERLINK(\"x\")", -1.25, "-2+3"], ["@SUM(A1)", "-1.25", None]])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[1] == ["'=HYPERLINK(\"x\")", "-1.25", "'-2+3"]
    assert rows[2] == ["'@SUM(A1)", "-1.25", ""]


def test_formula_safe_drops_what_no_cell_can_hold():
    assert formula_safe("a\x00b\x1fc") == "abc"
    assert formula_safe("+86 138") == "'+86 138"


def test_xlsx_sheets_have_a_styled_header_formats_and_safe_text():
    body = xlsx_bytes([Sheet("排名", [["部门", "得分"], ["+cmd|' /C calc'!A0", 87.456]], formats=[None, "0.00"],
                             widths=[30, 9]),
                       Sheet("方法", [["项目", "内容"], ["说明", "很长的说明"]], wrap=(2,))])
    wb = load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["排名", "方法"]
    ranking = wb["排名"]
    assert ranking["A1"].font.bold and ranking.freeze_panes == "A2"
    assert ranking["A2"].value == "'+cmd|' /C calc'!A0"
    assert ranking["B2"].value == 87.456 and ranking["B2"].number_format == "0.00"
    assert ranking.column_dimensions["A"].width == 30
    assert wb["方法"]["B2"].alignment.wrap_text


def test_download_names_the_file_even_in_chinese():
    ascii_name = download(b"x", "audit-log.csv")
    assert ascii_name.headers["Content-Disposition"] == "attachment; filename=audit-log.csv"
    assert ascii_name.mimetype == "text/csv"
    chinese = download(b"x", "考核结果.xlsx")
    assert "filename*=UTF-8''%E8%80%83" in chinese.headers["Content-Disposition"]
    assert chinese.mimetype.endswith("spreadsheetml.sheet")
