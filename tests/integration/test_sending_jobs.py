"""One job at a time sends a round: the provider's rate is never doubled by a second job for the same round.

Several jobs can be queued for one round — `flask worker` queues interrupted rounds again when it starts, an
operator presses send, resume or remind while a job runs — and each one sends at the provider's full rate.
These tests run real jobs (threads, `flask worker` processes) against the fake gateways of
test_sms_backends.py, which drive the real SDKs: the gateway never sees two jobs' calls at once, everybody
gets exactly one message, and a lock left by a killed job does not keep a later job from sending the rest.
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.audit import service as audit
from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.jobs import QUEUE, SEND_ROUND, enqueue, exclusive, is_held, waiting_calls
from app.rounds import sending
from app.rounds.models import Campaign, CampaignStatus, Invitation, LinkMode
from app.sms.models import SmsOutbox
from tests.conftest import on_postgres
from tests.integration.test_integrity_postgres import (
    PROJECT,
    VENV_BIN,
    forget_jobs,
    kill_tree,
    phones_at,
    start_worker,
    stop_group,
    subprocess_env,
    wait_until_dead,
)
from tests.integration.test_rounds import drawn_round, jobs_started_together
from tests.integration.test_sms_backends import (  # noqa: F401 (the fake gateway fixture)
    ALIYUN_KEY_ID,
    ALIYUN_SECRET,
    SIGN,
    TENCENT_APP_ID,
    TENCENT_SECRET_ID,
    TENCENT_SECRET_KEY,
    aliyun_ok,
    gateway,
    tencent_answer,
)

needs_postgres = pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL): jobs in "
                                                              "parallel sessions and processes")
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL) for RQ")
PHONE = re.compile(r"1[3-9]\d{9}")
NOTHING_SENT = {"accepted": 0, "failed": 0, "retry": 0}
ALREADY_BEING_SENT = "already being sent by another job"


def statuses(campaign_id: int) -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(Invitation.sms_status).where(Invitation.campaign_id == campaign_id)))


def outbox_per_invitation(kind: str = "invitation") -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(SmsOutbox.invitation_id).where(SmsOutbox.kind == kind)))


def started_round(make_department, **kwargs) -> Campaign:
    """A round whose invitations are queued for sending (the operator pressed send)."""
    campaign = drawn_round(make_department, **kwargs)
    sending.start(campaign, None)
    db.session.commit()
    return campaign


class InFlight:
    """Wraps a fake gateway's answer to count the calls it is answering at the same moment."""

    def __init__(self, answer, hold: float):
        self.answer, self.hold = answer, hold
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, received):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            time.sleep(self.hold)  # a gateway's round trip: long enough for a second job's call to overlap
            return self.answer(received)
        finally:
            with self._lock:
                self.now -= 1


class HeldCall:
    """Wraps a fake gateway's answer to hold its call number ``number`` (from 1) until ``go`` is set."""

    def __init__(self, answer, number: int):
        self.answer, self.number = answer, number
        self.go = threading.Event()
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, received):
        with self._lock:
            self._count += 1
            held = self._count == self.number
        if held:
            self.go.wait(timeout=120)
        return self.answer(received)


@pytest.fixture
def rq_queue(app):
    """The RQ queue on the test's Redis, empty before and after, with the registries the jobs left cleared."""
    from redis import Redis
    from rq import Queue

    queue = Queue(QUEUE, connection=Redis.from_url(os.environ["REDIS_URL"]))
    queue.empty()
    app.config.update(JOBS_INLINE=False, REDIS_URL=os.environ["REDIS_URL"])
    yield queue
    forget_jobs(queue)



# --------------------------------------------------------------------------------------------------------------
# SQLite and PostgreSQL
# --------------------------------------------------------------------------------------------------------------

