"""One-window intake at the policy window (issue 18, points 1–3, the window staff's side): an application opened at
the window, materials ticked with scans, 一次性告知 (a partial list refused; the full list counted and sent by SMS),
the hand-in counted as a visit, acceptance referring it to the item's department with the promised working days
(into the liaison's inbox, overdue once past due), withdrawal, declared figures re-running the trace, a 免申即享
item refused, and county staff kept out of the city window's applications.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.casework import service as casework
from app.casework.deadlines import due_date
from app.casework.errors import CaseError
from app.casework.models import AssignmentStatus, CaseKind, CaseStatus
from app.extensions import db
from app.platform.calendar import local_today
from app.policy.models import DeliveryMode, PolicyWindow
from app.policy_window import intake
from app.policy_window.models import Consultation, PolicyCase, PolicyPayment, Stage, WindowPost
from app.sms.models import SmsOutbox
from tests.integration.test_complaints import PNG
from tests.integration.test_policy_match import build, make_item

LICENCE, ACCOUNTS, LEASE = "营业执照复印件", "上年度财务审计报告", "厂房租赁合同"


@dataclass
class Desk:
    world: object
    item: object  # three materials, promised in 10 working days
    automatic: object
    city: PolicyWindow
    county: PolicyWindow
    city_staff: object
    county_staff: object
    liaison: object
    department: object


def post(user, window: PolicyWindow) -> None:
    db.session.add(WindowPost(user_id=user.id, window_id=window.id))
    db.session.commit()


@pytest.fixture
def desk(app, make_department, make_user, tmp_path) -> Desk:
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    world = build(make_department)
    department = world.version.department
    item = make_item(department, "ZC-2026-012-03", "科技型企业厂房租金补贴", materials=[LICENCE, ACCOUNTS, LEASE],
                     promised_days=10)
    automatic = make_item(department, "ZC-2026-012-04", "规上工业企业稳岗奖励", mode=DeliveryMode.automatic)
    windows = list(db.session.scalars(select(PolicyWindow).order_by(PolicyWindow.sort_order)))
    city, county = windows[0], windows[1]
    city_staff = make_user("window", username="window-city")
    county_staff = make_user("window", username="window-lj")
    post(city_staff, city)
    post(county_staff, county)
    liaison = make_user("liaison", username="liaison-kj", department=department)
    db.session.commit()
    return Desk(world, item, automatic, city, county, city_staff, county_staff, liaison, department)


def outbox() -> list[SmsOutbox]:
    return list(db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)))


def the_case(number: str) -> PolicyCase:
    db.session.expire_all()
    return db.session.scalar(select(PolicyCase).where(PolicyCase.tracking_number == number))


def open_at_window(client, desk: Desk, profile_key: str = "eligible", item=None) -> str:
    profile = desk.world.profiles[profile_key]
    page = client.get("/admin/window/new", query_string={"q": profile.uscc})
    assert profile.name in page.get_data(as_text=True)
    response = client.post_form("/admin/window/new", {"q": profile.uscc, "profile_id": profile.id,
                                                      "item_id": (item or desk.item).id})
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[1]


def test_the_window_takes_an_application_from_intake_to_the_departments_inbox(app, client, login, desk):
    login(desk.city_staff)
    number = open_at_window(client, desk)
    case = the_case(number)
    assert case.stage == Stage.intake and case.visits == 1 and case.window_id == desk.city.id
    assert [m["received"] for m in case.materials] == [False, False, False]

    # The licence is received with its scan; the scan is shared with the department.
    response = client.post(f"/admin/window/cases/{number}/materials",
                           data={"csrf_token": client.csrf_token(), "received": [LICENCE],
                                 "scans": [(io.BytesIO(PNG), "营业执照.png")]},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    case = the_case(number)
    assert intake.missing(case) == [ACCOUNTS, LEASE]
    assert len(case.attachments) == 1 and case.attachments[0].shared

    # 一次性告知: a list naming only part of what is missing is refused, nothing changes, nothing is sent.
    refused = client.post_form(f"/admin/window/cases/{number}/supplement", {"missing": [ACCOUNTS]},
                               follow_redirects=True)
    assert "一次性告知" in refused.get_data(as_text=True) and LEASE in refused.get_data(as_text=True)
    case = the_case(number)
    assert case.stage == Stage.intake and case.supplement_requests == 0 and outbox() == []

    # The whole list: the application waits in 补正 with it, the request is counted, one SMS goes out.
    client.post_form(f"/admin/window/cases/{number}/supplement", {"missing": [ACCOUNTS, LEASE], "note": "请加盖公章"})
    case = the_case(number)
    assert case.stage == Stage.supplement and case.supplement_requests == 1
    assert case.supplement_list == [ACCOUNTS, LEASE]
    messages = outbox()
    assert len(messages) == 1 and "需补正材料" in messages[0].text and number in messages[0].text
    assert messages[0].phone_masked == "138****0001"

    # Handed in at the window: one more visit, back at the window with the list complete.
    client.post(f"/admin/window/cases/{number}/hand-in",
                data={"csrf_token": client.csrf_token(), "handed_in": [ACCOUNTS, LEASE], "in_person": "y"},
                content_type="multipart/form-data")
    case = the_case(number)
    assert case.stage == Stage.intake and case.visits == 2 and intake.missing(case) == []

    # Accepted: referred to the item's department, due in its promised working days; the enterprise is told.
    client.post_form(f"/admin/window/cases/{number}/accept", {"instructions": ""})
    case = the_case(number)
    assert case.stage == Stage.handling and case.status == CaseStatus.assigned
    lead = case.lead_assignment
    assert lead.department_id == desk.department.id and lead.lead
    assert lead.due_on == due_date(local_today(), 10)
    assert len(outbox()) == 2 and "已受理" in outbox()[-1].text
    steps = [e.kind for e in case.events]
    assert steps[:1] == ["applied"] and {"materials", "supplement", "supplemented", "referred"} <= set(steps)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"policy.applied", "policy.supplement", "policy.supplemented", "policy.referred", "policy.assign"} <= actions
    assert all("甲科技" not in str(e.details) and "138" not in str(e.details)
               for e in db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("policy.%"))))

    # The liaison finds it in the one inbox; the window's page shows the deadline.
    liaison = app.test_client()
    liaison.post_form("/login", {"username": desk.liaison.username, "password": "correct horse battery"})
    assert number in liaison.get("/admin/inbox").get_data(as_text=True)
    page = client.get(f"/admin/window/cases/{number}").get_data(as_text=True)
    assert lead.due_on.isoformat() in page and desk.department.name in page

    # Past its deadline it is overdue: in the engine's overdue list and first in the window's queue.
    lead.due_on = local_today() - timedelta(days=3)
    db.session.commit()
    assert [a.case_id for a in db.session.scalars(casework.overdue_query(CaseKind.policy))] == [case.id]
    queue = client.get("/admin/window/").get_data(as_text=True)
    assert re.search(rf'<tr class="overdue">\s*<td><a href="/admin/window/cases/{number}"', queue)
    assert re.search(r"<strong>1</strong>", queue)


def test_accepting_needs_every_material_and_the_department_gets_nothing_before(app, desk):
    case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
    with pytest.raises(CaseError):
        intake.accept(case, desk.city_staff)
    assert case.stage == Stage.intake and case.assignments == []
    with pytest.raises(CaseError):  # a name that is not on the checklist
        intake.receive(case, ["身份证"], [], desk.city_staff)


def test_a_second_request_is_counted_again_and_online_hand_in_is_not_a_visit(app, desk):
    with app.test_request_context():  # the SMS carries the tracking page's address
        case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
        intake.request_supplement(case, [LICENCE, ACCOUNTS, LEASE], "", desk.city_staff)
        intake.hand_in(case, [LICENCE, ACCOUNTS], [], False, desk.city_staff)  # online: no visit
        assert case.stage == Stage.supplement and case.supplement_list == [LEASE] and case.visits == 1
        # The lease is still missing: asking again is another request, counted.
        intake.request_supplement(case, [LEASE], "", desk.city_staff)
        assert case.supplement_requests == 2
        intake.hand_in(case, [LEASE], [], True, desk.city_staff)
        assert case.stage == Stage.intake and case.visits == 2
        with pytest.raises(CaseError):  # nothing left to ask for
            intake.request_supplement(case, [], "", desk.city_staff)
        db.session.commit()


def test_withdrawal_takes_the_assignment_back_and_ends_the_case_unhandled(app, desk, client, login):
    with app.test_request_context():  # the SMS carries the tracking page's address
        case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city,
                                      desk.city_staff)
        intake.receive(case, [LICENCE, ACCOUNTS, LEASE], [], desk.city_staff)
        intake.accept(case, desk.city_staff)
        db.session.commit()
    login(desk.city_staff)
    number = case.tracking_number
    unconfirmed = client.post_form(f"/admin/window/cases/{number}/withdraw", {"reason": "企业决定不再申请"})
    assert unconfirmed.status_code == 302 and the_case(number).stage == Stage.handling
    client.post_form(f"/admin/window/cases/{number}/withdraw", {"reason": "企业决定不再申请", "confirm": "y"})
    case = the_case(number)
    assert case.stage == Stage.withdrawn and case.status == CaseStatus.declined and case.closed_at is None
    assert [a.status for a in case.assignments] == [AssignmentStatus.withdrawn]
    assert list(db.session.scalars(casework.inbox(desk.department.id))) == []
    assert "app_withdrawn" in [e.kind for e in case.events]


def test_a_free_item_is_not_applied_for_at_the_window(app, desk, client, login):
    with pytest.raises(CaseError, match="免申即享"):
        intake.start_at_window(desk.automatic.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
    login(desk.city_staff)
    profile = desk.world.profiles["eligible"]
    page = client.post_form("/admin/window/new", {"q": profile.uscc, "profile_id": profile.id,
                                                  "item_id": desk.automatic.id}, follow_redirects=True)
    assert "免申即享" in page.get_data(as_text=True)
    assert db.session.scalars(select(PolicyCase)).all() == []


def test_declared_figures_rerun_the_trace(app, desk, client, login):
    login(desk.city_staff)
    number = open_at_window(client, desk, "missing", desk.world.item)  # 丙: no revenue in its profile
    case = the_case(number)
    assert case.eligibility == "missing" and case.trace[0]["state"] == "unknown"
    assert "缺少信息" in client.get(f"/admin/window/cases/{number}").get_data(as_text=True)
    client.post_form(f"/admin/window/cases/{number}/declare", {"revenue": "2500"})
    case = the_case(number)
    assert case.declared == {"revenue": 2500.0}
    assert case.eligibility == "eligible" and case.trace[0]["state"] == "holds"
    assert case.trace[0]["values"]["revenue"] == 2500.0
    page = client.get(f"/admin/window/cases/{number}").get_data(as_text=True)
    assert "符合" in page and "2,500" in page
    refused = client.post_form(f"/admin/window/cases/{number}/declare", {"revenue": "很多"}, follow_redirects=True)
    assert the_case(number).declared == {"revenue": 2500.0} and refused.status_code == 200


def test_county_staff_neither_see_nor_change_the_city_windows_applications(app, desk, client, login, make_user):
    case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
    db.session.commit()
    number = case.tracking_number
    login(desk.county_staff)
    assert client.get(f"/admin/window/cases/{number}").status_code == 404
    assert client.post_form(f"/admin/window/cases/{number}/materials", {"received": [LICENCE]}).status_code == 404
    assert client.post_form(f"/admin/window/cases/{number}/withdraw",
                            {"reason": "企业撤回", "confirm": "y"}).status_code == 404
    assert number not in client.get("/admin/window/").get_data(as_text=True)
    assert the_case(number).stage == Stage.intake and intake.missing(the_case(number)) == [LICENCE, ACCOUNTS, LEASE]
    # Their own intake belongs to their window.
    profile = desk.world.profiles["ineligible"]
    own = client.post_form("/admin/window/new", {"q": profile.uscc, "profile_id": profile.id,
                                                 "item_id": desk.item.id})
    assert the_case(own.headers["Location"].rsplit("/", 1)[1]).window_id == desk.county.id
    # The policy officer sees every window, and filters by one.
    officer = app.test_client()
    officer.post_form("/login", {"username": make_user("policy").username, "password": "correct horse battery"})
    assert officer.get(f"/admin/window/cases/{number}").status_code == 200
    assert number in officer.get("/admin/window/").get_data(as_text=True)
    assert number not in officer.get("/admin/window/", query_string={"window": desk.county.id}).get_data(as_text=True)


def test_files_are_downloaded_by_the_window_and_the_assigned_department_only(app, desk, client, login, make_user,
                                                                             make_department):
    with app.test_request_context():
        case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city,
                                      desk.city_staff)
        intake.receive(case, [LICENCE, ACCOUNTS, LEASE], [("营业执照.png", PNG)], desk.city_staff)
        intake.accept(case, desk.city_staff)
        db.session.commit()
    file_id = case.attachments[0].id
    url = f"/admin/window/attachments/{file_id}"
    login(desk.city_staff)
    assert client.get(url).data == PNG
    county = app.test_client()
    county.post_form("/login", {"username": desk.county_staff.username, "password": "correct horse battery"})
    assert county.get(url).status_code == 404
    liaison = app.test_client()
    liaison.post_form("/login", {"username": desk.liaison.username, "password": "correct horse battery"})
    assert liaison.get(url).data == PNG
    other = app.test_client()
    other.post_form("/login", {"username": make_user("liaison", username="liaison-x").username,
                               "password": "correct horse battery"})
    assert other.get(url).status_code == 403


def test_the_window_staffs_pages_are_in_chinese(app, client, login, desk):
    from tests.integration.test_language import foreign_words, visible_text

    login(desk.city_staff)
    number = open_at_window(client, desk)
    client.post_form(f"/admin/window/cases/{number}/supplement", {"missing": [LICENCE, ACCOUNTS, LEASE]})
    client.post_form("/admin/window/consultations/new", {"channel": "window", "enterprise_name": "某企业",
                                                         "item_id": desk.item.id, "question": "需要哪些材料？"})
    consultation = db.session.scalars(select(Consultation)).one()
    names = {desk.city_staff.username, desk.city_staff.display_name} | {p.uscc for p in desk.world.profiles.values()}
    for url in ("/admin/window/", f"/admin/window/cases/{number}", "/admin/window/new?q=91000000000000001A",
                "/admin/window/consultations", f"/admin/window/consultations/{consultation.id}"):
        page = client.get(url)
        assert page.status_code == 200
        assert foreign_words(visible_text(page.get_data(as_text=True)), names) == [], url


def test_an_application_withdrawn_before_acceptance_ends_without_a_department(app, desk):
    case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
    with pytest.raises(CaseError):
        intake.withdraw(case, "", desk.city_staff)  # a reason is needed
    intake.withdraw(case, "企业资料不全，暂不申请", desk.city_staff)
    assert case.stage == Stage.withdrawn and case.status == CaseStatus.declined and case.assignments == []
    with pytest.raises(CaseError):  # nothing more happens to it
        intake.receive(case, [LICENCE], [], desk.city_staff)
    db.session.commit()
    assert {"policy.app_withdrawn", "policy.retract"} <= set(db.session.scalars(select(AuditEntry.action)))


def test_an_application_with_money_paid_on_it_is_no_longer_withdrawn(app, desk):
    case = intake.start_at_window(desk.item.current, desk.world.profiles["eligible"], desk.city, desk.city_staff)
    case.stage = Stage.approved
    db.session.add(PolicyPayment(case=case, amount=Decimal("5"), paid_on=local_today(), voucher="PZ-1",
                                 department_id=desk.item.current.department_id))
    db.session.flush()
    with pytest.raises(CaseError, match="兑付"):
        intake.withdraw(case, "企业要求撤回", desk.city_staff)
    assert case.stage == Stage.approved
