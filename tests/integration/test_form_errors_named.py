"""A refused form says which field was wrong and changes nothing: the back-office steps that redirect or re-render
show each error with its field's label, and the public complaint and rating forms refuse control characters."""
from __future__ import annotations

import copy
import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.assessment import scoring
from app.complaints import service as complaints
from app.complaints.models import Complaint
from app.extensions import db
from app.platform.calendar import local_today
from app.pool.models import MemberStatus, Respondent
from app.questionnaires import service as questionnaires
from app.questionnaires.models import Questionnaire, QuestionnaireVersion
from app.realtime import service as realtime
from app.realtime.models import RealtimeRating
from tests.integration.test_assessment import closed_round, test_scheme  # noqa: F401
from tests.integration.test_complaints import as_user, file_complaint, filed
from tests.integration.test_pool_import import ROWS, csv_bytes, run_import

FLASH = re.compile(r'<div class="flash flash-error" role="alert">(.*?)</div>', re.S)
REQUIRED = "该字段是必填字段。"
NOT_A_CHOICE = "不是有效的选择。"


def flashed_errors(html: str) -> list[str]:
    return [unescape(m) for m in FLASH.findall(html)]


def public_field_errors(html: str, field_id: str) -> list[str]:
    """The messages a public page shows next to one field."""
    return [unescape(m) for m in re.findall(rf'<p class="err" id="{field_id}-err">(.*?)</p>', html, re.S)]


def is_labelled(message: str, label: str, error: str) -> bool:
    """ "label：error" (": " until the catalog has the new message), or the error naming its field itself."""
    if error.startswith("U+"):
        return message.startswith(label) and error in message
    return re.fullmatch(rf"{re.escape(label)}[:：] ?{re.escape(error)}", message) is not None


def _kind(error: str) -> str:
    """A readable test id for an expected error."""
    return {REQUIRED: "required", NOT_A_CHOICE: "not-a-choice"}.get(error, error)


def shows_only(response, label: str, error: str) -> None:
    assert response.status_code == 200
    errors = flashed_errors(response.get_data(as_text=True))
    assert len(errors) == 1 and is_labelled(errors[0], label, error), errors


@pytest.fixture(autouse=True)
def attachment_dir(app, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")


# --------------------------------------------------------------------------- complaints back office

def _complaint_at(stage: str, client, department, handler, liaison) -> Complaint:
    """A complaint filed through the public page and taken, through the services, to ``stage``."""
    complaint, _number, _code = filed(client, [department.id])
    if stage != "submitted":
        complaints.accept(complaint, actor=handler)
    if stage in ("assigned", "replied", "closed"):
        complaints.assign(complaint, [department], local_today() + timedelta(days=10), actor=handler)
    if stage in ("replied", "closed"):
        complaints.reply(complaint.current_assignments[0], "经核查，情况属实，已督促整改。", actor=liaison)
    if stage == "closed":
        complaints.close(complaint, outcome="solved", satisfaction="satisfied", public_reply="已核查并整改，感谢监督。",
                         substantiated_department_ids=[], actor=handler)
    db.session.commit()
    return complaint


def _complaint_state(complaint_id: int) -> tuple:
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint_id)
    return (complaint.status, complaint.decline_reason, complaint.public_reply,
            [(e.kind, e.note) for e in complaint.events],
            [(a.id, a.department_id, a.status, a.instructions, a.reminder_count) for a in complaint.assignments])


