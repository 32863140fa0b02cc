"""The pool's pages, its export and its command line."""
import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.pool.models import MemberStatus, Respondent
from tests.integration.test_pool_import import HEADER, ROWS, csv_bytes, run_import

FULL_PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.fixture
def operator_client(client, make_user, login):
    login(make_user("operator"))
    return client


@pytest.fixture
def admin_client(client, make_user, login):
    login(make_user("admin"))
    return client


def upload(client, data: bytes, filename="pool.csv"):
    return client.post_form("/admin/pool/import", {"file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")


@pytest.mark.parametrize("role,expected", [("operator", 200), ("admin", 200), ("hr", 403), ("liaison", 403),
                                           ("designer", 403), ("auditor", 403)])
def test_pool_list_is_for_operators(client, make_user, login, role, expected):
    login(make_user(role))
    assert client.get("/admin/pool/").status_code == expected


def test_export_is_for_administrators_only(operator_client):
    assert operator_client.get("/admin/pool/export.csv").status_code == 403


def test_upload_preview_commit_through_the_pages(operator_client):
    response = upload(operator_client, csv_bytes(ROWS))
    assert response.status_code == 302
    preview = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "将新增 3 名" in preview and "四上企业" in preview
    assert db.session.scalar(select(Respondent.id).limit(1)) is None  # nothing written before the commit
    done = operator_client.post_form(response.headers["Location"], {"action": "commit"})
    assert done.status_code == 302
    assert "新增 3 名" in operator_client.get(done.headers["Location"]).get_data(as_text=True)
    assert len(db.session.scalars(select(Respondent)).all()) == 3


def test_a_preview_with_errors_commits_nothing_unless_told_to_skip_them(operator_client):
    response = upload(operator_client, csv_bytes(ROWS + [["坏号码", "sme", "城关区", "", "12345"]]))
    location = response.headers["Location"]
    preview = operator_client.get(location).get_data(as_text=True)
    assert "<td>5</td>" in preview and "不是有效的中国大陆手机号码" in preview
    refused = operator_client.post_form(location, {"action": "commit"})
    assert "未导入任何数据" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Respondent.id).limit(1)) is None
    operator_client.post_form(location, {"action": "commit", "only_valid_rows": "y"})
    assert len(db.session.scalars(select(Respondent)).all()) == 3


def test_cancel_discards_the_upload(operator_client):
    location = upload(operator_client, csv_bytes(ROWS)).headers["Location"]
    operator_client.post_form(location, {"action": "cancel"})
    assert operator_client.get(location).status_code == 302  # gone: back to the upload page
    assert db.session.scalar(select(Respondent.id).limit(1)) is None


def test_another_operator_cannot_open_my_upload(app, operator_client, make_user):
    location = upload(operator_client, csv_bytes(ROWS)).headers["Location"]
    other = app.test_client()
    other.post_form("/login", {"username": make_user("operator", username="other").username,
                               "password": "correct horse battery"})
    response = other.get(location)
    assert response.status_code == 302 and "pool/import" in response.headers["Location"]
    assert "张伟" not in other.get(location, follow_redirects=True).get_data(as_text=True)


def test_no_page_export_or_log_shows_a_full_phone_number(app, admin_client, runner, tmp_path):
    run_import(csv_bytes(ROWS))
    member = db.session.scalar(select(Respondent).where(Respondent.key == "P000001"))
    duplicate_upload = upload(admin_client, csv_bytes([ROWS[0], ROWS[0]]))
    pages = {
        "list": admin_client.get("/admin/pool/").get_data(as_text=True),
        "search": admin_client.get("/admin/pool/?q=张伟").get_data(as_text=True),
        "edit": admin_client.get(f"/admin/pool/members/{member.key}").get_data(as_text=True),
        "preview": admin_client.get(duplicate_upload.headers["Location"]).get_data(as_text=True),
        "csv": admin_client.get("/admin/pool/export.csv").get_data(as_text=True),
    }
    assert "138****0001" in pages["list"] and "138****0001" in pages["edit"] and "138****0001" in pages["csv"]
    assert "与本文件第 2 行重复" in pages["preview"]
    for name, text in pages.items():
        assert not FULL_PHONE.search(text), name
    workbook = openpyxl.load_workbook(io.BytesIO(admin_client.get("/admin/pool/export.xlsx").data))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row]
    assert "138****0001" in cells and not any(FULL_PHONE.search(c) for c in cells)
    audit_text = " ".join(str(e.details) + e.target for e in db.session.scalars(select(AuditEntry)))
    assert not FULL_PHONE.search(audit_text)
    result = runner.invoke(args=["pool", "import", "--dry-run", str(write(tmp_path, csv_bytes([ROWS[0], ROWS[0]])))])
    assert not FULL_PHONE.search(result.output)


