"""The department admin pages and the spreadsheet import."""
import io

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.departments.models import Department, DepartmentKind
from app.extensions import db


@pytest.fixture
def admin_client(client, make_user, login):
    login(make_user("admin"))
    return client


def department_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Department))


def upload(client, filename: str, data: bytes):
    return client.post_form("/admin/departments/import", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")


def test_list_shows_departments_and_filters(admin_client, make_department):
    make_department("SCJG", "市市场监督管理局")
    make_department("BDC", "市不动产登记中心", kind="key_unit")
    make_department("OLD", "市旧局", active=False)
    page = admin_client.get("/admin/departments/").get_data(as_text=True)
    assert "市市场监督管理局" in page and "市不动产登记中心" in page and "市旧局" in page
    page = admin_client.get("/admin/departments/?kind=key_unit").get_data(as_text=True)
    assert "市不动产登记中心" in page and "市市场监督管理局" not in page
    page = admin_client.get("/admin/departments/?status=inactive").get_data(as_text=True)
    assert "市旧局" in page and "市不动产登记中心" not in page
    page = admin_client.get("/admin/departments/?q=市场").get_data(as_text=True)
    assert "市市场监督管理局" in page and "市旧局" not in page


def test_admin_adds_a_department_and_it_is_audited(admin_client):
    response = admin_client.post_form("/admin/departments/new", {
        "code": "SWJ", "name": "市商务局", "kind": "service", "sort_order": "5", "active": "y"})
    assert response.status_code == 302
    department = db.session.scalar(select(Department).where(Department.code == "SWJ"))
    assert department.name == "市商务局" and department.active and department.sort_order == 5
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "department.create")).one()
    assert entry.actor_name == "admin-user" and entry.target == f"department:{department.id}"


def test_adding_without_csrf_token_changes_nothing(admin_client):
    response = admin_client.post("/admin/departments/new", data={"code": "SWJ", "name": "市商务局", "kind": "service"})
    assert response.status_code == 400
    assert department_count() == 0


def test_duplicate_code_is_refused_with_a_message(admin_client, make_department):
    make_department("SWJ", "市商务局")
    response = admin_client.post_form("/admin/departments/new", {"code": "swj", "name": "另一个局", "kind": "service"})
    assert response.status_code == 200
    assert "已有其他部门使用编码 swj" in response.get_data(as_text=True)
    assert department_count() == 1


def test_admin_edits_a_department(admin_client, make_department):
    department = make_department("SWJ", "市商务局")
    form = admin_client.get(f"/admin/departments/{department.id}/edit").get_data(as_text=True)
    assert 'value="市商务局"' in form
    response = admin_client.post_form(f"/admin/departments/{department.id}/edit", {
        "code": "SWJ", "name": "市商务和投资促进局", "kind": "key_unit", "sort_order": "3", "active": "y"})
    assert response.status_code == 302
    db.session.refresh(department)
    assert department.name == "市商务和投资促进局" and department.kind == DepartmentKind.key_unit
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "department.update")).one()
    assert entry.details["changes"]["name"] == ["市商务局", "市商务和投资促进局"]


def test_deactivate_is_a_post_and_reversible(admin_client, make_department):
    department = make_department("SWJ", "市商务局")
    assert admin_client.get(f"/admin/departments/{department.id}/active").status_code == 405
    admin_client.post_form(f"/admin/departments/{department.id}/active", {"active": "0"})
    db.session.refresh(department)
    assert department.active is False
    admin_client.post_form(f"/admin/departments/{department.id}/active", {"active": "1"})
    db.session.refresh(department)
    assert department.active is True


def test_editing_an_unknown_department_is_404(admin_client):
    assert admin_client.get("/admin/departments/999/edit").status_code == 404


def test_operator_sees_the_list_but_cannot_change_it(client, make_user, login, make_department):
    department = make_department("SWJ", "市商务局")
    login(make_user("operator"))
    page = client.get("/admin/departments/").get_data(as_text=True)
    assert "市商务局" in page and "/edit" not in page
    assert client.post_form(f"/admin/departments/{department.id}/active", {"active": "0"}).status_code == 403
    db.session.refresh(department)
    assert department.active


# --- import ---------------------------------------------------------------

GOOD_CSV = "编码,名称,类型,状态,排序\nSWJ,市商务局,服务部门,启用,10\nBDC,市不动产登记中心,重点单位,,20\n"