# (stage, step, form sent, label, error)
COMPLAINT_STEPS = [
    ("submitted", "accept", {"note": "属于\x07受理范围"}, "备注", "U+0007"),
    ("submitted", "decline", {"reason": ""}, "原因", REQUIRED),
    ("submitted", "decline", {"reason": "不属于\x1b受理范围的事项"}, "原因", "U+001B"),
    ("submitted", "note", {"note": "已电话\x0b联系投诉人"}, "备注", "U+000B"),
    ("accepted", "assign", {"departments": "DEPARTMENT", "due_on": ""}, "办理期限", REQUIRED),
    ("accepted", "assign", {"departments": "DEPARTMENT", "due_on": "DUE", "instructions": "请\x01核实"},
     "交办意见", "U+0001"),
    ("assigned", "assignments/ASSIGNMENT/reassign", {"department_id": "DEPARTMENT", "reason": ""}, "原因", REQUIRED),
    ("assigned", "assignments/ASSIGNMENT/withdraw", {"reason": "交办\x08有误"}, "原因", "U+0008"),
    ("assigned", "assignments/ASSIGNMENT/remind", {"note": "请\x0c尽快答复", "next": "/admin/complaints/overdue"},
     "备注", "U+000C"),
    ("replied", "close", {"outcome": "solved", "satisfaction": "satisfied", "public_reply": ""}, "答复投诉人", REQUIRED),
    ("replied", "close", {"outcome": "solved", "satisfaction": "satisfied", "public_reply": "已核查\x1f并整改"}, "答复投诉人", "U+001F"),
    ("closed", "reopen", {"reason": "投诉人\x7f不满意"}, "原因", "U+007F"),
]


@pytest.mark.parametrize("stage,step,data,label,error", COMPLAINT_STEPS,
                         ids=[f"{s[1].rsplit('/', 1)[-1]}-{_kind(s[4])}" for s in COMPLAINT_STEPS])
def test_a_refused_complaint_step_names_the_field_and_changes_nothing(app, client, make_department, make_user,
                                                                      stage, step, data, label, error):
    department = make_department(name="市市场监督管理局")
    handler = make_user("complaints")
    complaint = _complaint_at(stage, client, department, handler, make_user("liaison", department=department))
    assignment = complaint.assignments[0].id if complaint.assignments else None
    fill = {"DEPARTMENT": str(department.id), "DUE": (local_today() + timedelta(days=10)).isoformat()}
    data = {key: fill.get(value, value) for key, value in data.items()}
    before = _complaint_state(complaint.id)
    office = as_user(app, handler)
    response = office.post_form(f"/admin/complaints/{complaint.tracking_number}/{step}".replace(
        "ASSIGNMENT", str(assignment)), data, follow_redirects=True)
    shows_only(response, label, error)
    assert _complaint_state(complaint.id) == before


# --------------------------------------------------------------------------- assessment correction

@pytest.mark.parametrize("data,label,error", [
    ({"reason": "最低评价人数调整\x07"}, "更正理由", "U+0007"),
    ({"reason": "最低评价人数调整", "scheme_id": "999999"}, "考核方案", NOT_A_CHOICE),
], ids=["reason-U+0007", "scheme-not-a-choice"])
def test_a_refused_correction_names_the_field_and_publishes_nothing(client, make_user, login,
                                                                    closed_round, data, label, error):  # noqa: F811
    campaign, _departments, _rare = closed_round
    scoring.score(campaign, test_scheme(), None)
    scoring.publish(campaign, None)
    db.session.commit()
    stricter = test_scheme(min_raters=15)
    login(make_user("hr"))
    response = client.post_form(f"/admin/assessment/{campaign.id}/correct", {"scheme_id": stricter.id, **data},
                                follow_redirects=True)
    shows_only(response, label, error)
    db.session.expire_all()
    assert len(scoring.assessment_history(campaign)) == 1


# --------------------------------------------------------------------------- real-time ratings

@pytest.mark.parametrize("reason,error", [("", REQUIRED), ("同一手机\x1b连续刷分", "U+001B")],
                         ids=["required", "U+001B"])
