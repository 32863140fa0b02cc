"""The complaints centre: intake, tracking, the lifecycle, confidentiality, attachments, analysis and deductions."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.complaints import analysis, service as complaints
from app.casework.models import AssignmentStatus, CaseAssignment, CaseAttachment, CaseStatus
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.calendar import local_today

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"x" * 100
NUMBER = re.compile(r"TS\d{8}-\d{4}")
CODE = re.compile(r"[A-Z2-9]{5}-[A-Z2-9]{5}")


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    return tmp_path / "attachments"


@pytest.fixture
def departments(make_department):
    return [make_department(name=name) for name in ("市市场监督管理局", "市住房和城乡建设局", "市税务局")]


@pytest.fixture
def handler(app, make_user):
    return make_user("complaints")


def as_user(app, user):
    """A separate browser logged in as ``user``."""
    browser = app.test_client()
    response = browser.post_form("/login", {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    return browser


def file_complaint(client, department_ids, files=None, **fields):
    data = {"category": "enforcement", "departments": department_ids, "subject": "执法检查吃拿卡要",
            "description": "2026年11月3日，执法人员到我店检查时暗示需要“表示”，否则将从严处罚。", "district": "城关区"}
    data.update(fields)
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post_form("/complaints/new", data, content_type="multipart/form-data")


def filed(client, department_ids, **fields):
    """File a complaint through the public pages; return (complaint, number, code)."""
    response = file_complaint(client, department_ids, **fields)
    assert response.status_code == 302 and response.headers["Location"].endswith("/complaints/filed")
    page = client.get("/complaints/filed").get_data(as_text=True)
    number, code = NUMBER.search(page).group(0), CODE.search(page).group(0)
    complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    return complaint, number, code


def track(client, number, code):
    return client.post_form("/complaints/track", {"tracking_number": number, "code": code}).get_data(as_text=True)


def actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action.startswith("complaint.")]


# --------------------------------------------------------------------------- intake and tracking

def test_public_pages_are_open_and_script_free(client):
    for path in ("/complaints/", "/complaints/new", "/complaints/track"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<script" not in html and "style=" not in html
    assert "纪检监察监督" in client.get("/complaints/").get_data(as_text=True)


def test_an_anonymous_complaint_gets_a_tracking_number_and_a_query_code_shown_once(client, departments):
    complaint, number, code = filed(client, [departments[0].id])
    assert complaint.anonymous and complaint.status == CaseStatus.submitted
    assert number.startswith(f"TS{local_today():%Y%m%d}-") and number.endswith("0001")
    assert code not in complaint.query_code_hash and complaints.normalise_code(code) not in complaint.query_code_hash
    assert client.get("/complaints/filed").status_code == 302  # shown once only
    second, number2, _code = filed(client, [departments[1].id])
    assert number2.endswith("0002")


def test_the_intake_checks_the_form(client, departments):
    response = file_complaint(client, [], description="太短")
    assert response.status_code == 200 and db.session.scalar(select(Complaint.id)) is None


def test_the_tracking_page_reveals_nothing_without_both_number_and_code(client, departments):
    complaint, number, code = filed(client, [departments[0].id])
    right = track(client, number, code.lower().replace("-", ""))  # typed loosely still works
    assert "待受理" in right and "执法检查吃拿卡要" in right
    wrong_code = track(client, number, "AAAAA-AAAAA")
    wrong_number = track(client, "TS20000101-0001", code)
    for page in (wrong_code, wrong_number):
        assert "未找到投诉" in page and "执法检查吃拿卡要" not in page and "待受理" not in page
    # The two failures are indistinguishable.
    strip = lambda html: re.sub(r'name="csrf_token"[^>]*>|value="[^"]*"', "", html)  # noqa: E731
    assert strip(wrong_code) == strip(wrong_number)
    assert "执法检查吃拿卡要" not in client.get("/complaints/track").get_data(as_text=True)


def test_tracking_is_rate_limited(app, client, departments):
    app.config["COMPLAINT_TRACK_RATE_LIMIT"] = "3 per hour"
    statuses = [client.post_form("/complaints/track", {"tracking_number": "TS20000101-0001",
                                                       "code": "AAAAA-AAAAA"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --------------------------------------------------------------------------- lifecycle

def test_the_lifecycle_end_to_end_with_reassignment_reopen_and_deductions(app, client, departments, handler,
                                                                          make_user):
    scjg, zjj, tax = departments
    complaint, number, code = filed(client, [scjg.id, zjj.id], name="张三", phone="13800138000")
    office = as_user(app, handler)
    base = f"/admin/complaints/{number}"

    assert office.post_form(f"{base}/accept", {"note": "属于受理范围"}).status_code == 302
    due = local_today() + timedelta(days=10)
    office.post_form(f"{base}/assign", {"departments": [scjg.id, zjj.id], "due_on": due.isoformat(),
                                        "instructions": "请核实并依法处理"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == CaseStatus.assigned and len(complaint.current_assignments) == 2
    wrong = next(a for a in complaint.assignments if a.department_id == zjj.id)
    office.post_form(f"{base}/assignments/{wrong.id}/reassign", {"department_id": tax.id, "reason": "职责不属于住建"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert {a.department_id for a in complaint.current_assignments} == {scjg.id, tax.id}
    assert db.session.get(CaseAssignment, wrong.id).status == AssignmentStatus.withdrawn

    liaisons = {}
    for department in (scjg, tax):
        liaisons[department.id] = liaison = as_user(app, make_user("liaison", username=f"liaison-{department.code}",
                                                                   department=department))
        assignment = next(a for a in complaint.current_assignments if a.department_id == department.id)
        response = liaison.post_form(f"/admin/complaints/assigned/{assignment.id}",
                                     {"reply": "经核查，情况属实，已对相关执法人员立案调查。",
                                      "evidence": [(io.BytesIO(PDF), "核查报告.pdf")]},
                                     content_type="multipart/form-data")
        assert response.status_code == 302
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == CaseStatus.replied
    assert len([a for a in complaint.attachments if a.assignment_id]) == 2

    office.post_form(f"{base}/close", {"outcome": "solved", "satisfaction": "unsatisfied", "substantiated": [scjg.id],
                                       "public_reply": "经市场监管局核查，反映情况属实，已立案调查。"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == CaseStatus.closed and complaint.satisfaction.value == "unsatisfied"
    progress = track(client, number, code)
    assert "已办结" in progress and "已立案调查" in progress
    today = local_today()
    assert analysis.deductions(today, today)[scjg.id].substantiated == 1
    assert tax.id not in analysis.deductions(today, today)

    office.post_form(f"{base}/reopen", {"reason": "投诉人对处理结果不满意"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.status == CaseStatus.accepted and complaint.reopen_count == 1
    assert complaint.current_assignments == []
    # The finding stands while the complaint is handled again: a round scored now still deducts it.
    assert analysis.deductions(today, today)[scjg.id].substantiated == 1
    office.post_form(f"{base}/assign", {"departments": [scjg.id], "due_on": due.isoformat()})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    again = complaint.current_assignments[0]
    assert again.cycle == 2
    liaisons[scjg.id].post_form(f"/admin/complaints/assigned/{again.id}", {"reply": "已补充调查并对当事人给予处分，向投诉人当面说明。"},
                      content_type="multipart/form-data")
    office.post_form(f"{base}/close", {"outcome": "solved", "satisfaction": "satisfied", "substantiated": [scjg.id],
                                       "public_reply": "已补充调查并依纪依规处理，感谢您的监督。"})
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == CaseStatus.closed
    assert analysis.deductions(today, today)[scjg.id].substantiated == 1  # one complaint counts once
    assert [a for a in actions() if a != "complaint.view"][:9] == [
        "complaint.accept", "complaint.assign", "complaint.withdraw", "complaint.assign", "complaint.reassign",
        "complaint.reply", "complaint.reply", "complaint.close", "complaint.reopen"]
    assert actions()[-3:] == ["complaint.assign", "complaint.reply", "complaint.close"]
    for entry in db.session.scalars(select(AuditEntry)):
        assert "张三" not in str(entry.details) and "13800138000" not in str(entry.details)


def test_decline_needs_a_reason_the_complainant_reads(app, client, departments, handler):
    complaint, number, code = filed(client, [departments[0].id])
    office = as_user(app, handler)
    office.post_form(f"/admin/complaints/{number}/decline", {"reason": "短"})
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == CaseStatus.submitted
    office.post_form(f"/admin/complaints/{number}/decline", {"reason": "该事项已进入诉讼程序，不属于本中心受理范围。"})
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == CaseStatus.declined
    page = track(client, number, code)
    assert "不予受理" in page and "已进入诉讼程序" in page
    assert office.post_form(f"/admin/complaints/{number}/accept").status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == CaseStatus.declined  # a final state
    assert "complaint.decline" in actions()


def test_a_deadline_in_the_past_is_refused(app, client, departments, handler):
    complaint, number, _code = filed(client, [departments[0].id])
    office = as_user(app, handler)
    office.post_form(f"/admin/complaints/{number}/accept")
    office.post_form(f"/admin/complaints/{number}/assign", {"departments": [departments[0].id],
                                                           "due_on": (local_today() - timedelta(days=1)).isoformat()})
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignments == []


def test_overdue_assignments_are_listed_and_reminded(app, client, departments, handler, make_user):
    complaint, number, _code = filed(client, [departments[0].id])
    office = as_user(app, handler)
    office.post_form(f"/admin/complaints/{number}/accept")
    office.post_form(f"/admin/complaints/{number}/assign", {"departments": [departments[0].id],
                                                           "due_on": local_today().isoformat()})
    assignment = db.session.scalar(select(CaseAssignment))
    assignment.due_on = local_today() - timedelta(days=2)
    db.session.commit()
    page = office.get("/admin/complaints/overdue").get_data(as_text=True)
    assert number in page and 'class="overdue"' in page
    assert "1 件交办已逾期" in office.get("/admin/complaints/").get_data(as_text=True)
    office.post_form(f"/admin/complaints/{number}/assignments/{assignment.id}/remind",
                     {"note": "请于明日前答复", "next": "/admin/complaints/overdue"})
    db.session.expire_all()
    assignment = db.session.get(CaseAssignment, assignment.id)
    assert assignment.reminder_count == 1 and assignment.last_reminded_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.remind"))
    assert entry.details["overdue"] is True
    liaison = as_user(app, make_user("liaison", department=departments[0]))
    assert "已督办 1 次" in liaison.get("/admin/complaints/assigned").get_data(as_text=True)
    liaison.post_form(f"/admin/complaints/assigned/{assignment.id}", {"reply": "已核实处理完毕，并向当事人反馈。"},
                      content_type="multipart/form-data")
    db.session.expire_all()
    assert db.session.get(CaseAssignment, assignment.id).on_time is False
    result = analysis.analyse(local_today(), local_today())
    assert result.on_time.replied_late == 1 and result.on_time.on_time_rate == 0.0


# --------------------------------------------------------------------------- confidentiality

def test_the_complainants_identity_is_hidden_from_departments(app, client, departments, handler, make_user):
    complaint, number, _code = filed(client, [departments[0].id], name="李四", organisation="城关区某某餐饮店",
                                     phone="13912345678", contact="lisi@example.com")
    office = as_user(app, handler)
    handler_view = office.get(f"/admin/complaints/{number}").get_data(as_text=True)
    assert "李四" in handler_view and "139****5678" in handler_view and "lisi@example.com" in handler_view
    assert "13912345678" not in handler_view  # masked until the handler asks to call back
    revealed = office.post_form(f"/admin/complaints/{number}/phone").get_data(as_text=True)
    assert "13912345678" in revealed
    reveal = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.phone_reveal"))
    assert reveal.target == f"complaint:{number}" and "13912345678" not in str(reveal.details)
    office.post_form(f"/admin/complaints/{number}/accept")
    office.post_form(f"/admin/complaints/{number}/assign", {"departments": [departments[0].id],
                                                           "due_on": local_today().isoformat()})
    assignment = db.session.scalar(select(CaseAssignment))
    liaison = as_user(app, make_user("liaison", department=departments[0]))
    pages = [liaison.get("/admin/complaints/assigned").get_data(as_text=True),
             liaison.get(f"/admin/complaints/assigned/{assignment.id}").get_data(as_text=True)]
    assert "执法检查吃拿卡要" in pages[1]
    for page in pages:
        for secret in ("李四", "某某餐饮店", "13912345678", "139****5678", "lisi@example.com"):
            assert secret not in page
    assert liaison.get(f"/admin/complaints/{number}").status_code == 403
    assert liaison.get("/admin/complaints/").status_code == 403
    assert liaison.get("/admin/complaints/analysis.csv").status_code == 403
    other = as_user(app, make_user("liaison", username="other-liaison", department=departments[1]))
    assert other.get(f"/admin/complaints/assigned/{assignment.id}").status_code == 403
    # The export carries no identity either.
    hr = as_user(app, make_user("hr"))
    export = hr.get("/admin/complaints/analysis.csv").data.decode("utf-8-sig")
    assert number in export and "李四" not in export and "13912345678" not in export


@pytest.mark.parametrize("path,allowed", [
    ("/admin/complaints/", {"admin", "complaints"}),
    ("/admin/complaints/overdue", {"admin", "complaints"}),
    ("/admin/complaints/analysis", {"admin", "complaints", "hr", "auditor"}),
    ("/admin/complaints/assigned", {"admin", "complaints", "liaison"}),
])
@pytest.mark.parametrize("role", ["admin", "designer", "operator", "hr", "liaison", "complaints", "auditor"])
def test_complaint_pages_by_role(client, make_user, login, path, allowed, role):
    login(make_user(role))
    status = client.get(path).status_code
    if role in ("admin", "complaints") and path.endswith("/assigned"):
        assert status == 302  # no department: sent on to the complaints list
    else:
        assert status == (200 if role in allowed else 403)


# --------------------------------------------------------------------------- attachments

def test_attachments_are_stored_outside_the_web_root_and_served_only_to_staff(app, client, departments, handler,
                                                                             make_user, attachment_dir):
    complaint, number, _code = filed(client, [departments[0].id], files=[("现场照片.png", PNG), ("通知书.pdf", PDF)])
    stored = db.session.scalars(select(CaseAttachment).order_by(CaseAttachment.id)).all()
    assert [a.content_type for a in stored] == ["image/png", "application/pdf"]
    for item in stored:
        path = attachment_dir / item.stored_name
        assert path.is_file() and "现场照片" not in item.stored_name and len(item.stored_name) >= 32
    assert client.get(f"/admin/complaints/attachments/{stored[0].id}").status_code == 302  # to the login page
    office = as_user(app, handler)
    download = office.get(f"/admin/complaints/attachments/{stored[0].id}")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # A department sees a complainant's file only once a handler has shared it.
    office.post_form(f"/admin/complaints/{number}/accept")
    office.post_form(f"/admin/complaints/{number}/assign", {"departments": [departments[0].id],
                                                           "due_on": local_today().isoformat()})
    liaison = as_user(app, make_user("liaison", department=departments[0]))
    assert liaison.get(f"/admin/complaints/attachments/{stored[0].id}").status_code == 403
    office.post_form(f"/admin/complaints/{number}/attachments/{stored[0].id}/share")
    assert liaison.get(f"/admin/complaints/attachments/{stored[0].id}").status_code == 200
    assert liaison.get(f"/admin/complaints/attachments/{stored[1].id}").status_code == 403
    outsider = as_user(app, make_user("liaison", username="outsider", department=departments[2]))
    assert outsider.get(f"/admin/complaints/attachments/{stored[0].id}").status_code == 403


def test_oversize_attachments_are_refused_and_nothing_is_stored(app, client, departments, attachment_dir):
    app.config["COMPLAINT_ATTACHMENT_MAX_BYTES"] = 1024
    response = file_complaint(client, [departments[0].id], files=[("ok.png", PNG), ("big.pdf", PDF + b"x" * 2000)])
    assert response.status_code == 200 and "big.pdf" in response.get_data(as_text=True)
    assert db.session.scalar(select(Complaint.id)) is None
    assert not attachment_dir.exists() or not any(attachment_dir.iterdir())


@pytest.mark.parametrize("name,content", [
    ("invoice.pdf", b"MZ\x90\x00 this is a Windows program"),
    ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ("scan.png", b"GIF89a" + b"\x00" * 50),
])
def test_a_wrong_type_disguised_by_its_extension_is_refused(client, departments, name, content):
    response = file_complaint(client, [departments[0].id], files=[(name, content)])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "不是 PDF、PNG 或 JPEG 文件" in html
    assert db.session.scalar(select(Complaint.id)) is None


def test_a_real_file_with_any_name_is_typed_by_its_content(app, client, departments):
    filed(client, [departments[0].id], files=[("photo.pdf", b"\xff\xd8\xff\xe0" + b"\x00" * 50)])
    item = db.session.scalar(select(CaseAttachment))
    assert item.content_type == "image/jpeg" and item.stored_name.endswith(".jpg")


def test_too_many_attachments_are_refused(app, client, departments):
    app.config["COMPLAINT_ATTACHMENT_MAX_FILES"] = 2
    response = file_complaint(client, [departments[0].id], files=[(f"{i}.png", PNG) for i in range(3)])
    assert response.status_code == 200 and db.session.scalar(select(Complaint.id)) is None


# --------------------------------------------------------------------------- analysis and deductions

def _closed_complaint(departments_substantiated, departments_assigned, **fields):
    complaint, _code = complaints.submit(category=fields.get("category", "enterprise_policy"),
                                         department_ids=[d.id for d in departments_assigned], subject="惠企政策未兑现",
                                         description="申请的稳岗补贴超过承诺时限仍未发放。", phone=fields.get("phone", ""),
                                         district=fields.get("district", ""))
    complaints.accept(complaint)
    for assignment in complaints.assign(complaint, departments_assigned, local_today()):
        complaints.reply(assignment, "经核查已发放补贴，并向企业说明。")
    complaints.close(complaint, outcome="solved", satisfaction=fields.get("satisfaction", "satisfied"), public_reply="补贴已发放到位。",
                     substantiated_department_ids=[d.id for d in departments_substantiated])
    db.session.commit()
    return complaint


def test_deductions_count_substantiated_complaints_with_configurable_points_and_a_cap(app, departments):
    a, b, c = departments
    app.config["COMPLAINT_DEDUCTION_POINTS"] = 2
    app.config["COMPLAINT_DEDUCTION_CAP"] = 5
    for _ in range(3):
        _closed_complaint([a], [a, b])
    _closed_complaint([b], [b])
    _closed_complaint([], [c])
    today = local_today()
    result = analysis.deductions(today, today)
    assert result[a.id].substantiated == 3 and result[a.id].points == 5  # 6, capped at 5
    assert result[b.id].substantiated == 1 and result[b.id].points == 2
    assert c.id not in result
    assert analysis.deductions(today - timedelta(days=40), today - timedelta(days=10)) == {}
    assert analysis.deductions(today, today, points_each=1, cap=10)[a.id].points == 3


def test_analysis_counts_and_a_formula_safe_export(app, client, departments, make_user, login):
    a, b, _c = departments
    _closed_complaint([a], [a], phone="13700137000", district="=HYPERLINK(\"x\")")
    repeat = _closed_complaint([], [a], phone="13700137000", satisfaction="unsatisfied", category="discipline")
    assert repeat.repeat_of is not None
    today = local_today()
    result = analysis.analyse(today, today)
    assert result.total == 2 and result.repeats == 1
    assert result.by_category == {"enterprise_policy": 1, "discipline": 1}
    assert result.by_month == {today.strftime("%Y-%m"): 2}
    assert result.by_department[a.id].complaints == 2 and result.by_department[a.id].substantiated == 1
    assert result.satisfaction_rate == 0.5 and result.on_time.on_time_rate == 1.0
    login(make_user("hr"))
    page = client.get("/admin/complaints/analysis").get_data(as_text=True)
    assert "投诉统一分析" in page and a.name in page
    export = client.get("/admin/complaints/analysis.csv")
    assert export.data.startswith(b"\xef\xbb\xbf")
    text = export.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "complaint.export"))


@pytest.mark.parametrize("path", ["/admin/complaints/analysis", "/admin/complaints/analysis.csv",
                                  "/admin/realtime/", "/admin/realtime/channel.csv"])
def test_report_pages_survive_absurd_dates(client, make_user, login, path):
    login(make_user("admin"))
    assert client.get(f"{path}?start=0001-01-01&end=9999-12-31").status_code == 200


def test_an_overdue_assignment_can_be_moved_with_a_fresh_deadline(app, client, departments, handler):
    complaint, number, _code = filed(client, [departments[0].id])
    office = as_user(app, handler)
    office.post_form(f"/admin/complaints/{number}/accept")
    office.post_form(f"/admin/complaints/{number}/assign", {"departments": [departments[0].id],
                                                           "due_on": local_today().isoformat()})
    assignment = db.session.scalar(select(CaseAssignment))
    assignment.due_on = local_today() - timedelta(days=3)
    db.session.commit()
    office.post_form(f"/admin/complaints/{number}/assignments/{assignment.id}/reassign",
                     {"department_id": departments[1].id, "reason": "职责划分调整，改由该部门办理"})
    db.session.expire_all()
    moved = db.session.scalars(select(CaseAssignment).where(
        CaseAssignment.department_id == departments[1].id)).one()
    assert moved.due_on == complaints.default_due_date() and moved.due_on > local_today()
