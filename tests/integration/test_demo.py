"""`flask demo`: every part of the demo city is there, and what it prints leads somewhere that works."""
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import func, select

from app.assessment import scoring
from app.callbacks.models import CallbackAnswer, CallbackCall, CallbackCheck, CheckStatus, Purpose
from app.casework.models import AssignmentStatus, Case, CaseAssignment, CaseStatus, Confirmation, Outcome
from app.complaints.models import Complaint
from app.demo import ACCOUNTS
from app.extensions import db
from app.forum import ledger
from app.forum.models import ForumMeeting, ForumProblem, InvitationSource, MeetingStatus
from app.platform.access import role_label
from app.platform.calendar import local_today
from app.platform.roles import Role
from app.realtime.models import ServicePoint
from app.rounds import sending, service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission
from app.sms.models import SmsOutbox


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_demo_has_every_part_and_prints_an_account_for_every_role(runner, client):
    """One test, because seeding the demo city takes a while."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for role in Role:
        accounts = [a for a in ACCOUNTS if a.role == role]
        assert accounts, f"no demo account for {role.value}"
        for account in accounts:
            (line,) = [x for x in lines if re.search(rf"\s{re.escape(account.username)}\s", x)]
            assert account.password in line and role_label(role) in line and account.tries in line
    liaison_departments = {a.department_code for a in ACCOUNTS if a.role == Role.liaison}
    assert len(liaison_departments) >= 2
    # every printed account logs in
    for account in ACCOUNTS:
        response = client.post_form("/login", {"username": account.username, "password": account.password})
        assert response.status_code == 302, account.username
        client.post_form("/logout")

    # the printed respondent link opens the questionnaire
    link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]{22}", result.output).group(0)
    assert client.get(path_of(link)).headers["Location"] == "/s/survey"
    assert client.get("/s/survey").status_code == 200
    # the printed rating page (what a poster's QR code opens) shows the rating form
    rating = re.search(r"https?://\S+(/r/[A-Za-z0-9_-]+)", result.output).group(1)
    assert client.get(rating).status_code == 200
    # the printed tracking number and query code open the complaint's progress with its public reply
    number, code = re.search(r"track (TS\d{8}-\d{4}) with query code (\S+)", result.output).groups()
    page = client.post_form("/complaints/track", {"tracking_number": number, "code": code}).get_data(as_text=True)
    closed = db.session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    assert closed.status == CaseStatus.closed and closed.public_reply in page

    # complaints in every state of the lifecycle, assignments in every state, one overdue, one reopened
    # (a complaint is closed by the handler after a call: only forum problems wait for the raiser's own link)
    assert set(db.session.scalars(select(Complaint.status))) == set(CaseStatus) - {CaseStatus.confirming}
    assert set(db.session.scalars(select(CaseAssignment.status))) == set(AssignmentStatus)
    overdue = db.session.scalars(select(CaseAssignment).where(
        CaseAssignment.status == AssignmentStatus.pending)).all()
    assert any(a.overdue(local_today()) for a in overdue)
    assert db.session.scalar(select(func.count()).select_from(Complaint).where(Complaint.reopen_count > 0))
    # an overdue assignment belongs to the second liaison's department: they can reply to it
    zjj = next(a for a in ACCOUNTS if a.username == "liaison-zjj")
    assert any(a.department.code == zjj.department_code for a in overdue if a.overdue(local_today()))

    # past rounds, scored and published, with a trend over at least three months
    published = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.published)).all()
    assert len(published) >= 3
    trend = scoring.trend()
    assert len(trend["months"]) >= 3 and all(None not in v for v in trend["series"].values())

    # the open round is under way: some answers, and reminders can go out now
    (open_round,) = db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.open)).all()
    answered = db.session.scalar(select(func.count()).select_from(InvitationSubmission).join(
        Invitation, Invitation.id == InvitationSubmission.invitation_id).where(Invitation.campaign_id == open_round.id))
    assert 0 < answered < open_round.sample_size
    waiting = sending.reminder_candidates(open_round)
    assert 0 < len(waiting) < open_round.sample_size

    # the open round continues the story of the past ones (one model of the city): scored as it stands, the
    # departments keep their order and none jumps far from its last published score
    last = scoring.current_assessment(max(published, key=lambda c: c.month))
    before = {r.department_id: r.score for r in scoring.ranking_rows(last) if r.score is not None}
    rounds.close(open_round, None)
    now = {r.department_id: r.score for r in scoring.ranking_rows(scoring.score(open_round, scoring.default_scheme(),
                                                                                  None)) if r.score is not None}
    db.session.commit()
    common = sorted(before.keys() & now.keys())
    assert len(common) >= 0.8 * len(before)
    x, y = np.array([before[d] for d in common]), np.array([now[d] for d in common])
    assert np.corrcoef(x, y)[0, 1] > 0.8, list(zip(x, y))
    assert np.max(np.abs(y - x)) < 12 and np.median(np.abs(y - x)) < 4, list(zip(x, y))

    # the forum: three past meetings and an upcoming one, chairs alternating, guests chosen and drawn
    meetings = db.session.scalars(select(ForumMeeting).order_by(ForumMeeting.held_on)).all()
    assert [m.status for m in meetings] == [MeetingStatus.reported, MeetingStatus.reported, MeetingStatus.held,
                                            MeetingStatus.invited]
    assert [m.held_on < local_today() for m in meetings] == [True, True, True, False]
    assert all(a.chair != b.chair for a, b in zip(meetings, meetings[1:]))
    for meeting in meetings:
        assert {i.source for i in meeting.invitations} == set(InvitationSource)
        assert meeting.draw_seed and meeting.draw_commitment
    # its problems end in every outcome, closed by each kind of confirmation; overdue, reopened, awaiting one
    problems = db.session.scalars(select(ForumProblem)).all()
    assert {p.outcome for p in problems} - {None} == set(Outcome)
    assert {p.confirmation for p in problems} - {None} == set(Confirmation)
    assert {CaseStatus.submitted, CaseStatus.assigned, CaseStatus.closed} <= {p.status for p in problems}
    assert any(p.reopen_count and p.status == CaseStatus.assigned for p in problems)
    duplicate = next(p for p in problems if p.outcome == Outcome.duplicate)
    assert duplicate.duplicate_of.outcome == Outcome.solved
    assert next(p for p in problems if p.outcome == Outcome.redirected).redirected_to is not None
    forum_overdue = [a for a in overdue if a.case.kind.value == "forum" and a.overdue(local_today())]
    assert forum_overdue and any(a.department.code == zjj.department_code for a in forum_overdue)
    # days taken are the story's, not the seeding's: the first meeting's problems took weeks
    first = ledger.meeting_report(meetings[0])
    assert first.problems >= 5 and max(r.days for r in first.rows if r.ended) >= 20
    report = ledger.meeting_report(meetings[2])
    assert report.previous_total.solved and report.previous_total.overdue and report.previous_total.explained
    assert len(ledger.open_items(meetings[3])) >= 4
    # the printed enterprise link opens the invitation's page; the public ledger needs no login
    forum_link = re.search(r"https?://\S+(/f/[A-Za-z0-9_-]+)", result.output).group(1)
    assert client.get(forum_link).headers["Location"] == "/f/home"
    assert meetings[3].theme in client.get("/f/home").get_data(as_text=True)
    ledger_page = client.get("/forum/ledger").get_data(as_text=True)
    assert all(p.tracking_number in ledger_page for p in problems if p.meeting_id == meetings[0].id)

    # a completed call-back check: drawn from closed cases of both kinds, called by SMS, answered, closed
    (check,) = db.session.scalars(select(CallbackCheck).where(CallbackCheck.purpose == Purpose.resolution)).all()
    assert check.status == CheckStatus.closed and check.selected_count > 0
    called = db.session.scalars(select(CallbackCall).where(CallbackCall.check_id == check.id)).all()
    assert {db.session.get(Case, c.case_id).kind.value for c in called} == {"complaint", "forum"}
    assert all(c.sent_at for c in called)
    answers = db.session.scalar(select(func.count()).select_from(CallbackAnswer))
    assert 0 < answers <= len(called)
    # one SMS per call, of this check and of the delivery check (兑现回访) the policy window's demo adds
    assert db.session.scalar(select(func.count()).select_from(CallbackCall).where(CallbackCall.sent_at.is_not(None))) \
        == db.session.scalar(select(func.count()).select_from(SmsOutbox).where(SmsOutbox.kind == "callback"))

    # every service point's poster opens, with its QR code
    operator = next(a for a in ACCOUNTS if a.role == Role.operator)
    client.post_form("/login", {"username": operator.username, "password": operator.password})
    for point in db.session.scalars(select(ServicePoint)):
        poster = client.get(f"/admin/realtime/points/{point.id}/poster")
        assert poster.status_code == 200 and f"/r/{point.slug}" in poster.get_data(as_text=True)
        qr = client.get(f"/admin/realtime/points/{point.id}/qr.png")
        assert qr.status_code == 200 and qr.data.startswith(b"\x89PNG")


def test_the_demo_links_follow_the_address_it_is_served_at(runner, client, app):
    """`make run PORT=5301` seeds with that address: the outbox's links and the posters' QR codes lead there."""
    result = runner.invoke(args=["demo", "--base-url", "http://127.0.0.1:5301"])
    assert result.exit_code == 0, result.output
    assert re.search(r"http://127\.0\.0\.1:5301/s/[A-Za-z0-9_-]{22}", result.output)
    assert "127.0.0.1:5000" not in result.output
    texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "invitation")).all()
    assert texts and all("http://127.0.0.1:5301/s/" in text for text in texts)
    forum_texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "forum_invite")).all()
    assert forum_texts and all("http://127.0.0.1:5301/f/" in text for text in forum_texts)
    assert re.search(r"http://127\.0\.0\.1:5301/f/[A-Za-z0-9_-]+", result.output)

    # seeded again for another address, the stored links move with it
    result = runner.invoke(args=["demo", "--base-url", "http://192.168.1.20:8080"])
    assert result.exit_code == 0, result.output
    texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "invitation")).all()
    assert all("http://192.168.1.20:8080/s/" in text and ":5301" not in text for text in texts)
    forum_texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "forum_invite")).all()
    assert all("http://192.168.1.20:8080/f/" in text and ":5301" not in text for text in forum_texts)
    forum_link = re.search(r"http://192\.168\.1\.20:8080(/f/[A-Za-z0-9_-]+)", result.output).group(1)
    assert client.get(forum_link).headers["Location"] == "/f/home"
    link = re.search(r"http://192\.168\.1\.20:8080(/s/[A-Za-z0-9_-]{22})", result.output).group(1)
    assert client.get(link).headers["Location"] == "/s/survey"

    # a poster prints the public address, whatever address the operator's browser used
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.20:8080"
    point = db.session.scalar(select(ServicePoint).order_by(ServicePoint.id).limit(1))
    operator = next(a for a in ACCOUNTS if a.role == Role.operator)
    client.post_form("/login", {"username": operator.username, "password": operator.password})
    poster = client.get(f"/admin/realtime/points/{point.id}/poster").get_data(as_text=True)
    assert f"http://192.168.1.20:8080/r/{point.slug}" in poster


def test_make_run_takes_the_port_host_and_address():
    """The README's promise: `make run PORT=5301` serves on 5301 and seeds links to it (a dry run of make)."""
    root = Path(__file__).resolve().parents[2]
    plan = subprocess.run(["make", "-n", "run", "PORT=5301"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert "PUBLIC_BASE_URL=http://127.0.0.1:5301 .venv/bin/flask demo" in plan
    assert "--host 127.0.0.1 --port 5301" in plan
    plan = subprocess.run(["make", "-n", "run", "HOST=0.0.0.0", "PORT=8000", "BASE_URL=https://pj.example.gov.cn"],
                          cwd=root, capture_output=True, text=True, check=True).stdout
    assert "PUBLIC_BASE_URL=https://pj.example.gov.cn .venv/bin/flask run --host 0.0.0.0 --port 8000" in plan
