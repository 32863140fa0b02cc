"""The auditor's page (list, filters, chain check, export), and: every admin action leaves an entry in the log."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from app.assessment import scoring
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.casework.models import CaseAttachment
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.roles import Role
from app.pool.models import Respondent
from app.realtime.models import FollowUpTask, RealtimeRating
from app.rounds.models import Campaign
from tests.conftest import PASSWORD
from tests.integration.test_assessment import closed_round, test_scheme  # noqa: F401  (a fixture and a helper)
from tests.integration.test_audit_log import disable_protection, enable_protection
from tests.integration.test_complaints import PNG, filed
from tests.integration.test_draws import new_round, seed_pool
from tests.integration.test_realtime import rate


def browser(app, user):
    """A separate browser logged in as ``user``."""
    client = app.test_client()
    assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def auditor(app, make_user):
    return browser(app, make_user("auditor", username="jjw"))


def write(action: str, target: str, details: dict | None = None, actor=None) -> AuditEntry:
    entry = audit.record(action, target, details or {}, actor=actor)
    db.session.commit()
    return entry


def shown_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="entry-(\d+)"', html)]


def chain_report(html: str) -> dict[str, str]:
    match = re.search(r'id="chain-report"[^>]*data-ok="(\w+)" data-checked="(\d+)" data-broken-id="(\d*)"', html)
    assert match, "no chain report on the page"
    return {"ok": match.group(1), "checked": match.group(2), "broken_id": match.group(3)}


# --------------------------------------------------------------------------- the page

def test_the_auditor_sees_entries_newest_first_with_abbreviated_hashes(app, auditor):
    first, second = write("pool.export", "pool", {"format": "csv"}), write("department.create", "department:7")
    html = auditor.get("/admin/audit/").get_data(as_text=True)
    ids = shown_ids(html)
    assert ids == sorted(ids, reverse=True) and {first.id, second.id} <= set(ids)
    assert f'title="{second.entry_hash}">{second.entry_hash[:10]}…' in html
    assert f'title="{second.prev_hash}">{second.prev_hash[:10]}…' in html
    assert second.prev_hash == first.entry_hash
    # read in Chinese: the action's name, the target's kind, the details' keys and coded values
    assert "<span>格式：CSV</span>" in html and ">导出样本库</td>" in html and ">部门 7</td>" in html


def test_the_list_is_paginated(app, auditor):
    for i in range(55):
        audit.record("test.bulk", f"thing:{i}", {"n": i})
    db.session.commit()
    first = auditor.get("/admin/audit/?action=test.bulk").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "page=2" in next_link and "action=test.bulk" in next_link  # the filter survives paging
    second = auditor.get(next_link).get_data(as_text=True)
    assert len(shown_ids(first)) == 50 and len(shown_ids(second)) == 5
    assert not set(shown_ids(first)) & set(shown_ids(second))
    assert min(shown_ids(first)) > max(shown_ids(second))  # newest first across pages


def test_filters_by_action_actor_target_and_dates(app, auditor, make_user):
    hr = make_user("hr", username="khb")
    a = write("campaign.scored", "campaign:12", actor=hr)
    b = write("campaign.scored", "campaign:3")
    c = write("complaint.accept", "complaint:TS20261101-0001", actor=hr)

    def ids(query: str) -> set[int]:
        return set(shown_ids(auditor.get(f"/admin/audit/?{query}").get_data(as_text=True)))

    assert ids("action=campaign.scored") == {a.id, b.id}
    assert ids("actor=KHB") == {a.id, c.id}  # any case, part of the name
    assert ids("actor=kh&action=campaign.scored") == {a.id}
    assert ids("target=campaign:1") == {a.id}
    assert ids("target=%25") == set()  # a literal %, not a wildcard
    today = date.today()
    assert {a.id, b.id, c.id} <= ids(f"start={today - timedelta(days=1)}&end={today + timedelta(days=1)}")
    assert ids(f"start={today + timedelta(days=2)}") == set()
    assert ids(f"end={today - timedelta(days=2)}") == set()
    html = auditor.get("/admin/audit/").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', html)
    # every action once, by its name; the name is Chinese, the value the code the filter matches
    assert [label for _code, label in options] == sorted({label for _code, label in options})
    assert {("campaign.scored", "完成计分"), ("complaint.accept", "受理投诉"), ("user.create", "创建账号")} <= set(options)


def test_an_unreadable_date_is_ignored_with_a_message(app, auditor):
    entry = write("pool.export", "pool")
    auditor.set_cookie("lang", "en")
    response = auditor.get("/admin/audit/?start=2026-13-45")
    assert response.status_code == 200
    assert "is not a date" in response.get_data(as_text=True) and entry.id in shown_ids(response.get_data(as_text=True))


def test_verify_reports_an_intact_chain(app, auditor):
    for i in range(3):
        write("test.action", f"thing:{i}")
    checked = db.session.scalar(select(func.count(AuditEntry.id)))
    response = auditor.post_form("/admin/audit/verify")
    assert response.status_code == 200
    assert chain_report(response.get_data(as_text=True)) == {"ok": "true", "checked": str(checked), "broken_id": ""}
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "audit.verify" and entry.actor_name == "jjw" and entry.details["ok"] is True


@pytest.mark.parametrize("tamper,broken_offset,reason", [
    ("UPDATE audit_log SET details = '{\"n\": 99}' WHERE id = {id}", 0, "content does not match its hash"),
    ("DELETE FROM audit_log WHERE id = {id}", 1, "previous-entry hash does not match"),
])
def test_verify_reports_the_first_broken_entry_after_tampering(app, auditor, tamper, broken_offset, reason):
    entries = [write("test.action", f"thing:{i}", {"n": i}) for i in range(4)]
    victim = entries[1].id
    with db.engine.begin() as connection:  # somebody with database access, bypassing the triggers
        disable_protection(connection)
        connection.execute(text(tamper.replace("{id}", str(victim))))
        enable_protection(connection)
    db.session.expire_all()
    auditor.set_cookie("lang", "en")
    html = auditor.post_form("/admin/audit/verify").get_data(as_text=True)
    report = chain_report(html)
    assert report["ok"] == "false" and report["broken_id"] == str(victim + broken_offset)
    assert int(report["checked"]) == victim - 1  # every entry before the victim checked out
    assert reason in html and f"#{victim + broken_offset}" in html


def test_verify_needs_a_post_with_csrf(app, auditor):
    assert auditor.get("/admin/audit/verify").status_code == 405
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    assert auditor.post("/admin/audit/verify").status_code == 400
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before


def test_the_csv_export_holds_the_filtered_entries_formula_safe(app, auditor):
    write("complaint.note", "complaint:TS1", {"note": "=HYPERLINK(\"http://evil\")"})
    write("complaint.note", "=cmd|' /C calc'!A0")
    write("pool.export", "pool")
    response = auditor.get("/admin/audit/export.csv?action=complaint.note")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    # people's columns in Chinese first, then the raw columns the hash covers, under the names a script reads
    assert rows[0][:4] == ["序号", "时间", "操作人", "操作"]
    assert rows[0][4:] == ["at_utc", "actor_name", "action", "target", "details", "prev_hash", "entry_hash"]
    assert [r[3] for r in rows[1:]] == ["添加投诉备注", "添加投诉备注"]
    assert [r[6] for r in rows[1:]] == ["complaint.note", "complaint.note"]
    assert rows[2][7] == "'=cmd|' /C calc'!A0"  # a target that would run as a formula is text
    assert all(not cell.startswith(("=", "+", "@")) for row in rows[1:] for cell in row)
    entries = {e.id: e for e in db.session.scalars(select(AuditEntry))}
    for row in rows[1:]:
        assert entries[int(row[0])].entry_hash == row[-1] and entries[int(row[0])].prev_hash == row[-2]
    exported = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.export")).one()
    assert exported.details == {"filters": {"action": "complaint.note"}, "entries": 2, "ip": "127.0.0.1"}


@pytest.mark.parametrize("role", [r.value for r in Role if r not in (Role.admin, Role.auditor)])
def test_other_roles_are_refused(app, make_user, role):
    client = browser(app, make_user(role))
    assert client.get("/admin/audit/").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403
    assert client.post_form("/admin/audit/verify").status_code == 403
    assert 'id="tile-audit"' not in client.get("/").get_data(as_text=True)


def test_auditors_and_admins_find_the_page_from_home(app, auditor, make_user):
    assert 'href="/admin/audit/"' in auditor.get("/").get_data(as_text=True)
    admin = browser(app, make_user("admin"))
    assert admin.get("/admin/audit/").status_code == 200
    assert 'href="/admin/audit/"' in admin.get("/").get_data(as_text=True)


# --------------------------------------------------------------------------- every admin action is audited

class Recorder:
    """Drives the pages as one user and checks that each step appends the expected audit entry."""

    def __init__(self, client):
        self.client = client
        self.seen: list[str] = []

    def __call__(self, action: str, url: str, data: dict | None = None, *, get: bool = False, **kwargs):
        before = db.session.scalar(select(func.max(AuditEntry.id))) or 0
        response = self.client.get(url) if get else self.client.post_form(url, data or {}, **kwargs)
        assert response.status_code in (200, 302), f"{url}: {response.status_code}"
        db.session.expire_all()
        new = list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > before)
                                      .order_by(AuditEntry.id)))
        assert action in new, f"{url} wrote {new}, expected {action}"
        self.seen.append(action)
        return response


@pytest.fixture
def admin(app, make_user):
    return Recorder(browser(app, make_user("admin", username="root")))


def test_department_and_pool_actions_are_audited(app, admin):
    admin("department.create", "/admin/departments/new", {"code": "SCJG", "name": "市场监管局", "kind": "service",
                                                          "sort_order": "1", "active": "y"})
    department = db.session.scalar(select(text("id")).select_from(text("departments")))
    admin("department.update", f"/admin/departments/{department}/edit",
          {"code": "SCJG", "name": "市市场监督管理局", "kind": "service", "sort_order": "1", "active": "y"})
    admin("department.deactivate", f"/admin/departments/{department}/active", {"active": "0"})
    upload = "编码,名称\nSWJ,市税务局\n".encode()
    admin("department.import", "/admin/departments/import", {"file": (io.BytesIO(upload), "d.csv")},
          content_type="multipart/form-data")

    seed_pool({"四上企业": 5, "办事群众": 5})
    member = db.session.scalars(select(Respondent).order_by(Respondent.id)).first()
    admin("pool.member.update", f"/admin/pool/members/{member.key}",
          {"name": "改名", "category_id": str(member.category_id), "district": member.district,
           "organisation": "", "phone": member.phone_masked})
    admin("pool.member.status", f"/admin/pool/members/{member.key}/status", {"status": "paused", "reason": ""})
    admin("pool.category.create", "/admin/pool/categories", {"key": "expert", "label_zh": "专家", "label_en": "",
                                                             "target": "3", "sort_order": "9"})
    categories = db.session.execute(text("SELECT id FROM respondent_categories")).scalars().all()
    admin("pool.targets", "/admin/pool/categories/targets", {f"target-{i}": "7" for i in categories})
    admin("pool.export", "/admin/pool/export.csv", get=True)
    header = "姓名,类别,区县,单位,手机号\n".encode()
    staged = admin.client.post_form("/admin/pool/import", {
        "file": (io.BytesIO(header + "新人,办事群众,城关区,,13912345678\n".encode()), "p.csv")},
        content_type="multipart/form-data")
    assert staged.status_code == 302
    admin("pool.import", staged.headers["Location"], {"action": "commit"})


def test_questionnaire_and_round_actions_are_audited(app, admin, make_department):
    admin("questionnaire.create", "/admin/questionnaires/new", {"name": "专项问卷"})
    published = db.session.execute(text("SELECT id FROM questionnaire_versions WHERE status = 'published' "
                                        "ORDER BY id LIMIT 1")).scalar()
    response = admin("questionnaire.draft", f"/admin/questionnaires/versions/{published}/draft")
    draft = int(re.search(r"/versions/(\d+)", response.headers["Location"]).group(1))
    admin("questionnaire.edit", f"/admin/questionnaires/versions/{draft}/settings",
          {"title_zh": "营商环境评价（修订）", "title_en": "", "description_zh": "", "description_en": ""})
    admin("questionnaire.publish", f"/admin/questionnaires/versions/{draft}/publish", {"confirm": "y"})
    response = admin("questionnaire.draft", f"/admin/questionnaires/versions/{draft}/draft")
    second = int(re.search(r"/versions/(\d+)", response.headers["Location"]).group(1))
    admin("questionnaire.discard", f"/admin/questionnaires/versions/{second}/discard", {"confirm": "y"})

    seed_pool({"四上企业": 10, "中小微市场主体": 10, "办事群众": 10})
    departments = [make_department("SCJG"), make_department("SWJ")]
    before = db.session.scalar(select(func.max(AuditEntry.id)))
    campaign = new_round(admin.client)
    assert "campaign.create" in db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > before)).all()
    base = f"/admin/rounds/{campaign.id}"
    admin("draw.plan", f"{base}/draw/plan", {"sample_size": "15", "allocation_method": "proportional",
                                             "minimum_per_stratum": "5", "stratify_by": "category",
                                             "exclusion_window": "0"})
    admin("draw.freeze", f"{base}/draw/freeze")
    admin("draw.seed", f"{base}/draw/seed", {"seed": "福彩3D 2026320期 517", "action": "typed"})
    admin("draw.draw", f"{base}/draw/run")
    admin("draw.void", f"{base}/draw/void", {"reason": "抽样框漏了新入库的成员"})
    admin("draw.freeze", f"{base}/draw/freeze")
    admin("draw.seed", f"{base}/draw/seed", {"seed": "", "action": "generate"})
    admin("draw.draw", f"{base}/draw/run")
    text_ = "【市营商办】${name}您好，请于${deadline}前完成评价：https://pj.example.gov.cn/s/${token} 回复TD退订"
    admin("campaign.configure", f"{base}/setup", {
        "questionnaire_version_id": str(draft), "department_ids": [str(d.id) for d in departments],
        "closes_on": (date.today() + timedelta(days=10)).isoformat(), "link_mode": "link",
        "sms_template_code": "SMS_1", "sms_template_text": text_, "reminder_template_text": text_,
        "max_reminders": "2", "reminder_spacing_days": "3"})
    admin("sms.queue", f"{base}/send", {"confirm": "y"})
    admin("sms.resume", f"{base}/resume", {"confirm": "y"})
    admin("sms.remind", f"{base}/remind", {"confirm": "y"})
    admin("campaign.extend", f"{base}/extend", {"closes_on": (date.today() + timedelta(days=20)).isoformat()})
    admin("campaign.closed", f"{base}/close", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status.value == "closed"


def test_scoring_and_publishing_actions_are_audited(app, admin, closed_round):  # noqa: F811
    campaign, _departments, _rare = closed_round
    scheme = test_scheme()
    admin("assessment_scheme.create", "/admin/assessment/schemes/new", {
        "name": "严格", "survey": "1", "realtime": "0", "complaints": "0", "excellent": "92", "good": "82",
        "fair": "62", "min_raters": "3", "rank_draws": "200", "rank_seed": "7", "comment_release": "manual",
        "note": "", "policy__sme": "0.5", "policy__large_enterprise": "0.3", "policy__citizen": "0.2"})
    base = f"/admin/assessment/{campaign.id}"
    admin("campaign.scored", f"{base}/score", {"scheme_id": str(scheme.id), "confirm": "y"})
    admin("assessment.rescore", f"{base}/score", {"scheme_id": str(scheme.id), "confirm": "y"})
    admin("campaign.published", f"{base}/publish", {"confirm": "y"})
    admin("assessment.correct", f"{base}/correct", {"scheme_id": str(scheme.id), "reason": "一名成员的答卷重复计入"})
    admin("assessment.release_comments", f"{base}/release-comments")
    current = scoring.current_assessment(campaign)
    assert current.status.value == "published" and current.correction_reason == "一名成员的答卷重复计入"


def test_realtime_actions_are_audited(app, admin, make_department, make_user):
    department = make_department("SCJG")
    admin("realtime.point.create", "/admin/realtime/points/new", {
        "department_id": str(department.id), "code": "W01", "name": "1号窗口", "kind": "window", "location": "",
        "district": "", "service_items": "", "active": "y"})
    point = db.session.execute(text("SELECT id, slug FROM service_points")).one()
    admin("realtime.point.update", f"/admin/realtime/points/{point.id}", {
        "department_id": str(department.id), "code": "W01", "name": "一号窗口", "kind": "window", "location": "",
        "district": "", "service_items": "", "active": "y"})

    class Point:
        slug = point.slug

    for i in range(3):
        rate(app.test_client(), Point, ip=f"10.0.0.{i}", overall=1, comment="等了两个小时没人办理")
    first, second, third = db.session.scalars(select(RealtimeRating).order_by(RealtimeRating.id))
    admin("realtime.exclude", f"/admin/realtime/ratings/{first.id}/exclude", {"reason": "同一人重复评价"})
    admin("realtime.include", f"/admin/realtime/ratings/{first.id}/include")
    admin("realtime.keep", f"/admin/realtime/ratings/{second.id}/keep")
    task = db.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id)).first()
    admin("realtime.follow_up.complete", f"/admin/realtime/follow-ups/{task.id}", {
        "action_taken": "已联系办事人，增开窗口", "contacted": "yes", "rectified": "yes"})
    admin("realtime.export", "/admin/realtime/channel.csv", get=True)


def test_complaint_actions_are_audited(app, admin, make_department, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path)
    scjg, zjj, tax = (make_department(code) for code in ("SCJG", "ZJJ", "SWJ"))
    public = app.test_client()
    complaint, number, _code = filed(public, [scjg.id], attachments=[(io.BytesIO(PNG), "现场.png")],
                                     name="张三", phone="13800138000")
    base = f"/admin/complaints/{number}"
    admin("complaint.view", base, get=True)
    admin("complaint.accept", f"{base}/accept", {"note": "属于受理范围"})
    due = (date.today() + timedelta(days=10)).isoformat()
    admin("complaint.assign", f"{base}/assign", {"departments": [str(scjg.id), str(zjj.id)], "due_on": due,
                                                 "instructions": "请核实"})
    assignments = {a.department_id: a for a in db.session.get(Complaint, complaint.id).current_assignments}
    admin("complaint.remind", f"{base}/assignments/{assignments[scjg.id].id}/remind", {"note": "请尽快"})
    admin("complaint.reassign", f"{base}/assignments/{assignments[zjj.id].id}/reassign",
          {"department_id": str(tax.id), "reason": "属于税务职责"})
    current = {a.department_id: a for a in db.session.get(Complaint, complaint.id).current_assignments}
    admin("complaint.withdraw", f"{base}/assignments/{current[tax.id].id}/withdraw", {"reason": "重复交办"})
    admin("complaint.note", f"{base}/note", {"note": "电话核实中"})
    attachment = db.session.scalars(select(CaseAttachment)).first()
    admin("complaint.attachment.share", f"{base}/attachments/{attachment.id}/share")
    admin("complaint.attachment.download", f"/admin/complaints/attachments/{attachment.id}", get=True)
    admin("complaint.reply", f"/admin/complaints/assigned/{current[scjg.id].id}",
          {"reply": "经核查情况属实，已约谈相关人员。"}, content_type="multipart/form-data")
    admin("complaint.close", f"{base}/close", {"outcome": "solved", "outcome": "solved", "satisfaction": "satisfied", "public_reply": "已核实处理",
                                               "substantiated": [str(scjg.id)]})
    admin("complaint.reopen", f"{base}/reopen", {"reason": "投诉人反映问题仍未解决"})
    _other, other_number, _ = filed(public, [scjg.id])
    admin("complaint.decline", f"/admin/complaints/{other_number}/decline", {"reason": "不属于受理范围的信访事项"})
    admin("complaint.export", "/admin/complaints/analysis.csv", get=True)


def test_account_actions_are_audited(app, admin, make_user, make_department):
    admin("user.create", "/admin/users/new", {"username": "wang", "display_name": "", "role": "operator",
                                              "department_id": "0", "password": "A-Long-Password-1"})
    wang = db.session.scalar(select(text("id")).select_from(text("users")).where(text("username = 'wang'")))
    department = make_department()
    admin("user.role_change", f"/admin/users/{wang}", {"display_name": "王", "role": "liaison",
                                                      "department_id": str(department.id)})
    admin("user.password_reset", f"/admin/users/{wang}/password", {"password": "Another-Long-Password-2"})
    admin("user.deactivate", f"/admin/users/{wang}/active", {"active": "0"})
    admin("user.reactivate", f"/admin/users/{wang}/active", {"active": "1"})
    admin("user.password_change", "/account/password", {"current": PASSWORD, "password": "My-New-Long-Password-3",
                                                        "confirm": "My-New-Long-Password-3"})
    admin("audit.verify", "/admin/audit/verify")
    admin("audit.export", "/admin/audit/export.csv", get=True)
    assert audit.verify_chain().ok