def test_a_job_for_a_round_being_sent_leaves_without_sending_and_says_so_without_personal_data(
        app, make_department, caplog):
    campaign = started_round(make_department)
    invited = sum(statuses(campaign.id).values())
    with caplog.at_level(logging.INFO, logger="app.rounds.sending"):
        with exclusive(SEND_ROUND, campaign.id) as running:  # a job is sending the round
            assert running is not None
            assert sending.send_queued(campaign.id) == NOTHING_SENT  # a second job for it…
            assert outbox_per_invitation() == Counter() and statuses(campaign.id) == {"queued": invited}
    assert f"round {campaign.id}: {ALREADY_BEING_SENT}" in caplog.text  # …leaves, and the log says why
    assert not PHONE.search(caplog.text) and "成员" not in caplog.text  # no number, no name

    assert sending.send_queued(campaign.id)["accepted"] == invited  # once the round is free, a job sends it
    assert set(outbox_per_invitation().values()) == {1} and len(outbox_per_invitation()) == invited
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.open


def test_reminders_are_refused_while_a_job_sends_the_round(app, client, make_user, login, make_department):
    campaign = started_round(make_department)
    sending.send_queued(campaign.id)  # open, everybody invited…
    for invitation in db.session.scalars(select(Invitation)):
        invitation.sent_at -= timedelta(days=5)  # …long enough ago to be reminded
    db.session.commit()
    login(make_user("operator"))

    with exclusive(SEND_ROUND, campaign.id):  # a resumed job is sending the round
        page = client.post_form(f"/admin/rounds/{campaign.id}/remind", {"confirm": "y"}, follow_redirects=True)
        assert page.status_code == 200 and "本轮短信正在发送中" in page.get_data(as_text=True)
        assert outbox_per_invitation("reminder") == Counter()
        assert "sms.remind" not in set(db.session.scalars(select(AuditEntry.action)))

    client.post_form(f"/admin/rounds/{campaign.id}/remind", {"confirm": "y"})  # once it is done, the same button reminds them
    assert len(outbox_per_invitation("reminder")) == sum(statuses(campaign.id).values())


@needs_redis
def test_the_worker_start_leaves_a_round_that_a_running_job_is_sending(app, make_department, rq_queue):
    campaign = started_round(make_department)
    queued = statuses(campaign.id)["queued"]
    with exclusive(SEND_ROUND, campaign.id):  # a live job (on another worker) is sending the round
        assert sending.requeue_interrupted() == {}
        assert waiting_calls(sending.send_queued) == set()
    # Its job gone (with its worker), the round is handed to the queue again.
    assert sending.requeue_interrupted() == {campaign.id: queued}
    assert waiting_calls(sending.send_queued) == {(campaign.id,)}


# --------------------------------------------------------------------------------------------------------------
# PostgreSQL: jobs in parallel sessions, threads and processes
# --------------------------------------------------------------------------------------------------------------

def use_tencent(app, gateway) -> None:
    app.config.update(SMS_BACKEND="tencent", SMS_SIGN_NAME=SIGN, SMS_TENCENT_SECRET_ID=TENCENT_SECRET_ID,
                      SMS_TENCENT_SECRET_KEY=TENCENT_SECRET_KEY, SMS_TENCENT_APP_ID=TENCENT_APP_ID,
                      SMS_TENCENT_ENDPOINT=gateway.endpoint, SMS_TENCENT_PROTOCOL="http",
                      SMS_TENCENT_MAX_CALLS_PER_SECOND=1000)


def use_aliyun(app, gateway) -> None:
    app.config.update(SMS_BACKEND="aliyun", SMS_SIGN_NAME=SIGN, SMS_ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY_ID,
                      SMS_ALIYUN_ACCESS_KEY_SECRET=ALIYUN_SECRET, SMS_ALIYUN_ENDPOINT=gateway.endpoint,
                      SMS_ALIYUN_PROTOCOL="http")


