"""The round after the draw: its state machine, sending, reminders, opt-outs, extend and close."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.pool.models import MemberStatus, Respondent
from app.questionnaires.models import QuestionnaireVersion
from app.rounds import sending, service as rounds
from app.rounds.models import Campaign, CampaignStatus, Invitation, LinkMode
from app.sms import SmsResult
from app.sms.models import SmsOutbox
from tests.integration.survey_helpers import open_round
from tests.integration.test_survey import answer_everything, submit

TOKEN_IN_TEXT = re.compile(r"/s/([A-Za-z0-9_-]{22})")


def drawn_round(make_department, **kwargs) -> Campaign:
    """A configured round that has been drawn but not sent."""
    campaign = open_round(make_department, **kwargs)
    campaign.status = CampaignStatus.drawn  # open_round moved it on; step back to before sending
    db.session.commit()
    return campaign


@pytest.fixture
def operator_client(client, make_user, login):
    login(make_user("operator"))
    return client


def test_refused_transitions_say_why(app, make_department):
    campaign = drawn_round(make_department)
    for target in (CampaignStatus.open, CampaignStatus.closed, CampaignStatus.published):
        with pytest.raises(rounds.RoundError):
            rounds.move(campaign, target)
    rounds.move(campaign, CampaignStatus.sending)
    with pytest.raises(rounds.RoundError, match="开始发送后"):
        rounds.configure(campaign, None, version=campaign.questionnaire_version, departments=campaign.departments,
                         opens_on=None, closes_on=date.today(), link_mode=LinkMode.link, sms_template_code="",
                         sms_template_text="${token}", reminder_template_text="", max_reminders=1,
                         reminder_spacing_days=1)


def test_a_link_template_must_carry_the_token_after_a_fixed_address(app, make_department):
    campaign = Campaign(month="2026-12", title="t")
    db.session.add(campaign)
    version = db.session.scalars(select(QuestionnaireVersion)).first()
    with pytest.raises(rounds.RoundError, match=r"\$\{token\}"):
        rounds.configure(campaign, None, version=version, departments=[make_department()], opens_on=None,
                         closes_on=date.today(), link_mode=LinkMode.link, sms_template_code="",
                         sms_template_text="请点击 ${link}", reminder_template_text="", max_reminders=1,
                         reminder_spacing_days=1)


def test_sending_puts_working_links_in_the_console_outbox_and_opens_the_round(app, operator_client, make_department):
    campaign = drawn_round(make_department)
    response = operator_client.post_form(f"/admin/rounds/{campaign.id}/send", {"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status == CampaignStatus.open
    invited = db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.campaign_id == campaign.id))
    assert db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.sms_status == "accepted")) == invited
    messages = db.session.scalars(select(SmsOutbox).where(SmsOutbox.campaign_id == campaign.id)).all()
    assert len(messages) == invited
    assert all(re.fullmatch(r"1\d\d\*\*\*\*\d{4}", m.phone_masked) for m in messages)
    assert all("回复TD退订" in m.text and "您好" in m.text for m in messages)
    page = operator_client.get(f"/admin/rounds/{campaign.id}/outbox").get_data(as_text=True)
    assert not re.search(r"1[3-9]\d{9}", page)
    token = TOKEN_IN_TEXT.search(messages[0].text).group(1)
    respondent = app.test_client()
    assert respondent.get(f"/s/{token}").headers["Location"] == "/s/survey"
    overview = operator_client.get(f"/admin/rounds/{campaign.id}").get_data(as_text=True)
    # Strata read as the pool's category names, not as keys.
    assert '<th scope="row">中小微市场主体' in overview and '<th scope="row">sme' not in overview
    assert "100.0%" not in overview


def test_reminders_go_only_to_non_respondents_still_in_the_pool(app, make_department):
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    sending.send_queued(campaign.id)
    messages = db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id)).all()
    # one respondent answers …
    answering = app.test_client()
    answering.get(f"/s/{TOKEN_IN_TEXT.search(messages[0].text).group(1)}")
    answer_everything(answering)
    assert submit(answering).status_code == 302
    # … one replies TD …
    second = db.session.get(Invitation, messages[1].invitation_id)
    from app.platform.phones import current_vault

    assert sending.handle_reply(current_vault().open(second.respondent.phone), " td ")
    db.session.commit()
    assert db.session.get(Respondent, second.respondent_id).status == MemberStatus.opted_out
    # … the others are reminded, but only once the spacing has passed
    campaign = db.session.get(Campaign, campaign.id)
    assert sending.reminder_candidates(campaign) == []
    for invitation in db.session.scalars(select(Invitation)):
        invitation.sent_at -= timedelta(days=campaign.reminder_spacing_days)
    db.session.commit()
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 5
    invited = db.session.scalar(select(func.count()).select_from(Invitation))
    counts = sending.send_reminders(campaign, None)
    db.session.commit()
    assert counts["accepted"] == invited - 2
    reminded = set(db.session.scalars(select(SmsOutbox.invitation_id).where(SmsOutbox.kind == "reminder")))
    assert messages[0].invitation_id not in reminded and second.id not in reminded
    assert sending.send_reminders(campaign, None)["accepted"] == 0  # not again before the spacing
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "sms.remind")).first() is not None


def test_the_daily_cap_per_number_holds(app, make_department):
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 1
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    sending.send_queued(campaign.id)
    campaign = db.session.get(Campaign, campaign.id)
    for invitation in db.session.scalars(select(Invitation)):
        invitation.sent_at -= timedelta(days=5)
    db.session.commit()
    assert sending.send_reminders(campaign, None)["accepted"] == 0
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox).where(SmsOutbox.kind == "reminder")) == 0


class FlakyGateway:
    """Stands in for the carriers' network: the first call is throttled, one number is refused for good."""

    name, max_batch = "flaky", 100

    def __init__(self):
        self.calls = 0

    def send(self, messages):
        self.calls += 1
        results = []
        for m in messages:
            if m.phone_e164.endswith("0003"):
                results.append(SmsResult.failure(m.reference, "isv.MOBILE_NUMBER_ILLEGAL", "bad", transient=False))
            elif self.calls == 1:
                results.append(SmsResult.failure(m.reference, "Throttling.User", "slow down", transient=True))
            else:
                results.append(SmsResult.ok(m.reference, f"biz-{m.reference}"))
        return results