def test_import_csv_adds_departments(admin_client):
    response = upload(admin_client, "departments.csv", GOOD_CSV.encode("utf-8"))
    assert response.status_code == 302
    rows = {d.code: d for d in db.session.scalars(select(Department))}
    assert rows["SWJ"].name == "市商务局" and rows["SWJ"].sort_order == 10
    assert rows["BDC"].kind == DepartmentKind.key_unit and rows["BDC"].active
    assert "新增 2" in admin_client.get(response.headers["Location"]).get_data(as_text=True)


def test_import_reports_added_updated_unchanged(admin_client, make_department):
    make_department("SWJ", "市商务局", active=True)
    make_department("GAJ", "市公安局")
    department = db.session.scalar(select(Department).where(Department.code == "SWJ"))
    department.sort_order = 10
    db.session.commit()
    csv_text = "code,name,kind,active,sort_order\nSWJ,市商务局,service,active,10\nGAJ,市公安局,service,停用,1\nNEW,市新局,service,,\n"
    response = upload(admin_client, "d.csv", csv_text.encode())
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "新增 1" in page and "更新 1" in page and "未变 1" in page
    assert db.session.scalar(select(Department.active).where(Department.code == "GAJ")) is False


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_import_reads_bom_and_gb18030_files(admin_client, encoding):
    response = upload(admin_client, "d.csv", GOOD_CSV.encode(encoding))
    assert response.status_code == 302
    assert db.session.scalar(select(Department.name).where(Department.code == "SWJ")) == "市商务局"


def test_import_xlsx(admin_client):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["部门编码", "部门名称", "类型"])
    sheet.append(["SWJ", "市商务局", "服务部门"])
    sheet.append([None, None, None])
    sheet.append([101, "市一零一局", "重点单位"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(admin_client, "d.xlsx", buffer.getvalue())
    assert response.status_code == 302
    assert db.session.scalar(select(Department.name).where(Department.code == "101")) == "市一零一局"


def test_import_with_a_bad_row_imports_nothing_and_names_every_row(admin_client, make_department):
    make_department("GAJ", "市公安局")
    csv_text = (
        "编码,名称,类型\n"
        "SWJ,市商务局,服务部门\n"        # row 2: fine
        ",市无编码局,服务部门\n"          # row 3: missing code
        "XYZ,市某局,街道\n"              # row 4: unknown kind
        "SWJ,市商务局二,服务部门\n"       # row 5: duplicate of row 2
        "ABC,市公安局,服务部门\n"         # row 6: name taken by GAJ
    )
    response = upload(admin_client, "d.csv", csv_text.encode())
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "未导入任何数据" in page
    for row, fragment in [(3, "缺少编码"), (4, "街道"), (5, "与本文件第 2 行重复"), (6, "已有另一个编码不同的部门")]:
        assert f"<td>{row}</td>" in page and fragment in page
    assert department_count() == 1  # only GAJ, nothing from the file
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "department.import")) == 0


def test_import_without_required_column_names_it(admin_client):
    response = upload(admin_client, "d.csv", "名称,类型\n市商务局,服务部门\n".encode())
    page = response.get_data(as_text=True)
    assert "缺少必需的列" in page and "code" in page
    assert department_count() == 0


@pytest.mark.parametrize("filename,data", [
    ("d.xlsx", b"this is not a zip"),
    ("d.csv", b"\xff\xfe\x00\x00garbage\x81\x30"),
    ("d.pdf", b"%PDF-1.4"),
])
def test_import_of_an_unreadable_file_gives_a_message_not_a_500(admin_client, filename, data):
    response = upload(admin_client, filename, data)
    assert response.status_code == 200
    assert department_count() == 0


def test_a_file_with_only_codes_and_names_keeps_kind_status_and_order(admin_client, make_department):
    make_department("BDC", "市不动产登记中心", kind="key_unit", active=False)
    department = db.session.scalar(select(Department).where(Department.code == "BDC"))
    department.sort_order = 7
    db.session.commit()
    response = upload(admin_client, "d.csv", "编码,名称\nBDC,市不动产登记中心\nNEW,市新设局\n".encode())
    assert response.status_code == 302
    db.session.expire_all()
    kept = db.session.scalar(select(Department).where(Department.code == "BDC"))
    assert (kept.kind, kept.active, kept.sort_order) == (DepartmentKind.key_unit, False, 7)
    new = db.session.scalar(select(Department).where(Department.code == "NEW"))
    assert (new.kind, new.active, new.sort_order) == (DepartmentKind.service, True, 0)