def write(tmp_path, data: bytes, name="pool.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_exports_cannot_be_read_as_formulas(admin_client):
    hostile = [["=HYPERLINK(\"http://x\",\"点我\")", "sme", "+区", "@SUM(A1)", "13800000001"],
               ["-2+3", "sme", "\t城关区", "正常单位", "13800000002"]]
    run_import(csv_bytes(hostile))
    rows = list(csv.reader(io.StringIO(admin_client.get("/admin/pool/export.csv").data.decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"http://x\",\"点我\")" and rows[1][3] == "'+区" and rows[1][4] == "'@SUM(A1)"
    assert rows[2][1] == "'-2+3"
    workbook = openpyxl.load_workbook(io.BytesIO(admin_client.get("/admin/pool/export.xlsx").data))
    sheet = workbook.active
    assert sheet["B2"].data_type == "s" and sheet["B2"].value.startswith("'=")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_a_name_no_spreadsheet_cell_can_hold_still_exports(admin_client):
    """A control character stored before the edit form refused them (or by a script) must not break the export."""
    run_import(csv_bytes(ROWS))
    member = db.session.scalar(select(Respondent).where(Respondent.key == "P000002"))
    member.name, member.organisation = "李\x0b娜", "李\x01记"
    db.session.commit()
    response = admin_client.get("/admin/pool/export.xlsx")
    assert response.status_code == 200
    names = [c.value for c in openpyxl.load_workbook(io.BytesIO(response.data)).active["B"]]
    assert "李娜" in names


def test_the_edit_form_refuses_a_control_character_and_keeps_the_member(admin_client):
    run_import(csv_bytes(ROWS))
    refused = admin_client.post_form("/admin/pool/members/P000002", {
        "name": "李\x0b娜", "category_id": "2", "district": "高新区", "organisation": "李记", "phone": "138****0002"})
    assert "U+000B" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(Respondent.name).where(Respondent.key == "P000002")) == "李娜"


def test_edit_member_and_replace_the_phone(operator_client):
    run_import(csv_bytes(ROWS))
    page = operator_client.get("/admin/pool/members/P000002").get_data(as_text=True)
    assert 'value="138****0002"' in page
    operator_client.post_form("/admin/pool/members/P000002", {
        "name": "李娜", "category_id": "2", "district": "高新区", "organisation": "李记", "phone": "138****0002"})
    member = db.session.scalar(select(Respondent).where(Respondent.key == "P000002"))
    assert member.district == "高新区" and member.phone == "+8613800000002"
    refused = operator_client.post_form("/admin/pool/members/P000002", {
        "name": "李娜", "category_id": "2", "district": "高新区", "organisation": "李记", "phone": "13800000001"})
    assert "与现有成员 P000001 重复" in refused.get_data(as_text=True)
    operator_client.post_form("/admin/pool/members/P000002", {
        "name": "李娜", "category_id": "2", "district": "高新区", "organisation": "李记", "phone": "13912345678"})
    db.session.expire_all()
    assert db.session.scalar(select(Respondent.phone_masked).where(Respondent.key == "P000002")) == "139****5678"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pool.member.update")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details == {"fields": ["phone"], "ip": "127.0.0.1"}


def test_opt_out_needs_a_reason_and_is_audited(operator_client):
    run_import(csv_bytes(ROWS))
    operator_client.post_form("/admin/pool/members/P000001/status", {"status": "opted_out", "reason": ""})
    assert db.session.scalar(select(Respondent.status).where(Respondent.key == "P000001")) == MemberStatus.active
    operator_client.post_form("/admin/pool/members/P000001/status", {"status": "opted_out", "reason": "回复TD退订"})
    member = db.session.scalar(select(Respondent).where(Respondent.key == "P000001"))
    assert member.status == MemberStatus.opted_out and member.status_reason == "回复TD退订"
    assert member.status_changed_on is not None
    page = operator_client.get("/admin/pool/?status=opted_out").get_data(as_text=True)
    assert "P000001" in page and "P000002" not in page


def test_list_filters_search_and_pagination(operator_client):
    rows = [[f"成员{i:03d}", "sme" if i % 2 else "citizen", "高新区" if i < 10 else "城关区", f"单位{i}",
             f"1380000{i:04d}"] for i in range(60)]
    run_import(csv_bytes(rows))
    first = operator_client.get("/admin/pool/").get_data(as_text=True)
    assert "共 60 名成员" in first and "第 1 页，共 2 页" in first and "成员000" in first and "成员059" not in first
    second = operator_client.get("/admin/pool/?page=2").get_data(as_text=True)
    assert "成员059" in second
    filtered = operator_client.get("/admin/pool/?category=sme&district=高新区").get_data(as_text=True)
    assert "共 5 名成员" in filtered
    assert "共 1 名成员" in operator_client.get("/admin/pool/?q=单位42").get_data(as_text=True)


def test_composition_against_targets(operator_client):
    run_import(csv_bytes(ROWS))
    page = operator_client.get("/admin/pool/composition").get_data(as_text=True)
    assert "高新区" in page and "四上企业" in page
    assert re.search(r"四上企业</th>(?:\s*<td>\d+</td>){3}\s*<td>1</td>\s*<td>300</td>\s*<td>299</td>", page)


def test_targets_and_new_categories(operator_client):
    page = operator_client.get("/admin/pool/categories").get_data(as_text=True)
    ids = re.findall(r'name="target-(\d+)"', page)
    assert len(ids) == 6
    data = {f"target-{i}": "10" for i in ids}
    operator_client.post_form("/admin/pool/categories/targets", data)
    assert "<td>60</td>" in operator_client.get("/admin/pool/composition").get_data(as_text=True)
    operator_client.post_form("/admin/pool/categories", {"key": "overseas", "label_zh": "港澳台侨", "target": "20"})
    plan_rows = [["陈先生", "港澳台侨", "高新区", "", "13800000009"]]
    assert run_import(csv_bytes(plan_rows))[1].added == 1


def test_cli_import_dry_run_and_errors(runner, tmp_path):
    good = write(tmp_path, csv_bytes(ROWS), "good.csv")
    bad = write(tmp_path, csv_bytes(ROWS + [["", "sme", "", "", "13800000008"]]), "bad.csv")
    result = runner.invoke(args=["pool", "import", "--dry-run", str(good)])
    assert result.exit_code == 0 and "3 to add" in result.output
    assert db.session.scalar(select(Respondent.id).limit(1)) is None
    result = runner.invoke(args=["pool", "import", str(bad)])
    assert result.exit_code == 1 and "row 5, name" in result.output
    assert db.session.scalar(select(Respondent.id).limit(1)) is None
    result = runner.invoke(args=["pool", "import", str(good)])
    assert result.exit_code == 0 and "3 added" in result.output
    stats = runner.invoke(args=["pool", "stats"])
    assert "large_enterprise" in stats.output and re.search(r"total\s+3\s+2000", stats.output)


def test_cli_export_writes_a_masked_formula_safe_file(runner, tmp_path):
    run_import(csv_bytes([["=1+1", "sme", "", "", "13800000001"]]))
    target = tmp_path / "out.csv"
    assert runner.invoke(args=["pool", "export", str(target)]).exit_code == 0
    text = target.read_bytes().decode("utf-8-sig")
    assert "'=1+1" in text and "138****0001" in text and not FULL_PHONE.search(text)
    assert HEADER[0] in text


def test_uploads_are_deleted_once_expired(app, operator_client):
    from datetime import timedelta

    from app.pool.models import StagedImport

    location = upload(operator_client, csv_bytes(ROWS)).headers["Location"]
    staged = db.session.scalars(select(StagedImport)).one()
    staged.created_at -= timedelta(hours=app.config["STAGED_IMPORT_TTL_HOURS"] + 1)
    db.session.commit()
    assert operator_client.get(location).status_code == 302  # expired: back to the upload page
    db.session.expire_all()
    assert db.session.scalars(select(StagedImport)).all() == []  # and the file with its phone numbers is gone