def test_transient_failures_are_retried_and_permanent_ones_recorded(app, make_department, monkeypatch):
    gateway = FlakyGateway()
    monkeypatch.setattr(sending, "_backend", lambda campaign, kind: gateway)
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    totals = sending.send_queued(campaign.id)
    statuses = dict(db.session.execute(select(Invitation.sms_status, func.count()).group_by(Invitation.sms_status)).all())
    invited = sum(statuses.values())
    assert statuses == {"accepted": invited - 1, "failed": 1}
    failed = db.session.scalars(select(Invitation).where(Invitation.sms_status == "failed")).one()
    assert failed.sms_error.startswith("isv.MOBILE_NUMBER_ILLEGAL") and failed.sms_attempts == 1
    assert gateway.calls == 2 and totals["accepted"] == invited - 1
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.open


def test_no_invitation_is_sent_twice(app, make_department, monkeypatch):
    gateway = FlakyGateway()
    gateway.calls = 1  # no throttling
    monkeypatch.setattr(sending, "_backend", lambda campaign, kind: gateway)
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    sending.send_queued(campaign.id)
    sending.send_queued(campaign.id)  # a second job for the same round (a double click, a restarted worker)
    assert gateway.calls == 2  # the first job's one batch, and nothing in the second


def test_extend_and_close(app, operator_client, make_department):
    campaign = open_round(make_department)
    later = (campaign.closes_on + timedelta(days=3)).isoformat()
    operator_client.post_form(f"/admin/rounds/{campaign.id}/extend", {"closes_on": campaign.closes_on.isoformat()})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).closes_on.isoformat() != later
    operator_client.post_form(f"/admin/rounds/{campaign.id}/extend", {"closes_on": later})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).closes_on.isoformat() == later
    operator_client.post_form(f"/admin/rounds/{campaign.id}/close", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.closed
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"campaign.extend", "campaign.closed"} <= actions