@needs_postgres
def test_two_jobs_started_together_send_one_at_a_time_and_each_message_once(app, make_department, gateway, caplog):
    use_tencent(app, gateway)
    app.config["SMS_JOB_BATCH"] = 4
    in_flight = InFlight(tencent_answer(), hold=0.1)
    gateway.answer = in_flight
    campaign = started_round(make_department, members=24, link_mode=LinkMode.code)  # one Tencent call per message
    campaign_id = campaign.id
    with caplog.at_level(logging.INFO, logger="app.rounds.sending"):
        finished = jobs_started_together(app, campaign_id)

    assert in_flight.most == 1  # the gateway never had two calls at once: one job's rate, not two
    assert sorted(totals["accepted"] for totals in finished) == [0, 24]  # one job sent, the other left…
    assert f"round {campaign_id}: {ALREADY_BEING_SENT}" in caplog.text
    sent = Counter(n for r in gateway.requests for n in r.json["PhoneNumberSet"])
    assert len(sent) == 24 and set(sent.values()) == {1}  # …and everybody got exactly one message
    assert statuses(campaign_id) == {"accepted": 24}
    assert db.session.get(Campaign, campaign_id).status == CampaignStatus.open


@needs_postgres
def test_what_is_queued_while_the_running_job_finishes_is_sent_by_it(app, make_department):
    """The operator resumes a round just as its job ends: the resumed job leaves, and the running one sends it."""
    campaign = started_round(make_department, members=10)
    left_in_flight = db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id)).first()
    left_in_flight.sms_status = "sending"  # left by an earlier worker killed mid-call
    db.session.commit()
    campaign_id, stuck_id = campaign.id, left_in_flight.id
    finished, left = [], []

    def running_job():
        with app.app_context():
            finished.append(sending.send_queued(campaign_id))

    def resumed_job():
        with app.app_context():
            left.append(sending.send_queued(campaign_id))

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as test:
        # Stop the running job after its last look at the queue: at the audit entry it writes before it ends.
        test.execute(text("SELECT pg_advisory_lock(:key)"), {"key": audit._CHAIN_LOCK_KEY})
        first, second = threading.Thread(target=running_job), threading.Thread(target=resumed_job)
        first.start()
        try:
            wait_for_a_job_waiting_on(test, audit._CHAIN_LOCK_KEY)
            # The operator's resume (its audit entry aside) queues the one in flight, and its job starts…
            test.execute(text("UPDATE invitations SET sms_status = 'queued' WHERE id = :id"), {"id": stuck_id})
            second.start()
            second.join(timeout=30)
            assert left == [NOTHING_SENT]  # …and leaves at once: the round is being sent
            assert outbox_per_invitation()[stuck_id] == 0
        finally:
            test.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": audit._CHAIN_LOCK_KEY})
            for thread in (first, second):
                if thread.ident is not None:
                    thread.join(timeout=60)

    assert finished and finished[0]["accepted"] == 10  # the running job sent the resumed one as well
    per_invitation = outbox_per_invitation()
    assert len(per_invitation) == 10 and set(per_invitation.values()) == {1}
    assert statuses(campaign_id) == {"accepted": 10}
    assert db.session.get(Campaign, campaign_id).status == CampaignStatus.open


def wait_for_a_job_waiting_on(connection, key: int, timeout: float = 60) -> None:
    """Until another session waits for the one-key advisory lock ``key`` (held by ``connection``)."""
    deadline = time.monotonic() + timeout
    while not connection.scalar(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 0 "
            "AND objid = :key AND objsubid = 1"), {"key": key}):
        assert time.monotonic() < deadline, "the job never reached its audit entry"
        time.sleep(0.05)


SEND_ROUND_IN_A_PROCESS = """
import sys
from app import create_app
from app.config import DevelopmentConfig
from app.rounds import sending

app = create_app(DevelopmentConfig)
with app.app_context():
    sending.send_queued(int(sys.argv[1]))
"""


