"""The casework engine, whatever the kind: closing tells the truth (an outcome, and a confirmation or a signed-off
reason), duplicates name the kept case, the raiser's reopening restores the assignments, and a department has one
inbox, overdue first. Complaints are the kind at hand here; the forum's tests run the same engine."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.casework import service as casework
from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, CaseStatus, Confirmation, Outcome, Satisfaction
from app.complaints import service as complaints
from app.extensions import db
from app.platform.calendar import local_today
from app.platform.columns import utcnow
from tests.integration.test_complaints import as_user


@pytest.fixture
def scjg(make_department):
    return make_department("SCJG", "市市场监督管理局")


@pytest.fixture
def zjj(make_department):
    return make_department("ZJJ", "市住房和城乡建设局")


def answered(*departments, lead=None, subject="执法检查吃拿卡要"):
    """A complaint every department has answered (the lead, when named, answers for the case)."""
    complaint, _code = complaints.submit(category="enforcement", department_ids=[d.id for d in departments],
                                         subject=subject, description="执法人员多次上门检查并暗示“表示”。",
                                         phone="13800138000")
    complaints.accept(complaint)
    for assignment in casework.assign(complaint, list(departments), local_today() + timedelta(days=5),
                                      lead_id=lead.id if lead else None):
        casework.reply(assignment, "已核查并整改，向当事人说明。",
                       outcome=Outcome.solved if assignment.lead else None)
    db.session.commit()
    return complaint


REPLY = "已核查并整改，感谢监督。"


def test_an_unreachable_raiser_is_no_confirmation_until_the_attempts_and_a_sign_off(app, scjg):
    complaint = answered(scjg)
    with pytest.raises(CaseError, match="签字|sign"):
        casework.close(complaint, outcome="solved", satisfaction="unreachable", public_reply=REPLY)
    with pytest.raises(CaseError, match="3"):
        casework.sign_off(complaint, outcome="solved", public_reply=REPLY, reason="多次电话均无人接听")
    db.session.rollback()
    assert complaint.status == CaseStatus.replied and complaint.closed_at is None
    for _attempt in range(app.config["CASEWORK_CONTACT_ATTEMPTS"]):
        casework.record_attempt(complaint, "电话无人接听")
    with pytest.raises(CaseError):
        casework.sign_off(complaint, outcome="solved", public_reply=REPLY, reason="无")  # a reason, not a shrug
    casework.sign_off(complaint, outcome="solved", public_reply=REPLY, reason="三次电话无人接听，短信未回复。")
    db.session.commit()
    assert (complaint.status, complaint.satisfaction, complaint.confirmation) == \
        (CaseStatus.closed, Satisfaction.unreachable, Confirmation.sign_off)
    assert complaint.confirmation_note == "三次电话无人接听，短信未回复。"


def test_the_handler_sees_how_the_closing_was_confirmed(app, scjg, make_user):
    complaint = answered(scjg)
    office = as_user(app, make_user("complaints"))
    base = f"/admin/complaints/{complaint.tracking_number}"
    refused = office.post_form(f"{base}/close", {"outcome": "solved", "satisfaction": "unreachable",
                                                 "public_reply": REPLY, "sign_off_reason": "联系不上"})
    assert refused.status_code == 302
    db.session.expire_all()
    assert complaint.status == CaseStatus.replied  # nothing changed
    assert "已尝试联系投诉人 0 次，签字销号需要 3 次" in office.get(base).get_data(as_text=True)
    for _attempt in range(3):
        office.post_form(f"{base}/attempt", {"note": "电话无人接听"})
    office.post_form(f"{base}/close", {"outcome": "solved", "satisfaction": "unreachable", "public_reply": REPLY,
                                       "sign_off_reason": "三次电话无人接听，短信未回复。"})
    db.session.expire_all()
    assert complaint.status == CaseStatus.closed and complaint.contact_attempts == 3
    page = office.get(base).get_data(as_text=True)
    assert "联系不上反映人，经督办负责人签字销号" in page and "三次电话无人接听，短信未回复。" in page
    assert "已解决" in page


def test_explained_is_closed_but_not_solved(app, scjg):
    solved, explained = answered(scjg), answered(scjg, subject="要求减免罚款")
    casework.close(solved, outcome="partly_solved", satisfaction="basically", public_reply=REPLY)
    casework.close(explained, outcome="explained", satisfaction="unsatisfied",
                   public_reply="依据《行政处罚法》第三十二条，该情形不适用减免，已向企业说明。")
    db.session.commit()
    assert solved.solved and not explained.solved
    assert explained.status == CaseStatus.closed


def test_a_duplicate_points_to_the_kept_case_and_a_redirection_names_where(app, scjg, zjj):
    kept, again = answered(scjg), answered(scjg, subject="同一问题再次反映")
    with pytest.raises(CaseError):
        casework.close(again, outcome="duplicate", satisfaction="satisfied", public_reply=REPLY)
    with pytest.raises(CaseError):
        casework.close(again, outcome="duplicate", duplicate_of=again, satisfaction="satisfied", public_reply=REPLY)
    casework.close(again, outcome="duplicate", duplicate_of=kept, satisfaction="satisfied",
                   public_reply="与 %s 为同一事项，已合并办理。" % kept.tracking_number)
    db.session.commit()
    assert again.duplicate_of is kept and again.outcome == Outcome.duplicate and not again.solved
    elsewhere = answered(scjg, subject="物业纠纷")
    with pytest.raises(CaseError):
        casework.close(elsewhere, outcome="redirected", satisfaction="satisfied", public_reply=REPLY)
    casework.close(elsewhere, outcome="redirected", redirected_to=zjj, satisfaction="satisfied",
                   public_reply="物业纠纷由住建部门主管，已转交市住建局。")
    assert elsewhere.redirected_to is zjj


def test_the_raiser_confirms_through_their_link_or_reopens_and_the_departments_get_it_again(app, scjg, zjj):
    complaint = answered(scjg, zjj, lead=scjg)
    # The lead department's outcome and answer go to the raiser once every department has answered.
    assert casework.confirm_if_answered(complaint, True)
    assert complaint.status == CaseStatus.confirming and complaint.outcome == Outcome.solved
    casework.confirm_by_raiser(complaint, "unsatisfied", "问题并未解决")
    db.session.commit()
    assert (complaint.status, complaint.confirmation) == (CaseStatus.closed, Confirmation.raiser)
    first_cycle = sorted((a.department_id, a.lead) for a in complaint.current_assignments)
    history = len(complaint.events)

    restored = casework.reopen_by_raiser(complaint, "检查仍在继续，问题没有解决")
    db.session.commit()
    assert complaint.status == CaseStatus.assigned and complaint.cycle == 2
    assert sorted((a.department_id, a.lead) for a in restored) == first_cycle
    assert all(a.status == AssignmentStatus.pending and a.cycle == 2 for a in complaint.current_assignments)
    assert len(complaint.events) > history  # the first cycle's history is kept, the reopening added to it
    assert [e.kind for e in complaint.events].count("replied") == 2


def test_a_satisfied_or_late_raiser_cannot_reopen(app, scjg):
    satisfied = answered(scjg)
    casework.close(satisfied, outcome="solved", satisfaction="satisfied", public_reply=REPLY)
    late = answered(scjg, subject="另一件事")
    casework.close(late, outcome="explained", satisfaction="unsatisfied", public_reply=REPLY)
    late.closed_at = utcnow() - timedelta(days=app.config["CASEWORK_REOPEN_DAYS"] + 1)
    db.session.commit()
    for case in (satisfied, late):
        assert not casework.may_reopen_by_raiser(case)
        with pytest.raises(CaseError):
            casework.reopen_by_raiser(case, "还是不满意")


def test_one_inbox_per_department_overdue_first_and_nobody_elses(app, scjg, zjj, make_user):
    later, overdue, soon = (complaints.submit(category="enforcement", department_ids=[scjg.id], subject=subject,
                                              description="反映的问题需要部门办理。")[0]
                            for subject in ("晚些到期", "已经超期", "即将到期"))
    for complaint, days in ((later, 9), (overdue, 1), (soon, 0)):
        complaints.accept(complaint)
        casework.assign(complaint, [scjg, zjj], local_today() + timedelta(days=days))
    overdue.assignments[0].due_on = local_today() - timedelta(days=2)
    db.session.commit()
    page = as_user(app, make_user("liaison", department=scjg)).get("/admin/inbox").get_data(as_text=True)
    inbox = page.split('id="inbox"')[1].split("</table>")[0]
    order = [inbox.index(c.tracking_number) for c in (overdue, soon, later)]
    assert order == sorted(order) and "超期" in inbox
    other = as_user(app, make_user("liaison", username="zjj-liaison", department=zjj)).get("/admin/inbox")
    zjj_inbox = other.get_data(as_text=True).split('id="inbox"')[1].split("</table>")[0]
    assert zjj_inbox.index(soon.tracking_number) < zjj_inbox.index(overdue.tracking_number)  # its own deadlines
    # Acknowledging is recorded once, with its time (响应).
    (assignment,) = [a for a in overdue.assignments if a.department_id == scjg.id]
    assert casework.acknowledge(assignment) and not casework.acknowledge(assignment)
    db.session.commit()
    assert [e.action for e in db.session.scalars(select(AuditEntry))].count("complaint.acknowledge") == 1


def test_a_reminder_reaches_the_departments_liaisons_by_sms_and_nobody_else(app, scjg, zjj, make_user):
    from app.accounts import service as accounts
    from app.sms.models import SmsOutbox

    ours, theirs = make_user("liaison", department=scjg), make_user("liaison", username="zjj-l", department=zjj)
    make_user("liaison", username="no-mobile", department=scjg)  # left no number: no message
    accounts.set_mobile(ours, "13900139000")
    accounts.set_mobile(theirs, "13700137000")
    complaint, _code = complaints.submit(category="enforcement", department_ids=[scjg.id], subject="审批超时",
                                         description="审批超过承诺时限仍未办结。")
    complaints.accept(complaint)
    (assignment,) = casework.assign(complaint, [scjg], local_today())
    assignment.due_on = local_today() - timedelta(days=3)
    db.session.commit()

    assert casework.remind(assignment, "请加快办理") == 1
    db.session.commit()
    (message,) = db.session.scalars(select(SmsOutbox).where(SmsOutbox.kind == "case_reminder")).all()
    assert message.phone_masked == "139****9000"
    assert complaint.tracking_number in message.text and "已超期3天" in message.text and "投诉举报" in message.text
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.remind")).one()
    assert entry.details["sms"] == 1 and "13900139000" not in str(entry.details)


def test_an_admin_sets_a_liaisons_mobile_which_is_shown_masked_only(app, scjg, make_user):
    from app.accounts.models import User
    from app.platform.phones import current_vault

    admin, liaison = make_user("admin"), make_user("liaison", department=scjg)
    browser = as_user(app, admin)
    form = {"display_name": "王联络", "role": "liaison", "department_id": scjg.id}
    refused = browser.post_form(f"/admin/users/{liaison.id}", {**form, "mobile": "12345"})
    assert "不是有效的中国大陆手机号码" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, liaison.id).mobile == ""
    browser.post_form(f"/admin/users/{liaison.id}", {**form, "mobile": "139 0013 9000"})
    db.session.expire_all()
    stored = db.session.get(User, liaison.id)
    assert stored.mobile_masked == "139****9000"
    assert current_vault().open(stored.mobile) == "+8613900139000"  # sealed like every phone number
    page = browser.get(f"/admin/users/{liaison.id}").get_data(as_text=True)
    assert "139****9000" in page and "13900139000" not in page
    # Saving the page as shown keeps the number; emptying the field removes it.
    browser.post_form(f"/admin/users/{liaison.id}", {**form, "mobile": "139****9000"})
    db.session.expire_all()
    assert db.session.get(User, liaison.id).mobile_masked == "139****9000"
    browser.post_form(f"/admin/users/{liaison.id}", {**form, "mobile": ""})
    db.session.expire_all()
    assert db.session.get(User, liaison.id).mobile == ""
