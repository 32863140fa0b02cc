"""The entrepreneurs' forum through its pages: the organisers plan a meeting, choose and draw the invitations,
send them; an enterprise answers and raises a problem from its personal link; the organisers assign it; the
departments answer in the engine's inbox; the enterprise rates it on its tracking page, or reopens it."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.casework.models import AssignmentStatus, CaseStatus, Confirmation, Outcome, Satisfaction
from app.extensions import db
from app.forum import draws
from app.forum.models import Chair, ForumMeeting, ForumProblem, InvitationSource, MeetingStatus
from app.platform.calendar import local_today
from app.pool.models import Respondent
from app.sms.models import SmsOutbox
from tests.conftest import PASSWORD
from tests.integration.test_pool_import import csv_bytes, run_import
from tools import verify_draw

ENTERPRISES = [("张经理", "四上企业", "城关区", f"城关制造{n}号有限公司") for n in range(1, 5)] + \
              [("李老板", "中小微市场主体", "高新区" if n % 2 else "", f"高新小微{n}号商行") for n in range(1, 9)]


def seed_enterprises(extra: list | None = None) -> None:
    rows = [[name, category, district, organisation, f"1391111{n:04d}"]
            for n, (name, category, district, organisation) in enumerate(ENTERPRISES + (extra or []), start=1)]
    rows.append(["王群众", "办事群众", "城关区", "", "13922220001"])  # not an enterprise: never invited
    plan, result = run_import(csv_bytes(rows))
    assert result is not None, plan.errors[:3]


def member(organisation: str) -> Respondent:
    return db.session.scalar(select(Respondent).where(Respondent.organisation == organisation))


def as_user(app, user):
    client = app.test_client()
    assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


class Forum:
    """Three departments (A and B with liaisons), an organiser, the enterprises of the pool."""


@pytest.fixture
def forum(app, make_department, make_user):
    f = Forum()
    f.dept_a, f.dept_b, f.dept_c = (make_department("FGW", "发展改革局"), make_department("ZRZY", "自然资源局"),
                                    make_department("RSJ", "人社局"))
    f.organiser = as_user(app, make_user("forum"))
    f.liaison_a = as_user(app, make_user("liaison", username="liaison-a", department=f.dept_a))
    f.liaison_b = as_user(app, make_user("liaison", username="liaison-b", department=f.dept_b))
    seed_enterprises()
    return f


def plan_meeting(client, held_on=None, draw_size=3, chair=None, exclude_last=2) -> ForumMeeting:
    data = {"held_on": (held_on or local_today() + timedelta(days=20)).isoformat(), "venue": "市政府第一会议室",
            "theme": "用地与融资难题", "draw_size": str(draw_size), "exclude_last": str(exclude_last)}
    if chair:
        data["chair"] = chair
    else:  # what the page proposes
        data["chair"] = re.search(r'<input checked id="chair-\d" name="chair"[^>]*value="(\w+)"',
                                  client.get("/admin/forum/meetings/new").get_data(as_text=True)).group(1)
    assert client.post_form("/admin/forum/meetings/new", data).status_code == 302
    return db.session.scalars(select(ForumMeeting).order_by(ForumMeeting.id.desc())).first()


def invite_and_send(client, meeting: ForumMeeting, chosen: str = "城关制造1号有限公司", seed: str = "20261206") -> None:
    page = client.get(f"/admin/forum/meetings/{meeting.id}?q={chosen}").get_data(as_text=True)
    assert chosen in page
    assert client.post_form(f"/admin/forum/meetings/{meeting.id}/choose",
                            {"respondents": str(member(chosen).id)}).status_code == 302
    if meeting.draw_size:
        assert client.post_form(f"/admin/forum/meetings/{meeting.id}/freeze", {"confirm": "y"}).status_code == 302
        assert client.post_form(f"/admin/forum/meetings/{meeting.id}/draw",
                                {"confirm": "y", "seed": seed}).status_code == 302
    assert client.post_form(f"/admin/forum/meetings/{meeting.id}/send", {"confirm": "y"}).status_code == 302
    db.session.expire_all()


def link_of(organisation: str) -> str:
    """The personal link in the invitation SMS the enterprise received (the console outbox)."""
    texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "forum_invite")).all()
    name = organisation[:20]
    text = next(t for t in texts if t.startswith(name))
    return re.search(r"https?://[^/\s]+(/f/\S+)", text).group(1)


def enterprise(app, organisation: str):
    client = app.test_client()
    assert client.get(link_of(organisation)).status_code == 302
    return client


def raise_problem(client, category="land", description="园区二期用地指标迟迟未能落实，影响新生产线开工。",
                  shared=False, named=False):
    data = {"category": category, "description": description, "request": "请协调落实用地指标"}
    if shared:
        data["identity_shared"] = "y"
    if named:
        data["named_in_ledger"] = "y"
    return client.post_form("/f/problems/new", data)


def latest_problem() -> ForumProblem:
    return db.session.scalars(select(ForumProblem).order_by(ForumProblem.id.desc())).first()


def assign(client, problem, lead, co=(), workdays=None):
    data = {"lead_id": str(lead.id), "co_ids": [str(d.id) for d in co], "instructions": "请牵头研究解决"}
    data["workdays"] = str(workdays) if workdays else re.search(
        r'id="workdays"[^>]*value="(\d+)"',
        client.get(f"/admin/forum/problems/{problem.tracking_number}").get_data(as_text=True)).group(1)
    return client.post_form(f"/admin/forum/problems/{problem.tracking_number}/assign", data)


def assignment_of(problem, department):
    return next(a for a in problem.current_assignments if a.department_id == department.id)


# --------------------------------------------------------------------------- the whole path

def test_the_whole_path_from_the_meeting_to_the_enterprises_verdict_and_its_reopening(app, forum):
    meeting = plan_meeting(forum.organiser)
    assert meeting.chair == Chair.secretary and meeting.status == MeetingStatus.preparing
    invite_and_send(forum.organiser, meeting)
    assert meeting.status == MeetingStatus.invited
    sources = sorted(i.source.value for i in meeting.invitations)
    assert sources == ["chosen", "drawn", "drawn", "drawn"]
    assert all(i.respondent.category.key in ("large_enterprise", "sme") for i in meeting.invitations)
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox).where(SmsOutbox.kind == "forum_invite")) == 4

    # The enterprise, from its link, on its phone.
    firm = enterprise(app, "城关制造1号有限公司")
    home = firm.get("/f/home").get_data(as_text=True)
    assert "用地与融资难题" in home and "市政府第一会议室" in home
    assert firm.post_form("/f/home/rsvp", {"attending": "yes"}).status_code == 302
    assert raise_problem(firm).status_code == 302
    db.session.expire_all()
    problem = latest_problem()
    assert problem.invitation.attending is True
    assert problem.status == CaseStatus.submitted and not problem.identity_shared
    assert problem.tracking_number in firm.get("/f/home").get_data(as_text=True)

    # The organisers see who raised it and assign it: a lead department and a co-department.
    page = forum.organiser.get(f"/admin/forum/problems/{problem.tracking_number}").get_data(as_text=True)
    assert "城关制造1号有限公司" in page and "139****0001" in page
    assert assign(forum.organiser, problem, forum.dept_a, [forum.dept_b]).status_code == 302
    db.session.expire_all()
    lead, co = assignment_of(problem, forum.dept_a), assignment_of(problem, forum.dept_b)
    assert lead.lead and not co.lead and problem.status == CaseStatus.assigned
    assert lead.due_on > local_today()

    # Departments: the one inbox, progress (which the enterprise hears of), the answers.
    assert f"/admin/inbox/{lead.id}" in forum.liaison_a.get("/admin/inbox").get_data(as_text=True)
    assert forum.liaison_a.post_form(f"/admin/inbox/{lead.id}/progress",
                                     {"text": "已会同园区实地踏勘，正在调整用地指标。"}).status_code == 302
    news = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "forum_news")).all()
    assert len(news) == 1 and problem.tracking_number in news[0] and "进展" in news[0]
    news_link = re.search(r"https?://[^/\s]+(/f/\S+)", news[0]).group(1)
    assert news_link == link_of("城关制造1号有限公司")  # the same personal link, recomputed, not a new one
    elsewhere = app.test_client()  # opened on another phone of the enterprise
    assert elsewhere.get(news_link).status_code == 302
    assert "正在调整用地指标" in elsewhere.get(f"/f/problems/{problem.tracking_number}").get_data(as_text=True)
    assert forum.liaison_b.post_form(f"/admin/inbox/{co.id}/reply",
                                     {"reply": "配合提供规划意见。", "evidence": [(io.BytesIO(b"%PDF-1.7\n" + b"x" * 50),
                                                                          "规划意见.pdf")]},
                                     content_type="multipart/form-data").status_code == 302
    # The department finds its evidence on its assignment page, and downloads it.
    own_page = forum.liaison_b.get(f"/admin/inbox/{co.id}").get_data(as_text=True)
    file_link = re.search(r'href="(/admin/forum/attachments/\d+)">规划意见.pdf', own_page).group(1)
    assert forum.liaison_b.get(file_link).data.startswith(b"%PDF")
    assert forum.liaison_a.post_form(f"/admin/inbox/{lead.id}/reply",
                                     {"reply": "用地指标已调整落实，可办理供地手续。", "outcome": "solved"}).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming
    assert len(db.session.scalars(select(SmsOutbox).where(SmsOutbox.kind == "forum_news")).all()) == 2

    # The enterprise's tracking page: status, departments, deadline, progress, the answer; it is not satisfied.
    track = firm.get(f"/f/problems/{problem.tracking_number}").get_data(as_text=True)
    for seen in ("发展改革局", "自然资源局", lead.due_on.isoformat(), "正在调整用地指标", "用地指标已调整落实"):
        assert seen in track
    assert firm.post_form(f"/f/problems/{problem.tracking_number}/rate",
                          {"satisfaction": "unsatisfied", "comment": "指标仍未下达"}).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.closed and problem.confirmation == Confirmation.raiser
    assert problem.satisfaction == Satisfaction.unsatisfied and problem.outcome == Outcome.solved

    # Reopened from the tracking page: the same departments again, lead and co, in a new cycle.
    assert firm.post_form(f"/f/problems/{problem.tracking_number}/reopen",
                          {"reason": "用地指标至今没有下达"}).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.assigned and problem.cycle == 2
    restored = {(a.department_id, a.lead) for a in problem.current_assignments}
    assert restored == {(forum.dept_a.id, True), (forum.dept_b.id, False)}
    assert all(a.status == AssignmentStatus.pending for a in problem.current_assignments)
    new_lead = assignment_of(problem, forum.dept_a)
    assert f"/admin/inbox/{new_lead.id}" in forum.liaison_a.get("/admin/inbox").get_data(as_text=True)
    # The history is kept, for the organisers.
    history = forum.organiser.get(f"/admin/forum/problems/{problem.tracking_number}").get_data(as_text=True)
    assert "用地指标至今没有下达" in history and "正在调整用地指标" in history


def test_the_chair_alternates_by_default_and_can_be_changed(app, forum):
    first = plan_meeting(forum.organiser, held_on=local_today() + timedelta(days=10))
    second = plan_meeting(forum.organiser, held_on=local_today() + timedelta(days=70))
    third = plan_meeting(forum.organiser, held_on=local_today() + timedelta(days=130), chair="mayor")
    assert (first.chair, second.chair, third.chair) == (Chair.secretary, Chair.mayor, Chair.mayor)


# --------------------------------------------------------------------------- closing needs a confirmation

def answered(app, forum, shared=False):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    invite_and_send(forum.organiser, meeting)
    firm = enterprise(app, "城关制造1号有限公司")
    assert raise_problem(firm, shared=shared).status_code == 302
    problem = latest_problem()
    assert assign(forum.organiser, problem, forum.dept_a).status_code == 302
    db.session.expire_all()
    lead = assignment_of(problem, forum.dept_a)
    assert forum.liaison_a.post_form(f"/admin/inbox/{lead.id}/reply",
                                     {"reply": "已解释：政策不允许。", "outcome": "explained"}).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming
    return firm, problem


def test_an_item_cannot_be_closed_without_a_confirmation_or_a_signed_off_reason(app, forum):
    _firm, problem = answered(app, forum)
    url = f"/admin/forum/problems/{problem.tracking_number}"
    closing = {"outcome": "explained", "satisfaction": "unreachable", "public_reply": "政策不允许，已当面解释。"}
    page = forum.organiser.post_form(f"{url}/close", closing, follow_redirects=True).get_data(as_text=True)
    assert "签字销号需要记录 3 次联系反映人的尝试，目前已记录 0 次" in page
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming  # no attempts recorded: no sign-off
    for n in range(3):
        assert forum.organiser.post_form(f"{url}/attempt", {"note": f"第{n + 1}次电话无人接听"}).status_code == 302
    forum.organiser.post_form(f"{url}/close", closing)  # still no reason
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming
    assert forum.organiser.post_form(f"{url}/close", {**closing, "sign_off_reason": "三次电话均无人接听，经分管领导同意销号"}
                                     ).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.closed and problem.confirmation == Confirmation.sign_off
    assert not problem.solved  # explained does not count as solved
    assert "三次电话均无人接听" in forum.organiser.get(url).get_data(as_text=True)


def test_the_enterprises_rating_closes_it_and_a_satisfied_one_cannot_reopen(app, forum):
    firm, problem = answered(app, forum)
    rating = firm.post_form(f"/f/problems/{problem.tracking_number}/rate", {"satisfaction": "basically"})
    assert rating.status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.closed and problem.satisfaction == Satisfaction.basically
    assert problem.confirmation == Confirmation.raiser
    assert "reopen" not in firm.get(f"/f/problems/{problem.tracking_number}").get_data(as_text=True)
    firm.post_form(f"/f/problems/{problem.tracking_number}/reopen", {"reason": "还是想再看看"})
    db.session.expire_all()
    assert problem.status == CaseStatus.closed and problem.reopen_count == 0


def test_answered_on_the_spot_goes_to_the_enterprise_to_confirm(app, forum):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    invite_and_send(forum.organiser, meeting)
    firm = enterprise(app, "城关制造1号有限公司")
    assert raise_problem(firm, category="labour", description="技术工人招不到，希望人社部门帮助对接职业院校。").status_code == 302
    problem = latest_problem()
    url = f"/admin/forum/problems/{problem.tracking_number}"
    answer = {"department_id": str(forum.dept_c.id), "answer": "人社局当场答复：下周组织校企对接会。"}
    forum.organiser.post_form(f"{url}/on-spot", answer)  # the meeting is not held yet
    db.session.expire_all()
    assert problem.status == CaseStatus.submitted
    assert forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/held", {"confirm": "y"}).status_code == 302
    assert forum.organiser.post_form(f"{url}/on-spot", answer).status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming
    assert problem.lead_assignment.outcome == Outcome.answered_on_spot
    assert "下周组织校企对接会" in firm.get(f"/f/problems/{problem.tracking_number}").get_data(as_text=True)
    rating = firm.post_form(f"/f/problems/{problem.tracking_number}/rate", {"satisfaction": "satisfied"})
    assert rating.status_code == 302
    db.session.expire_all()
    assert problem.status == CaseStatus.closed and problem.outcome == Outcome.answered_on_spot


# --------------------------------------------------------------------------- confidentiality

def test_a_confidential_raiser_is_invisible_to_the_departments(app, forum):
    _firm, problem = answered(app, forum)
    lead = assignment_of(problem, forum.dept_a)
    for path in ("/admin/inbox", f"/admin/inbox/{lead.id}"):
        page = forum.liaison_a.get(path).get_data(as_text=True)
        assert "城关制造1号有限公司" not in page and "张经理" not in page and "0001" not in page.replace(
            problem.tracking_number, "")
    assert "园区二期用地指标" in forum.liaison_a.get(f"/admin/inbox/{lead.id}").get_data(as_text=True)
    # Nor may a department open the organisers' pages.
    assert forum.liaison_a.get(f"/admin/forum/problems/{problem.tracking_number}").status_code == 403
    assert forum.liaison_b.get(f"/admin/inbox/{lead.id}").status_code == 403


def test_an_enterprise_that_agreed_is_shown_to_the_departments(app, forum):
    _firm, problem = answered(app, forum, shared=True)
    lead = assignment_of(problem, forum.dept_a)
    page = forum.liaison_a.get(f"/admin/inbox/{lead.id}").get_data(as_text=True)
    assert "城关制造1号有限公司" in page and "139****0001" in page


def test_a_repeat_is_shown_to_the_organisers_with_the_times_raised(app, forum):
    _firm, first = answered(app, forum)  # confirming: still open
    firm = enterprise(app, "城关制造1号有限公司")
    assert raise_problem(firm, description="用地指标问题再次反映：二期仍无法开工。").status_code == 302
    second = latest_problem()
    page = forum.organiser.get(f"/admin/forum/problems/{second.tracking_number}").get_data(as_text=True)
    assert "重复反映" in page and first.tracking_number in page and "2" in page
    other = raise_problem(firm, category="financing", description="流动资金贷款审批周期太长，希望协调银行。")
    assert other.status_code == 302
    third = latest_problem()
    assert "重复反映" not in forum.organiser.get(f"/admin/forum/problems/{third.tracking_number}").get_data(as_text=True)


# --------------------------------------------------------------------------- the link

def test_the_link_works_only_for_its_own_invitation(app, forum):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    page = forum.organiser.get(f"/admin/forum/meetings/{meeting.id}?q=小微").get_data(as_text=True)
    assert "高新小微1号商行" in page
    for name in ("城关制造1号有限公司", "高新小微1号商行"):
        forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/choose", {"respondents": str(member(name).id)})
    assert forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/send", {"confirm": "y"}).status_code == 302
    first, second = enterprise(app, "城关制造1号有限公司"), enterprise(app, "高新小微1号商行")
    assert raise_problem(first).status_code == 302
    problem = latest_problem()
    assert first.get(f"/f/problems/{problem.tracking_number}").status_code == 200
    assert second.get(f"/f/problems/{problem.tracking_number}").status_code == 404
    second.post_form(f"/f/problems/{problem.tracking_number}/rate", {"satisfaction": "satisfied"})
    assert "高新小微1号商行" in second.get("/f/home").get_data(as_text=True)
    assert problem.tracking_number not in second.get("/f/home").get_data(as_text=True)
    stranger = app.test_client()
    assert stranger.get("/f/home").status_code == 404
    assert stranger.get(f"/f/problems/{problem.tracking_number}").status_code == 404
    assert stranger.get("/f/" + "x" * 32).status_code == 404
    tampered = link_of("城关制造1号有限公司")[:-1] + "A"
    assert stranger.get(tampered).status_code == 404


# --------------------------------------------------------------------------- the draw

def test_the_draw_is_reproducible_from_its_seed_and_the_auditors_verifier_agrees(app, forum, tmp_path, make_user):
    meeting = plan_meeting(forum.organiser, draw_size=5)
    invite_and_send(forum.organiser, meeting, seed="双色球2026141")
    drawn = sorted(i.respondent.key for i in meeting.invitations if i.source == InvitationSource.drawn)
    assert len(drawn) == 5
    assert meeting.draw_seed == "双色球2026141" and len(meeting.draw_commitment) == 64
    assert draws.verify(meeting)
    # Strata: category and, where known, district.
    strata = {stratum for _key, stratum in draws.frame_members(meeting)}
    assert {"large_enterprise|城关区", "sme|高新区", "sme|-"} <= strata
    response = forum.organiser.get(f"/admin/forum/meetings/{meeting.id}/draw/evidence.zip")
    assert response.status_code == 200
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    said = []
    assert verify_draw.verify(tmp_path, say=said.append) == 0, said
    selected = (tmp_path / "selected.csv").read_text().splitlines()[1:]
    assert sorted(line.split(",")[0] for line in selected) == drawn
    # An auditor finds the evidence in the list of meetings.
    auditor = as_user(app, make_user("auditor"))
    listing = auditor.get("/admin/forum/").get_data(as_text=True)
    assert f"/admin/forum/meetings/{meeting.id}/draw/evidence.zip" in listing
    theirs = zipfile.ZipFile(io.BytesIO(auditor.get(f"/admin/forum/meetings/{meeting.id}/draw/evidence.zip").data))
    assert theirs.read("selected.csv").decode() == (tmp_path / "selected.csv").read_text()
    assert auditor.get(f"/admin/forum/meetings/{meeting.id}").status_code == 403
    # Another seed on the same frame gives another sample; a changed frame no longer matches the commitment.
    (tmp_path / "seed.txt").write_text("another seed\n")
    assert verify_draw.verify(tmp_path, say=said.append) == 1


def test_the_guests_of_the_last_meetings_are_not_drawn_again(app, forum):
    earlier = plan_meeting(forum.organiser, held_on=local_today() + timedelta(days=5), draw_size=4)
    invite_and_send(forum.organiser, earlier)
    guests = {i.respondent.key for i in earlier.invitations}
    later = plan_meeting(forum.organiser, held_on=local_today() + timedelta(days=60), draw_size=3, exclude_last=1)
    assert forum.organiser.post_form(f"/admin/forum/meetings/{later.id}/freeze", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    frame = {key for key, _ in draws.frame_members(later)}
    assert frame and not frame & guests
    assert len(frame) == len(ENTERPRISES) - len(guests)


# --------------------------------------------------------------------------- bad input changes nothing

def test_bad_input_changes_nothing(app, forum):
    client = forum.organiser
    assert client.post_form("/admin/forum/meetings/new", {"held_on": "2026-13-40", "venue": "", "theme": "x",
                                                          "chair": "king", "draw_size": "-1"}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ForumMeeting)) == 0
    meeting = plan_meeting(client, draw_size=50)  # more than the pool holds
    page = client.post_form(f"/admin/forum/meetings/{meeting.id}/freeze", {"confirm": "y"}, follow_redirects=True)
    assert "可被抽取的企业只有 12 家，少于要抽取的 50 家" in page.get_data(as_text=True)
    client.post_form(f"/admin/forum/meetings/{meeting.id}/send", {})  # unconfirmed
    client.post_form(f"/admin/forum/meetings/{meeting.id}/choose", {"respondents": str(member("城关制造1号有限公司").id + 999)})
    citizen = db.session.scalar(select(Respondent).where(Respondent.name == "王群众"))
    client.post_form(f"/admin/forum/meetings/{meeting.id}/choose", {"respondents": str(citizen.id)})
    db.session.expire_all()
    assert meeting.draw_commitment == "" and meeting.invitations == [] and meeting.status == MeetingStatus.preparing
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0

    _firm, problem = answered(app, forum)
    firm = enterprise(app, "城关制造1号有限公司")
    before = db.session.scalar(select(func.count()).select_from(ForumProblem))
    page = raise_problem(firm, description="太短", category="nonsense")
    assert page.status_code == 200 and "至少" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ForumProblem)) == before
    firm.post_form(f"/f/problems/{problem.tracking_number}/rate", {"satisfaction": "unreachable"})
    firm.post_form(f"/f/problems/{problem.tracking_number}/rate", {"satisfaction": "satisfied", "csrf_token": "bad"})
    url = f"/admin/forum/problems/{problem.tracking_number}"
    client.post_form(f"{url}/close", {"outcome": "solved", "satisfaction": "satisfied", "public_reply": ""})
    db.session.expire_all()
    assert problem.status == CaseStatus.confirming and problem.satisfaction is None


def test_an_assignment_needs_a_lead_department_and_a_sane_deadline(app, forum):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    invite_and_send(forum.organiser, meeting)
    assert raise_problem(enterprise(app, "城关制造1号有限公司")).status_code == 302
    problem = latest_problem()
    url = f"/admin/forum/problems/{problem.tracking_number}/assign"
    forum.organiser.post_form(url, {"lead_id": "999999", "workdays": "10"})
    forum.organiser.post_form(url, {"lead_id": str(forum.dept_a.id), "workdays": "0"})
    db.session.expire_all()
    assert problem.status == CaseStatus.submitted and problem.assignments == []


# --------------------------------------------------------------------------- the enterprise's pages are light

def test_the_enterprises_pages_are_light_and_need_no_script(app, forum):
    _firm, problem = answered(app, forum)
    firm = enterprise(app, "城关制造1号有限公司")
    for path in ("/f/home", "/f/problems/new", f"/f/problems/{problem.tracking_number}"):
        html = firm.get(path).get_data(as_text=True)
        assert "<script" not in html, path
        assets = re.findall(r'(?:href|src)="(/(?:static|assets)/[^"]+)"', html)
        size = len(html.encode()) + sum(len(firm.get(a).data) for a in assets)
        assert size <= 30 * 1024, (path, size)
        assert 'lang="zh' in html and "Problem" not in html


# --------------------------------------------------------------------------- supervision

def test_the_organisers_remind_reassign_and_withdraw_and_see_what_is_overdue(app, forum):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    invite_and_send(forum.organiser, meeting)
    assert raise_problem(enterprise(app, "城关制造1号有限公司")).status_code == 302
    problem = latest_problem()
    assert assign(forum.organiser, problem, forum.dept_a, [forum.dept_b], workdays=5).status_code == 302
    db.session.expire_all()
    lead, co = assignment_of(problem, forum.dept_a), assignment_of(problem, forum.dept_b)
    lead.due_on = local_today() - timedelta(days=1)  # the deadline passed
    db.session.commit()
    listing = forum.organiser.get("/admin/forum/problems").get_data(as_text=True)
    overdue, due_soon = listing.split("<h2>已逾期</h2>")[1].split("<h2>", 1)
    assert problem.tracking_number in overdue and problem.tracking_number not in due_soon
    url = f"/admin/forum/problems/{problem.tracking_number}/assignments"
    assert forum.organiser.post_form(f"{url}/{lead.id}/remind", {"note": "请加快办理"}).status_code == 302
    assert forum.organiser.post_form(f"{url}/{lead.id}/reassign",
                                     {"department_id": str(forum.dept_c.id), "reason": "职责属人社局"}).status_code == 302
    assert forum.organiser.post_form(f"{url}/{co.id}/withdraw", {"reason": "无需配合"}).status_code == 302
    db.session.expire_all()
    assert lead.reminder_count == 1 and lead.status == AssignmentStatus.withdrawn
    assert co.status == AssignmentStatus.withdrawn
    (now,) = problem.current_assignments
    assert now.department_id == forum.dept_c.id and now.lead and now.due_on >= local_today()
    # The withdrawn department no longer has it in its inbox; the new one does.
    assert f"/admin/inbox/{lead.id}" not in forum.liaison_a.get("/admin/inbox").get_data(as_text=True)
    assert forum.liaison_a.get(f"/admin/inbox/{lead.id}").status_code == 404


def test_sending_respects_the_daily_cap_per_number_and_can_be_done_again(app, forum):
    meeting = plan_meeting(forum.organiser, draw_size=0)
    forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/choose",
                              {"respondents": str(member("城关制造1号有限公司").id)})
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 0
    page = forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/send", {"confirm": "y"},
                                     follow_redirects=True).get_data(as_text=True)
    assert "超过该号码当日上限 1 条" in page
    db.session.expire_all()
    (invitation,) = meeting.invitations
    assert invitation.sent_at is None and invitation.token_hash is None and meeting.status == MeetingStatus.preparing
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 3
    assert forum.organiser.post_form(f"/admin/forum/meetings/{meeting.id}/send", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert invitation.sent_at is not None and meeting.status == MeetingStatus.invited
    assert enterprise(app, "城关制造1号有限公司").get("/f/home").status_code == 200