def test_setup_through_the_page(app, operator_client, make_department):
    departments = [make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局")]
    campaign = Campaign(month="2026-12", title="十二月")
    db.session.add(campaign)
    db.session.commit()
    version = db.session.scalars(select(QuestionnaireVersion)).first()
    data = {"questionnaire_version_id": str(version.id), "department_ids": [str(departments[0].id)],
            "closes_on": "2026-12-20", "link_mode": "code", "sms_template_code": "SMS_1",
            "sms_template_text": "【营商办】${name}您好，请登录 https://pj.example.gov.cn/s 输入${code}，${deadline}截止。回复TD退订",
            "max_reminders": "2", "reminder_spacing_days": "3"}
    operator_client.post_form(f"/admin/rounds/{campaign.id}/setup", data)
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.link_mode == LinkMode.code and [d.code for d in campaign.departments] == ["SCJG"]
    page = operator_client.get(f"/admin/rounds/{campaign.id}").get_data(as_text=True)
    assert "张伟您好" in page and "7KQ2MX9PRT" in page  # the preview of the exact message


@pytest.mark.skipif(not __import__("os").environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_sending_through_the_rq_queue(app, make_department):
    from redis import Redis
    from rq import Queue, SimpleWorker

    from app.platform.jobs import QUEUE, enqueue

    app.config["JOBS_INLINE"] = False
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    db.session.commit()
    connection = Redis.from_url(app.config["REDIS_URL"])
    queue = Queue(QUEUE, connection=connection)
    queue.empty()
    enqueue(sending.send_queued, campaign.id)
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0  # queued, not yet sent
    SimpleWorker([queue], connection=connection).work(burst=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.open
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) > 0


def test_a_td_reply_recorded_from_the_command_line_opts_out(app, runner):
    from tests.integration.test_pool_import import csv_bytes, run_import

    run_import(csv_bytes([["张伟", "sme", "", "", "13800000001"]]))
    result = runner.invoke(args=["sms", "reply", "138 0000 0001", "TD"])
    assert result.exit_code == 0 and "138****0001" in result.output and "13800000001" not in result.output
    assert db.session.scalar(select(Respondent.status)) == MemberStatus.opted_out
    assert "nothing to do" in runner.invoke(args=["sms", "reply", "13800000001", "谢谢"]).output


def test_a_round_held_back_by_the_daily_cap_can_resume_or_close(app, operator_client, make_department):
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 0
    campaign = drawn_round(make_department)
    operator_client.post_form(f"/admin/rounds/{campaign.id}/send", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.sending  # nothing could go out
    assert set(db.session.scalars(select(Invitation.sms_status))) == {"queued"}
    app.config["SMS_DAILY_CAP_PER_NUMBER"] = 3  # the next day
    operator_client.post_form(f"/admin/rounds/{campaign.id}/resume", {"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.open
    assert set(db.session.scalars(select(Invitation.sms_status))) == {"accepted"}


def test_a_round_stuck_while_sending_can_be_closed(app, make_department):
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    rounds.close(campaign, None)
    assert campaign.status == CampaignStatus.closed


def test_an_invitation_is_claimed_by_one_job_only(app, make_department):
    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    db.session.commit()
    ids = list(db.session.scalars(select(Invitation.id)))
    now = __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
    assert sorted(sending._claim(ids, "invitation", now)) == sorted(ids)
    assert sending._claim(ids, "invitation", now) == []


def jobs_started_together(app, campaign_id: int, jobs: int = 2, timeout: float = 120) -> list[dict]:
    """Run ``jobs`` sending jobs for a round at the same moment, each in a thread and a session of its own; the
    totals of those that finished."""
    import threading

    barrier = threading.Barrier(jobs)
    finished = []

    def job():
        with app.app_context():
            barrier.wait()
            finished.append(sending.send_queued(campaign_id))

    threads = [threading.Thread(target=job) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return finished


@pytest.mark.skipif(not __import__("tests.conftest", fromlist=["on_postgres"]).on_postgres(),
                    reason="concurrent jobs need PostgreSQL")
def test_two_jobs_at_once_send_each_invitation_once(app, make_department):
    campaign = drawn_round(make_department, members=60)
    sending.start(campaign, None)
    db.session.commit()
    app.config["SMS_JOB_BATCH"] = 7
    finished = jobs_started_together(app, campaign.id)
    assert len(finished) == 2  # both jobs ran to the end
    assert sum(totals["accepted"] for totals in finished) == 60  # and between them sent each message once
    db.session.expire_all()
    per_invitation = db.session.execute(select(SmsOutbox.invitation_id, func.count()).group_by(
        SmsOutbox.invitation_id)).all()
    assert len(per_invitation) == 60 and {n for _, n in per_invitation} == {1}


def test_closing_deletes_drafts_and_outbox_links(app, make_department):
    from app.rounds.models import SurveyDraft
    from app.survey import answering

    campaign = drawn_round(make_department)
    sending.start(campaign, None)
    sending.send_queued(campaign.id)
    invitation = db.session.scalars(select(Invitation)).first()
    answering.save_draft(invitation, {"departments": ["SCJG"]})
    db.session.commit()
    rounds.close(db.session.get(Campaign, campaign.id), None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsOutbox)) == 0
