"""Who may open what: an explicit table of every endpoint, checked against the declared rules and by real requests.

EXPECTED is the conscious decision for each endpoint. A new route fails this file until it gets a row here,
and a row that differs from the view's declared rule (app.platform.access.rule_for) fails too. Then every route is
requested as anonymous and as every role: anonymous on a staff page goes to the login page (401 for JSON),
a role not allowed gets 403, an allowed role gets neither.

The second half checks liaisons object by object: changing an id in a URL never shows another department's
assessment, complaint assignments, attachments, real-time follow-ups or service points.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from app.assessment import scoring
from app.complaints import service as complaints
from app.casework.models import CaseAttachment
from app.extensions import db
from app.forum import meetings as forum_meetings, problems as forum_problems
from app.forum.models import ForumInvitation, InvitationSource
from app.platform.access import rule_for
from app.platform.calendar import local_today
from app.platform.roles import Role
from app.pool.models import Respondent
from app.questionnaires.models import QuestionnaireVersion
from app.realtime import service as realtime
from app.realtime.models import FollowUpStatus, FollowUpTask, RealtimeRating
from app.rounds import campaigns
from tests.conftest import PASSWORD
from tests.integration.test_assessment import closed_round, test_scheme  # noqa: F401  (a fixture and a helper)
from tests.integration.test_callbacks import closed_case, drawn_check
from tests.integration.test_complaints import PDF, PNG
from tests.integration.test_draws import seed_pool
from tests.integration.test_realtime import rate

PUBLIC = "public"
STAFF = "staff"

EXPECTED: dict[str, str | set[str]] = {
    # assessment
    "assessment.chart_data": {"hr"},
    "assessment.correct": {"hr"},
    "assessment.department": {"hr", "liaison"},
    "assessment.answers_xlsx": {"auditor", "hr"},
    "assessment.export_csv": {"hr"},
    "assessment.export_xlsx": {"hr"},
    "assessment.index": {"hr", "liaison"},
    "assessment.new_scheme": {"hr"},
    "assessment.publish": {"hr"},
    "assessment.release_comments": {"admin"},
    "assessment.round_view": {"hr"},
    "assessment.schemes": {"hr"},
    "assessment.score": {"hr"},
    # audit
    "audit.export": {"auditor"},
    "audit.index": {"auditor"},
    "audit.verify": {"auditor"},
    # auth
    "auth.login": PUBLIC,
    "auth.login_code": PUBLIC,
    "auth.logout": STAFF,
    "auth.set_language": PUBLIC,
    # casework (the 三率 page: a liaison sees its own department, by whole ended months, with the small-group rule)
    "casework_rates.index": {"auditor", "complaints", "forum", "hr", "liaison"},
    # callbacks (the call-back check: handlers run it, auditors read it and replay its draw, raisers answer;
    # issue 18: the policy officer runs delivery checks (兑现回访) — a resolution check is 404 for them)
    "callbacks.answer": PUBLIC,
    "callbacks.check": {"auditor", "complaints", "policy"},
    "callbacks.close": {"complaints", "policy"},
    "callbacks.create": {"complaints", "policy"},
    "callbacks.evidence": {"auditor", "complaints", "policy"},
    "callbacks.export": {"auditor", "complaints", "policy"},
    "callbacks.index": {"auditor", "complaints", "policy"},
    "callbacks.run_draw": {"complaints", "policy"},
    "callbacks.send": {"complaints", "policy"},
    "callbacks.set_seed": {"complaints", "policy"},
    "callbacks.thanks": PUBLIC,
    # complaints
    "complaints.accept": {"complaints"},
    "complaints.add_note": {"complaints"},
    "complaints.analysis": {"auditor", "complaints", "hr"},
    "complaints.assign": {"complaints"},
    "complaints.assigned": {"complaints", "liaison"},  # handlers and admins are sent on to the complaints list
    "complaints.assignment": {"liaison"},
    "casework.inbox": {"liaison"},
    "casework.assignment": {"liaison"},
    "casework.acknowledge": {"liaison"},
    "casework.progress": {"liaison"},
    "casework.reply": {"liaison"},
    "complaints.attachment": {"complaints", "liaison"},
    "complaints.close": {"complaints"},
    "complaints.attempt": {"complaints"},
    "complaints.decline": {"complaints"},
    "complaints.detail": {"complaints"},
    "complaints.export": {"auditor", "complaints", "hr"},
    "complaints.filed": PUBLIC,
    "complaints.index": {"complaints"},
    "complaints.new": PUBLIC,
    "complaints.overdue": {"complaints"},
    "complaints.public_index": PUBLIC,
    "complaints.reassign": {"complaints"},
    "complaints.remind": {"complaints"},
    "complaints.reopen": {"complaints"},
    "complaints.reveal_phone": {"complaints"},
    "complaints.share": {"complaints"},
    "complaints.track": PUBLIC,
    "complaints.withdraw": {"complaints"},
    # the forum's public ledger, meeting report and agenda
    "forum_ledger.index": PUBLIC,
    "policy_public.index": PUBLIC,
    "policy_public.item": PUBLIC,
    "forum_ledger.meeting": PUBLIC,
    "forum_ledger.report_page": {"forum", "auditor"},
    "forum_ledger.report_xlsx": {"forum", "auditor"},
    "forum_ledger.publish_report": {"forum"},
    "forum_ledger.agenda": {"forum", "auditor"},
    "forum_ledger.next_agenda": {"forum", "auditor"},
    # departments
    "departments.create": {"admin"},
    "departments.edit": {"admin"},
    "departments.import_departments": {"admin"},
    "departments.index": {"auditor", "complaints", "designer", "forum", "hr", "operator", "policy", "window"},
    "departments.set_active": {"admin"},
    # forum (the organisers; the enterprises' pages open with their personal link)
    "forum.assign": {"forum"},
    "forum.attachment": {"forum", "liaison"},
    "forum.attempt": {"forum"},
    "forum.attendance": {"forum"},
    "forum.choose": {"forum"},
    "forum.close": {"forum"},
    "forum.edit_meeting": {"forum"},
    "forum.evidence": {"auditor", "forum"},
    "forum.freeze": {"forum"},
    "forum.home": PUBLIC,
    "forum.index": {"auditor", "forum"},
    "forum.mark_held": {"forum"},
    "forum.meeting": {"forum"},
    "forum.new_meeting": {"forum"},
    "forum.new_problem": PUBLIC,
    "forum.on_spot": {"forum"},
    "forum.open_link": PUBLIC,
    "forum.problem": {"forum"},
    "forum.problem_list": {"forum"},
    "forum.rate": PUBLIC,
    "forum.reassign": {"forum"},
    "forum.record_problem": {"forum"},
    "forum.remind": {"forum"},
    "forum.remove_invitation": {"forum"},
    "forum.reopen": PUBLIC,
    "forum.reveal_phone": {"forum"},
    "forum.rsvp": PUBLIC,
    "forum.run_draw": {"forum"},
    "forum.send": {"forum"},
    "forum.track": PUBLIC,
    "forum.withdraw": {"forum"},
    # the policy catalogue (policy officers): policies, items and versions, the import, windows, promises
    "policy.attachment": {"policy"},
    "policy.cancel_promise": {"policy"},
    "policy.deliver_promise": {"policy"},
    "policy.edit_item": {"policy"},
    "policy.edit_policy": {"policy"},
    "policy.edit_window": {"policy"},
    "policy.expire": {"policy"},
    "policy.import_items": {"policy"},
    "policy.import_template": {"policy"},
    "policy.index": {"policy"},
    "policy.item": {"policy"},
    "policy.new_item": {"policy"},
    "policy.new_policy": {"policy"},
    "policy.new_promise": {"policy"},
    "policy.new_window": {"policy"},
    "policy.policy": {"policy"},
    "policy.promise": {"policy"},
    "policy.promise_list": {"policy"},
    "policy.publish": {"policy"},
    "policy.repeal": {"policy"},
    "policy.window_list": {"policy"},
    # matching and precise push (policy officers), the enterprise's personal page of a pushed item
    "policy_push.index": {"policy"},
    "policy_push.item": {"policy"},
    "policy_push.run_match": {"policy"},
    "policy_push.send": {"policy"},
    "policy_push.result": {"policy"},
    "policy_push.notice": PUBLIC,
    "policy_push.opt_out": PUBLIC,
    # the policy window's decisions (issue 18): the lead department's liaison decides on its own assignment (403 for
    # another department's); window staff (their own window's cases, 404 for another's) and the policy officer review
    # the decision and record payments, delivery and the receipt confirmed by phone
    "policy_decisions.decide": {"liaison"},
    "policy_decisions.deliver": {"policy", "window"},
    "policy_decisions.pay": {"policy", "window"},
    "policy_decisions.payment_list": {"policy", "window"},
    "policy_decisions.receipt": {"policy", "window"},
    "policy_decisions.rejection_call": {"policy", "window"},
    "policy_decisions.review": {"policy", "window"},
    "policy_decisions.review_decision": {"policy", "window"},
    # the policy window, the enterprise's side (issue 18): online application, tracking, questions
    "policy_window_public.apply_from_notice": PUBLIC,
    "policy_window_public.apply": PUBLIC,
    "policy_window_public.apply_code": PUBLIC,
    "policy_window_public.track": PUBLIC,
    "policy_window_public.save_draft": PUBLIC,
    "policy_window_public.submit": PUBLIC,
    "policy_window_public.hand_in": PUBLIC,
    "policy_window_public.receipt": PUBLIC,
    "policy_window_public.consent": PUBLIC,
    "policy_window_public.ask": PUBLIC,
    "policy_window_public.question": PUBLIC,
    # 免申即享 (issue 18 item 5): policy officers and window staff review lists and make batches; the item's
    # department's liaison reads its items' batches
    "policy_automatic.index": {"liaison", "policy", "window"},
    "policy_automatic.item": {"policy", "window"},
    "policy_automatic.run_match": {"policy", "window"},
    "policy_automatic.create": {"policy", "window"},
    "policy_automatic.batches": {"liaison", "policy", "window"},
    "policy_automatic.batch": {"liaison", "policy", "window"},
    # enterprise profiles (policy officers)
    "profiles.index": {"policy"},
    "profiles.show": {"policy"},
    "profiles.edit": {"policy"},
    "profiles.import_upload": {"policy"},
    "profiles.import_preview": {"policy"},
    "profiles.restore_push": {"policy"},
    # the policy window's statistics (issue 18 item 7): the policy officer every window, window staff their own
    "policy_stats.index": {"policy", "window"},
    "policy_stats.export": {"policy", "window"},
    # the policy window, window staff's side (issue 18): queue, intake up to referral, consultations; the files
    # also for the liaison of an assigned department (the engine's assignment page links them)
    "policy_window.index": {"policy", "window"},
    "policy_window.new": {"policy", "window"},
    "policy_window.case": {"policy", "window"},
    "policy_window.materials": {"policy", "window"},
    "policy_window.supplement": {"policy", "window"},
    "policy_window.hand_in": {"policy", "window"},
    "policy_window.declare": {"policy", "window"},
    "policy_window.accept": {"policy", "window"},
    "policy_window.withdraw": {"policy", "window"},
    "policy_window.consultation_list": {"policy", "window"},
    "policy_window.new_consultation": {"policy", "window"},
    "policy_window.consultation": {"policy", "window"},
    "policy_window.answer_consultation": {"policy", "window"},
    "policy_window.consultation_subject": {"policy", "window"},
    "policy_window.consultation_apply": {"policy", "window"},
    "policy_window.attachment": {"liaison", "policy", "window"},
    # main
    "main.health": PUBLIC,
    "main.index": STAFF,
    # pool
    "pool.categories": {"operator"},
    "pool.composition": {"auditor", "operator"},
    "pool.edit": {"operator"},
    "pool.export": {"admin"},
    "pool.import_preview": {"operator"},
    "pool.import_upload": {"operator"},
    "pool.index": {"operator"},
    "pool.save_targets": {"operator"},
    "pool.set_status": {"operator"},
    # questionnaires
    "questionnaires.add_item": {"designer"},
    "questionnaires.check_expression": {"designer"},
    "questionnaires.create": {"designer"},
    "questionnaires.diff": {"designer"},
    "questionnaires.discard": {"designer"},
    "questionnaires.edit_item": {"designer"},
    "questionnaires.export": {"designer"},
    "questionnaires.import_questionnaire": {"designer"},
    "questionnaires.index": {"designer"},
    "questionnaires.item_action": {"designer"},
    "questionnaires.move_item_to": {"designer"},
    "questionnaires.publish": {"designer"},
    "questionnaires.settings": {"designer"},
    "questionnaires.start_draft": {"designer"},
    "questionnaires.template_xlsform": {"designer"},
    "questionnaires.version": {"designer"},
    # realtime
    "realtime.channel_csv": {"auditor", "hr"},
    "realtime.edit_point": {"admin"},
    "realtime.exclude": {"admin"},
    "realtime.follow_up": {"auditor", "hr", "liaison"},
    "realtime.follow_ups": {"auditor", "hr", "liaison"},
    "realtime.include": {"admin"},
    "realtime.keep": {"admin"},
    "realtime.new_point": {"admin"},
    "realtime.overview": {"auditor", "hr", "operator"},
    "realtime.points": {"auditor", "hr", "liaison", "operator"},
    "realtime.poster": {"liaison", "operator"},
    "realtime.qr": {"liaison", "operator"},
    "realtime.rate": PUBLIC,
    "realtime.ratings": {"admin"},
    "realtime.reveal_callback": {"liaison"},
    "realtime.send_code": PUBLIC,
    "realtime.thanks": PUBLIC,
    # rounds
    "rounds.allocation_preview": {"operator"},
    "rounds.close": {"operator"},
    "rounds.create": {"operator"},
    "rounds.draw": {"auditor", "operator"},
    "rounds.evidence": {"auditor", "operator"},
    "rounds.extend": {"operator"},
    "rounds.freeze": {"operator"},
    "rounds.index": {"auditor", "operator"},
    "rounds.outbox": {"operator"},
    "rounds.overview": {"auditor", "operator"},
    "rounds.remind": {"operator"},
    "rounds.resume": {"operator"},
    "rounds.run_draw": {"operator"},
    "rounds.save_plan": {"operator"},
    "rounds.send": {"operator"},
    "rounds.set_seed": {"operator"},
    "rounds.setup": {"operator"},
    "rounds.void": {"operator"},
    # static
    "static": PUBLIC,
    "assets.static": PUBLIC,
    "assets.favicon": PUBLIC,
    # survey
    "survey.confirm": PUBLIC,
    "survey.enter_code": PUBLIC,
    "survey.intro": PUBLIC,
    "survey.open_link": PUBLIC,
    "survey.page": PUBLIC,
    "survey.preview": {"designer"},  # the builder's preview: the respondent's page of any version
    "survey.submit": PUBLIC,
    "survey.thanks": PUBLIC,
    # users
    "users.change_password": STAFF,
    "users.create": {"admin"},
    "users.edit": {"admin"},
    "users.index": {"admin"},
    "users.reset_password": {"admin"},
    "users.reset_two_factor": {"admin"},
    "users.set_active": {"admin"},
    "users.two_factor": STAFF,
    "users.two_factor_confirm": STAFF,
    "users.two_factor_disable": STAFF,
    "users.two_factor_qr": STAFF,
    "users.two_factor_start": STAFF,
}

ROLES = [r.value for r in Role]

# Allowed by role, refused by the object with 403, and why.
OBJECT_LEVEL_REFUSALS: dict[tuple[str, str], str] = {}
WHO = ["anonymous"] + ROLES


def allowed(endpoint: str, who: str) -> bool:
    """What EXPECTED promises for ``who`` (admin holds every role)."""
    rule = EXPECTED[endpoint]
    if rule == PUBLIC:
        return True
    if who == "anonymous":
        return False
    return rule == STAFF or who == "admin" or who in rule


def test_every_endpoint_has_a_conscious_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(endpoints - set(EXPECTED)) == [], "new endpoints need a row in EXPECTED"
    assert sorted(set(EXPECTED) - endpoints) == [], "EXPECTED names endpoints that no longer exist"


def test_the_declared_rules_match_the_table(app):
    differences = {}
    for endpoint, expected in EXPECTED.items():
        rule = rule_for(endpoint)
        declared = (None if rule is None else PUBLIC if rule.public else STAFF if not rule.roles
                    else {r.value for r in rule.roles})
        if declared != expected:
            differences[endpoint] = (declared, expected)
    assert differences == {}


# --------------------------------------------------------------------------- one world with one of everything

class World:
    """Two departments (A has the liaison), a round, a complaint assigned to both, service points, ratings."""


@pytest.fixture
def world(app, make_department, make_user, tmp_path):
    app.config["COMPLAINT_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    w = World()
    w.dept_a, w.dept_b = make_department("AAA", "甲局"), make_department("BBB", "乙局")
    w.users = {role: make_user(role, department=w.dept_a if role == "liaison" else None) for role in ROLES}
    w.liaison_b = make_user("liaison", username="liaison-b", department=w.dept_b)
    w.campaign = campaigns.create("2026-10", "十月评价", None)
    seed_pool({"办事群众": 3})
    w.member = db.session.scalars(select(Respondent)).first()
    w.complaint, _code = complaints.submit(
        category="enforcement", department_ids=[w.dept_a.id, w.dept_b.id], subject="执法检查吃拿卡要",
        description="执法人员到我店检查时暗示需要“表示”，否则将从严处罚。", name="张三", phone="13800138000",
        files=[("现场.png", PNG)])
    complaints.accept(w.complaint)
    assigned = complaints.assign(w.complaint, [w.dept_a, w.dept_b], local_today() + timedelta(days=10))
    w.assignment_a, w.assignment_b = sorted(assigned, key=lambda a: a.department_id != w.dept_a.id)
    w.attachment = w.complaint.attachments[0]
    complaints.share_attachment(w.attachment)  # so that the assigned liaison may open it
    # A forum problem of an enterprise that did not let departments see it, assigned to A (lead) and B (co).
    w.meeting = forum_meetings.create(held_on=local_today() + timedelta(days=20), venue="市政府会议室", theme="用地")
    w.forum_invitation = ForumInvitation(meeting=w.meeting, respondent=w.member, source=InvitationSource.chosen)
    db.session.add(w.forum_invitation)
    db.session.flush()
    w.problem = forum_problems.raise_problem(w.forum_invitation, category="land",
                                             description="园区用地指标迟迟不能落实，影响项目开工。")
    forum_problems.assign(w.problem, lead_id=w.dept_a.id, co_ids=[w.dept_b.id], workdays=10)
    w.forum_a, w.forum_b = sorted(w.problem.current_assignments, key=lambda a: a.department_id != w.dept_a.id)
    w.point_a = realtime.create_point(w.dept_a, code="WA", name="甲窗口", kind="window")
    w.point_b = realtime.create_point(w.dept_b, code="WB", name="乙窗口", kind="window")
    db.session.commit()
    for i, point in enumerate((w.point_a, w.point_b)):
        assert rate(app.test_client(), point, ip=f"10.9.0.{i}", overall=1,
                    comment="等了两个小时没人办理").status_code == 302
    w.task_a = db.session.scalar(select(FollowUpTask).where(FollowUpTask.department_id == w.dept_a.id))
    w.task_b = db.session.scalar(select(FollowUpTask).where(FollowUpTask.department_id == w.dept_b.id))
    w.rating = db.session.scalars(select(RealtimeRating)).first()
    closed_case(w.dept_b)
    w.version = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    w.callback_check = drawn_check(minimum=1)  # of one closed complaint of B's, so that its pages have content
    return w


DUMMY_ID = 999_999


def url_values(endpoint: str, arguments: set[str], w: World, real: bool) -> dict:
    """Values for a route's parameters: the world's real objects, or ids that exist nowhere."""
    per_endpoint = {"pool.export": {"fmt": "csv"}, "questionnaires.export": {"fmt": "json"},
                    "questionnaires.template_xlsform": {"key": "enterprise"},
                    "realtime.qr": {"fmt": "svg"}, "survey.page": {"number": 1},
                    "questionnaires.item_action": {"action": "up"}, "auth.set_language": {"code": "en"},
                    "static": {"filename": "css/admin.css"},
                    "assets.static": {"name": "css/survey.0000000000.css"}, "survey.open_link": {"token": "x" * 22},
                    "callbacks.answer": {"token": "x" * 22},
                    "pool.import_preview": {"token": "no-such-upload"}, "forum.open_link": {"token": "x" * 32},
                    "policy_push.notice": {"token": "x" * 32}, "policy_push.opt_out": {"token": "x" * 32},
                    "profiles.import_preview": {"token": "no-such-upload"},
                    **{f"policy_window_public.{name}": {"token": "x" * 32} for name in (
                        "apply_from_notice", "track", "save_draft", "submit", "hand_in", "receipt", "consent",
                        "question")},
                    "policy_public.item": {"code": "NO-SUCH-ITEM"}}
    # The forum's pages get the forum's objects: its problem's number, and one of its assignments.
    forum_values = {"number": w.problem.tracking_number, "assignment_id": w.forum_a.id} if real else {
        "number": "KT00000000-0000"}
    values = {
        "campaign_id": w.campaign.id, "department_id": w.dept_a.id, "number": w.complaint.tracking_number,
        "assignment_id": w.assignment_a.id, "attachment_id": w.attachment.id, "key": w.member.key,
        "version_id": w.version.id, "loc": "0", "questionnaire_id": w.version.questionnaire_id,
        "point_id": w.point_a.id, "rating_id": w.rating.id, "task_id": w.task_a.id, "slug": w.point_a.slug,
        "user_id": w.users["operator"].id, "check_id": w.callback_check.id, "meeting_id": w.meeting.id,
        "invitation_id": w.forum_invitation.id, "item_id": DUMMY_ID, "result_id": DUMMY_ID,
        "code": "91350100M000100Y43",
        "policy_id": DUMMY_ID, "window_id": DUMMY_ID, "promise_id": DUMMY_ID, "consultation_id": DUMMY_ID,
        "batch_id": DUMMY_ID,
    } if real else {
        "campaign_id": DUMMY_ID, "department_id": DUMMY_ID, "number": "TS00000000-0000", "assignment_id": DUMMY_ID,
        "attachment_id": DUMMY_ID, "key": "NOSUCHKEY", "version_id": DUMMY_ID, "loc": "0",
        "questionnaire_id": DUMMY_ID, "point_id": DUMMY_ID, "rating_id": "no-such-rating", "task_id": DUMMY_ID,
        "slug": "no-such-point", "user_id": DUMMY_ID, "check_id": DUMMY_ID, "meeting_id": DUMMY_ID,
        "invitation_id": DUMMY_ID, "item_id": DUMMY_ID, "result_id": DUMMY_ID, "code": "91350100M000100Y43",
        "policy_id": DUMMY_ID, "window_id": DUMMY_ID, "promise_id": DUMMY_ID, "consultation_id": DUMMY_ID,
        "batch_id": DUMMY_ID,
    }
    if endpoint.startswith("forum."):
        values.update(forum_values)
    values.update(per_endpoint.get(endpoint, {}))
    return {name: values[name] for name in arguments}


def routes(app):
    """(endpoint, arguments, methods) of every route; logout last, since it ends the session."""
    found = [(r.endpoint, set(r.arguments), r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules()]
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r[0]))


def to_login(response) -> bool:
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.parametrize("who", WHO)
def test_every_route_answers_each_role_as_the_table_says(app, world, who):
    client = app.test_client()
    if who != "anonymous":
        user = world.users[who]
        assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    token = client.csrf_token()
    problems = []
    for endpoint, arguments, methods in routes(app):
        may = allowed(endpoint, who)
        # An allowed role must not perform real actions: POSTs then go to ids that exist nowhere (404 after the
        # access check) or carry no form data (refused by the form).
        get = "GET" in methods
        with app.test_request_context():
            url = url_for(endpoint, **url_values(endpoint, arguments, world, real=get or not may))
        response = client.get(url) if get else client.post(url, data={"csrf_token": token})
        status = response.status_code
        if (endpoint, who) in OBJECT_LEVEL_REFUSALS:
            ok = status == 403
        elif may and endpoint == "auth.logout":
            ok = to_login(response)  # it did log out: the session is over
        elif may:
            ok = status not in (401, 403) and not to_login(response) and status < 500
        elif who == "anonymous":
            ok = to_login(response)
            if ok and get:
                as_json = client.get(url, headers={"Accept": "application/json"})
                ok = as_json.status_code == 401
        else:
            ok = status == 403
        if not ok:
            problems.append(f"{endpoint} {url} as {who}: {status} (allowed: {may})")
    assert problems == [], "\n".join(problems)


# --------------------------------------------------------------------------- liaisons: object by object

def as_liaison(app, user):
    client = app.test_client()
    assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_a_liaison_reads_and_answers_only_its_own_complaint_assignments(app, world):
    mine = as_liaison(app, world.users["liaison"])
    assert mine.get(f"/admin/complaints/assigned/{world.assignment_a.id}").status_code == 200
    assert mine.get(f"/admin/complaints/assigned/{world.assignment_b.id}").status_code == 403
    refused = mine.post_form(f"/admin/complaints/assigned/{world.assignment_b.id}", {"reply": "冒充乙局答复：已处理完毕"},
                             content_type="multipart/form-data")
    assert refused.status_code == 403
    db.session.expire_all()
    assert world.assignment_b.reply == "" or world.assignment_b.reply is None
    listing = mine.get("/admin/complaints/assigned").get_data(as_text=True)
    assert f"/admin/complaints/assigned/{world.assignment_a.id}" in listing
    assert f"/admin/complaints/assigned/{world.assignment_b.id}" not in listing
    assert "13800138000" not in listing and "张三" not in listing  # never the complainant's identity


def test_a_liaison_downloads_only_files_meant_for_its_department(app, world, make_department, make_user):
    # Department B's evidence, uploaded with its reply, is B's alone.
    complaints.reply(world.assignment_b, "经核查情况属实，已整改。", [("整改.pdf", PDF)], actor=world.liaison_b)
    db.session.commit()
    evidence_b = db.session.scalars(select(CaseAttachment).where(
        CaseAttachment.assignment_id == world.assignment_b.id)).one()
    mine = as_liaison(app, world.users["liaison"])
    assert mine.get(f"/admin/complaints/attachments/{world.attachment.id}").status_code == 200  # shared with A
    assert mine.get(f"/admin/complaints/attachments/{evidence_b.id}").status_code == 403
    assert as_liaison(app, world.liaison_b).get(f"/admin/complaints/attachments/{evidence_b.id}").status_code == 200
    # A department the complaint was never assigned to sees nothing, shared or not.
    outsider = make_user("liaison", username="liaison-c", department=make_department("CCC"))
    assert as_liaison(app, outsider).get(f"/admin/complaints/attachments/{world.attachment.id}").status_code == 403
    # A complainant's file that was not shared stays with the complaints centre.
    unshared, _code = complaints.submit(category="enforcement", department_ids=[world.dept_a.id], subject="又一件",
                                        description="执法人员到我店检查时暗示需要“表示”，否则将从严处罚。",
                                        files=[("身份证.png", PNG)])
    complaints.accept(unshared)
    complaints.assign(unshared, [world.dept_a], local_today() + timedelta(days=10))
    db.session.commit()
    assert mine.get(f"/admin/complaints/attachments/{unshared.attachments[0].id}").status_code == 403


def test_a_liaison_sees_and_completes_only_its_own_follow_ups(app, world):
    mine = as_liaison(app, world.users["liaison"])
    assert mine.get(f"/admin/realtime/follow-ups/{world.task_a.id}").status_code == 200
    assert mine.get(f"/admin/realtime/follow-ups/{world.task_b.id}").status_code == 403
    form = {"action_taken": "冒充乙局：已整改", "contacted": "yes", "rectified": "yes"}
    assert mine.post_form(f"/admin/realtime/follow-ups/{world.task_b.id}", form).status_code == 403
    assert mine.post_form(f"/admin/realtime/follow-ups/{world.task_b.id}/callback").status_code == 403
    db.session.expire_all()
    assert db.session.get(FollowUpTask, world.task_b.id).status == FollowUpStatus.open
    # The list ignores a department typed into the address.
    listing = mine.get(f"/admin/realtime/follow-ups?department={world.dept_b.id}").get_data(as_text=True)
    assert f"/admin/realtime/follow-ups/{world.task_a.id}" in listing
    assert f"/admin/realtime/follow-ups/{world.task_b.id}" not in listing


def test_a_liaison_sees_only_its_own_service_points_and_posters(app, world):
    mine = as_liaison(app, world.users["liaison"])
    listing = mine.get(f"/admin/realtime/points?department={world.dept_b.id}").get_data(as_text=True)
    assert "甲窗口" in listing and "乙窗口" not in listing
    for path in ("poster", "qr.svg", "qr.png"):
        assert mine.get(f"/admin/realtime/points/{world.point_a.id}/{path}").status_code == 200
        assert mine.get(f"/admin/realtime/points/{world.point_b.id}/{path}").status_code == 403


def test_a_liaison_reads_only_its_own_published_assessment_and_comments(app, closed_round, make_user):  # noqa: F811
    campaign, departments, _rare = closed_round
    own, other = departments[0], departments[1]
    liaison = make_user("liaison", username="liaison-own", department=own)
    scheme = test_scheme()
    scoring.score(campaign, scheme, None)
    db.session.commit()
    mine = as_liaison(app, liaison)
    base = f"/admin/assessment/{campaign.id}/departments"
    # Scored but not published: nothing for the liaison, not even its own page.
    assert mine.get(f"{base}/{own.id}").status_code == 404
    assert f"/admin/assessment/{campaign.id}/" not in mine.get("/admin/assessment/").get_data(as_text=True)
    scoring.publish(campaign, None)
    scoring.release_comments(campaign, None)
    db.session.commit()
    assert mine.get(f"{base}/{own.id}").status_code == 200
    assert mine.get(f"{base}/{other.id}").status_code == 404  # another department's page does not exist for it
    assert mine.get(f"{base}/{999_999}").status_code == 404
    for path in ("", "/charts.json", "/export.csv", "/export.xlsx"):
        assert mine.get(f"/admin/assessment/{campaign.id}{path}").status_code == 403
    other_comments = scoring.department_comments(campaign, other.id)
    page = mine.get(f"{base}/{own.id}").get_data(as_text=True)
    assert other_comments and not any(c in page for c in other_comments if c not in
                                      scoring.department_comments(campaign, own.id))


def test_a_liaison_handles_only_its_own_forum_assignments_and_never_sees_a_confidential_raiser(app, world):
    mine = as_liaison(app, world.users["liaison"])
    page = mine.get(f"/admin/inbox/{world.forum_a.id}")
    assert page.status_code == 200 and "园区用地指标" in page.get_data(as_text=True)
    raiser = world.member
    for text in (page.get_data(as_text=True), mine.get("/admin/inbox").get_data(as_text=True)):
        assert raiser.name not in text and raiser.phone_masked not in text
    assert mine.get(f"/admin/inbox/{world.forum_b.id}").status_code == 403
    assert mine.post_form(f"/admin/inbox/{world.forum_b.id}/progress", {"text": "冒充乙局：已办结"}).status_code == 403
    assert mine.post_form(f"/admin/inbox/{world.forum_b.id}/reply", {"reply": "冒充乙局答复"}).status_code == 403
    db.session.expire_all()
    assert world.forum_b.status.value == "pending" and world.forum_b.reply == ""
    # The organisers' pages are not a department's, whatever the number.
    assert mine.get(f"/admin/forum/problems/{world.problem.tracking_number}").status_code == 403
    # Files: each department its own evidence; the organisers every file; the complaints centre none of the forum's.
    from app.casework import service as casework
    casework.reply(world.forum_b, "配合提供规划意见。", [("规划意见.pdf", PDF)], actor=world.liaison_b)
    db.session.commit()
    evidence_b = db.session.scalars(select(CaseAttachment).where(
        CaseAttachment.assignment_id == world.forum_b.id)).one()
    assert mine.get(f"/admin/forum/attachments/{evidence_b.id}").status_code == 403
    assert as_liaison(app, world.liaison_b).get(f"/admin/forum/attachments/{evidence_b.id}").status_code == 200
    assert as_liaison(app, world.users["forum"]).get(f"/admin/forum/attachments/{evidence_b.id}").status_code == 200
    handler = as_liaison(app, world.users["complaints"])
    assert handler.get(f"/admin/complaints/attachments/{evidence_b.id}").status_code == 404
    assert handler.get(f"/admin/forum/attachments/{evidence_b.id}").status_code == 403
    # The co-department on the same problem cannot open the lead department's assignment.
    outsider = as_liaison(app, world.liaison_b)
    assert outsider.get(f"/admin/inbox/{world.forum_a.id}").status_code == 403