@needs_postgres
def test_a_killed_job_leaves_no_lock_behind_and_a_later_job_sends_the_rest(app, make_department, gateway, tmp_path):
    held = HeldCall(aliyun_ok, number=2)  # the first batch goes through, the second stays in the air
    gateway.answer = held
    campaign = started_round(make_department, members=30)
    log = tmp_path / "job.log"
    env = subprocess_env(SMS_BACKEND="aliyun", SMS_SIGN_NAME=SIGN, SMS_ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY_ID,
                         SMS_ALIYUN_ACCESS_KEY_SECRET=ALIYUN_SECRET, SMS_ALIYUN_ENDPOINT=gateway.endpoint,
                         SMS_ALIYUN_PROTOCOL="http", SMS_JOB_BATCH="10", SMS_BATCH_PAUSE_SECONDS="0")
    with log.open("ab") as output:
        job = subprocess.Popen([str(VENV_BIN / "python"), "-c", SEND_ROUND_IN_A_PROCESS, str(campaign.id)],
                               cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT,
                               start_new_session=True)
    use_aliyun(app, gateway)
    try:
        deadline = time.monotonic() + 60
        while len(gateway.requests) < 2:  # the job is in the middle of its second batch
            assert time.monotonic() < deadline and job.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        assert is_held(SEND_ROUND, campaign.id)
        assert sending.send_queued(campaign.id) == NOTHING_SENT  # a second job leaves it to the running one
        assert len(gateway.requests) == 2
        kill_tree(job.pid)  # the job dies mid-call (SIGKILL)
        wait_until_dead(job.pid)
    finally:
        held.go.set()
        stop_group(job)

    deadline = time.monotonic() + 30
    while is_held(SEND_ROUND, campaign.id):  # PostgreSQL ends the dead job's session, and its lock with it
        assert time.monotonic() < deadline, "the killed job's lock is still held"
        time.sleep(0.05)
    assert statuses(campaign.id) == {"accepted": 10, "sending": 10, "queued": 10}
    assert sending.send_queued(campaign.id)["accepted"] == 10  # a later job sends the rest
    sent = phones_at(gateway)
    assert len(sent) == 30 and set(sent.values()) == {1}
    # The batch in the air at the kill is not sent again (at most once): it waits for the operator.
    assert statuses(campaign.id) == {"accepted": 20, "sending": 10}


@needs_postgres
@needs_redis
def test_a_worker_starting_while_another_sends_the_round_does_not_send_it_too(app, make_department, gateway,
                                                                              tmp_path, rq_queue):
    held = HeldCall(aliyun_ok, number=1)  # the running job's first call stays in the air for a while
    gateway.answer = held
    campaign = started_round(make_department, members=30)
    enqueue(sending.send_queued, campaign.id)
    log = tmp_path / "worker.log"
    first = start_worker(gateway.endpoint, log)
    try:
        deadline = time.monotonic() + 90
        while not gateway.requests:  # the first worker's job is sending the round
            assert time.monotonic() < deadline and first.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        second = start_worker(gateway.endpoint, log, "--burst")  # e.g. a second worker started by mistake
        try:
            assert second.wait(timeout=120) == 0, log.read_text()[-3000:]
        finally:
            stop_group(second)
        assert f"round {campaign.id}: sending resumed" not in log.read_text()  # it left the round to the first
        assert len(gateway.requests) == 1  # and sent nothing alongside it
        held.go.set()
        deadline = time.monotonic() + 90
        while db.session.get(Campaign, campaign.id).status != CampaignStatus.open:  # the first job sends it all
            assert time.monotonic() < deadline and first.poll() is None, log.read_text()[-3000:]
            time.sleep(0.1)
            db.session.expire_all()
    finally:
        held.go.set()
        stop_group(first)
    sent = phones_at(gateway)
    assert len(sent) == 30 and set(sent.values()) == {1}
    assert statuses(campaign.id) == {"accepted": 30}