def test_a_refused_exclusion_names_the_reason_field_and_keeps_the_rating(app, client, make_user, login,
                                                                       make_department, reason, error):
    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window")
    db.session.commit()
    assert app.test_client().post_form(f"/r/{point.slug}", {"overall": 5}).status_code == 302
    rating = db.session.scalar(select(RealtimeRating))
    login(make_user("admin"))
    response = client.post_form(f"/admin/realtime/ratings/{rating.id}/exclude", {"reason": reason},
                                follow_redirects=True)
    shows_only(response, "原因", error)
    db.session.expire_all()
    rating = db.session.get(RealtimeRating, rating.id)
    assert not rating.excluded and rating.excluded_reason in (None, "")


# --------------------------------------------------------------------------- questionnaires

def test_a_refused_questionnaire_name_is_named_and_nothing_is_created(client, make_user, login):
    login(make_user("designer"))
    count = db.session.scalar(select(func.count()).select_from(Questionnaire))
    response = client.post_form("/admin/questionnaires/new", {"name": "2026年\x07满意度问卷"}, follow_redirects=True)
    shows_only(response, "名称", "U+0007")
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == count


@pytest.mark.parametrize("data,label,error", [
    ({"title_zh": "", "description_zh": "请如实填写"}, "标题（中文）", REQUIRED),
    ({"title_zh": "营商环境满意度调查", "description_zh": "请如实\x0c填写"}, "说明（中文）", "U+000C"),
], ids=["title-required", "description-U+000C"])
def test_refused_questionnaire_settings_are_named_and_the_draft_is_unchanged(client, make_user, login, data, label,
                                                                            error):
    designer = make_user("designer")
    version = questionnaires.create("满意度问卷", actor=designer)
    db.session.commit()
    document = copy.deepcopy(version.document)
    login(designer)
    response = client.post_form(f"/admin/questionnaires/versions/{version.id}/settings", data,
                                follow_redirects=True)
    shows_only(response, label, error)
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, version.id).document == document


# --------------------------------------------------------------------------- pool

@pytest.mark.parametrize("data,label,error", [
    ({"status": "paused", "reason": "本人\x07要求暂停"}, "原因", "U+0007"),
    ({"status": "deleted", "reason": ""}, "状态", NOT_A_CHOICE),
], ids=["reason-U+0007", "status-not-a-choice"])
def test_a_refused_status_change_names_the_field_and_keeps_the_status(client, make_user, login, data, label, error):
    run_import(csv_bytes(ROWS))
    login(make_user("operator"))
    response = client.post_form("/admin/pool/members/P000001/status", data, follow_redirects=True)
    shows_only(response, label, error)
    db.session.expire_all()
    member = db.session.scalar(select(Respondent).where(Respondent.key == "P000001"))
    assert member.status == MemberStatus.active and not member.status_reason


# --------------------------------------------------------------------------- public forms

def test_the_public_complaint_form_refuses_a_control_character_next_to_the_field(client, make_department):
    department = make_department()
    description = "2026年11月3日，执法人员到我店检查时\x07暗示需要“表示”，否则将从严处罚。"
    response = file_complaint(client, [department.id], description=description)
    assert response.status_code == 200
    errors = public_field_errors(response.get_data(as_text=True), "description")
    assert len(errors) == 1 and "投诉内容" in errors[0] and "U+0007" in errors[0]
    assert db.session.scalar(select(Complaint.id)) is None
    # Line breaks and tabs are what a textarea is for.
    assert file_complaint(client, [department.id], description=description.replace("\x07", "\r\n\t")
                          ).status_code == 302


def test_the_public_rating_form_refuses_a_control_character_in_the_comment(client, make_department):
    point = realtime.create_point(make_department(), code="W01", name="1号窗口", kind="window")
    db.session.commit()
    response = client.post_form(f"/r/{point.slug}", {"overall": 2, "comment": "窗口人员\x1b态度恶劣，推诿不办"})
    assert response.status_code == 200
    errors = public_field_errors(response.get_data(as_text=True), "comment")
    assert len(errors) == 1 and "意见建议" in errors[0] and "U+001B" in errors[0]
    assert db.session.scalar(select(RealtimeRating.id)) is None
