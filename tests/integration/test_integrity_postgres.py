"""Integrity under concurrency and crashes, against real processes and PostgreSQL.

- 200 simultaneous submissions (150 invitations, 50 duplicates) to a gunicorn server with several worker
  processes: exactly one response per invitation, none lost, no error.
- A gunicorn worker killed with SIGKILL in the middle of a submission's (or a release's) transaction leaves
  nothing half-written, and the invitation can still be used once afterwards.
- An RQ worker (`flask worker`) killed with SIGKILL in the middle of sending a round: a new worker sends the
  rest, nobody gets a message twice, nobody is left out.

The servers and workers are subprocesses using the test's database; the test holds row and table locks from
its own connection to stop them at a chosen point, and reads pg_stat_activity to know they got there.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.responses.models import Response, ResponseAnswer, SealedResponse
from app.rounds import sending
from app.rounds.models import Campaign, CampaignStatus, Invitation, InvitationSubmission, SurveyDraft
from tests.conftest import POSTGRES_URL, on_postgres
from tests.integration.survey_helpers import RATINGS, issue_secrets, open_round
from tests.integration.test_sms_backends import (  # noqa: F401 (the fake gateway fixture)
    ALIYUN_KEY_ID,
    ALIYUN_SECRET,
    SIGN,
    aliyun_ok,
    gateway,
)

pytestmark = pytest.mark.skipif(not on_postgres(), reason="needs PostgreSQL (TEST_DATABASE_URL): real concurrency, "
                                                          "row locks and pg_stat_activity")

PROJECT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
ALREADY_SUBMITTED = "已经提交"  # the "Already submitted" page (Chinese UI by default)
WSGI = """\
import json, os
from app import create_app
from app.config import DevelopmentConfig
app = create_app(DevelopmentConfig, **json.loads(os.environ["INTEGRITY_OVERRIDES"]))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_URL", "APP_ENV")}
    env.update(DATABASE_URL=POSTGRES_URL, FLASK_APP="wsgi", PYTHONUNBUFFERED="1", **extra)
    return env


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants at once, as a crash or the OOM killer of a container would
    (an RQ worker runs each job in a forked "work horse" with a session of its own)."""
    family, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        family.append(current)
        frontier.extend(children_of(current))
    for member in family:
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(process.pid, signal.SIGKILL)  # leftover workers of the group, if any
    except ProcessLookupError:
        pass


@contextmanager
def web_server(tmp_path: Path, *, workers: int, threads: int, release_batch: int):
    """gunicorn serving the app on the test database; yields (base URL, master process, log file)."""
    (tmp_path / "integrity_wsgi.py").write_text(WSGI)
    overrides = {"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "RATELIMIT_ENABLED": False,
                 "RESPONSE_RELEASE_BATCH": release_batch,
                 "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True, "pool_size": threads,
                                               "max_overflow": 0}}
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        master = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--worker-class", "gthread" if threads > 1 else "sync", "--threads", str(threads), "--timeout", "120",
             "--no-control-socket", "--chdir", str(PROJECT), "--pythonpath", str(tmp_path), "integrity_wsgi:app"],
            env=subprocess_env(INTEGRITY_OVERRIDES=json.dumps(overrides)), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, master, log)
        yield base, master, log
    finally:
        stop_group(master)


def wait_until_serving(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited: {log.read_text()[-2000:]}"
        try:
            if requests.get(base + "/s", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")


class Browser:
    """A respondent's phone: one cookie jar, its own connections."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def get(self, path: str):
        return self.http.get(self.base + path, allow_redirects=False, timeout=120)

    def post(self, path: str, data: dict):
        return self.http.post(self.base + path, data=data, allow_redirects=False, timeout=120)

    def csrf(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return CSRF.search(response.text).group(1)

    def post_page(self, number: int, data: dict):
        return self.post(f"/s/survey/{number}", {"csrf_token": self.csrf(f"/s/survey/{number}"), "nav": "next",
                                                 **data})

    def open(self, token: str) -> None:
        response = self.get(f"/s/{token}")
        assert response.status_code == 302 and response.headers["Location"].endswith("/s/survey")

    def answer_everything(self, picks=("SCJG", "SWJ")) -> None:
        assert self.post_page(1, {}).headers["Location"].endswith("/s/survey/2")
        assert self.post_page(2, {"departments": list(picks)}).status_code == 302
        for number, code in enumerate(picks, start=3):
            assert self.post_page(number, {f"d__{code}__{key}": "4" for key in RATINGS}).status_code == 302
        assert self.post_page(len(picks) + 3, {"q__general_comment": "窗口服务很好"}).headers["Location"].endswith(
            "/s/survey/confirm")

    def cookie(self) -> str:
        return self.http.cookies["session"]


def submit_from(base: str, cookie: str, token: str):
    """One tap on 'submit' from a browser holding this session (a new connection, as from another tab)."""
    http = requests.Session()
    http.cookies.set("session", cookie)
    return http.post(base + "/s/survey/confirm", data={"csrf_token": token}, allow_redirects=False, timeout=120)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored_responses() -> int:
    """Sealed (waiting for their shuffled release) plus released: every accepted submission is one of them."""
    return count(SealedResponse) + count(Response)


def assert_nothing_half_written() -> None:
    db.session.expire_all()
    orphans = db.session.execute(text(
        "SELECT count(*) FROM response_answers a LEFT JOIN responses r ON r.id = a.response_id "
        "WHERE r.id IS NULL")).scalar()
    empty = db.session.execute(text(
        "SELECT count(*) FROM responses r WHERE NOT EXISTS (SELECT 1 FROM response_answers a "
        "WHERE a.response_id = r.id)")).scalar()
    assert (orphans, empty) == (0, 0)
    assert count(InvitationSubmission) == stored_responses()  # no mark without its response, no response without


# --------------------------------------------------------------------------------------------------------------
# 200 simultaneous submissions
# --------------------------------------------------------------------------------------------------------------

def test_two_hundred_simultaneous_submissions_store_exactly_one_response_per_invitation(app, make_department,
                                                                                          tmp_path):
    campaign = open_round(make_department, members=150)
    secrets = issue_secrets(campaign, "link")
    with web_server(tmp_path, workers=3, threads=8, release_batch=10) as (base, _master, log):
        # One respondent answers page by page; the others' drafts are copies of theirs (setup, not the test).
        first = Browser(base)
        first.open(secrets[0][1])
        first.answer_everything()
        answers = db.session.get(SurveyDraft, secrets[0][0].id).data
        for invitation, _token in secrets[1:]:
            db.session.add(SurveyDraft(invitation_id=invitation.id, data=answers))
        db.session.commit()

        def ready(link_token: str) -> tuple[str, str]:
            browser = Browser(base)
            browser.open(link_token)
            csrf_token = browser.csrf("/s/survey/confirm")  # (this page puts the CSRF secret in the session cookie)
            return browser.cookie(), csrf_token

        sessions = {invitation.id: ready(token) for invitation, token in secrets[1:]}
        first_token = first.csrf("/s/survey/confirm")
        sessions[secrets[0][0].id] = (first.cookie(), first_token)
        taps = [(invitation_id, *sessions[invitation_id]) for invitation_id in sessions]
        taps += [(invitation.id, *sessions[invitation.id]) for invitation, _token in secrets[:10] for _ in range(5)]
        assert len(taps) == 200 and len({t[0] for t in taps}) == 150

        barrier = threading.Barrier(len(taps))
        results: list[tuple[int, int, str, str]] = []
        lock = threading.Lock()

        def tap(invitation_id: int, cookie: str, token: str) -> None:
            barrier.wait()
            try:
                response = submit_from(base, cookie, token)
                outcome = (invitation_id, response.status_code, response.headers.get("Location", ""), response.text)
            except requests.RequestException as error:  # counted as a failure below, not a thread crash
                outcome = (invitation_id, 0, "", repr(error))
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=tap, args=t) for t in taps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        server_log = log.read_text()

    assert len(results) == 200
    assert [r[:2] for r in results if r[1] >= 500 or r[1] == 0] == []
    thanked = Counter(i for i, status, location, _ in results if status == 302 and location.endswith("/s/thanks"))
    assert thanked == Counter({invitation.id: 1 for invitation, _token in secrets})  # one each, none lost
    refused = [(i, status, body) for i, status, location, body in results if not location.endswith("/s/thanks")]
    assert Counter(i for i, _status, _body in refused) == Counter({i.id: 5 for i, _token in secrets[:10]})
    assert all(status == 200 and ALREADY_SUBMITTED in body for _i, status, body in refused)
    assert "Traceback" not in server_log

    db.session.expire_all()
    assert set(db.session.scalars(select(InvitationSubmission.invitation_id))) == {i.id for i, _ in secrets}
    assert stored_responses() == 150 and count(SurveyDraft) == 0
    # Every response holds every answer: released ones in response_answers, sealed ones in their payload.
    per_response = Counter(db.session.scalars(select(ResponseAnswer.response_id)))
    expected = len(answers_of_one_response())
    assert len(per_response) == count(Response) and set(per_response.values()) == {expected}
    assert {len(p["answers"]) for p in db.session.scalars(select(SealedResponse.payload))} <= {expected}
    assert_nothing_half_written()


def answers_of_one_response() -> list:
    """The answers of one released response, which rated the two departments picked."""
    response = db.session.scalars(select(Response).limit(1)).first()
    assert len({a.department_id for a in response.answers if a.department_id is not None}) == 2
    return list(response.answers)


# --------------------------------------------------------------------------------------------------------------
# A worker killed in the middle of a transaction
# --------------------------------------------------------------------------------------------------------------

@contextmanager
def table_lock(table: str):
    """Hold a SHARE lock on ``table`` from another connection: reads pass, writes to it wait."""
    engine = create_engine(POSTGRES_URL)
    connection = engine.connect()
    transaction = connection.begin()
    connection.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    try:
        yield
    finally:
        transaction.rollback()
        connection.close()
        engine.dispose()


def wait_for_blocked_backend(statement: str, timeout: float = 60) -> tuple[int, bool]:
    """The PostgreSQL backend waiting on our lock while running ``statement``: (pid, has it written already)."""
    deadline = time.monotonic() + timeout
    with create_engine(POSTGRES_URL).connect() as connection:
        while time.monotonic() < deadline:
            row = connection.execute(text(
                "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE :pattern"), {"pattern": statement + "%"}).first()
            if row is not None:
                return row[0], row[1]
            connection.rollback()
            time.sleep(0.1)
    raise AssertionError(f"no backend blocked on {statement!r}")


def wait_until_gone(backend_pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with create_engine(POSTGRES_URL).connect() as connection:
        while time.monotonic() < deadline:
            alive = connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                       {"pid": backend_pid}).scalar()
            connection.rollback()
            if not alive:
                return
            time.sleep(0.1)
    raise AssertionError(f"backend {backend_pid} is still there")


@pytest.mark.parametrize("table,statement", [
    # The submission's transaction writes the mark, then the sealed response, then deletes the draft: stop it
    # at the last step, when the first two are written but not committed.
    ("survey_drafts", "DELETE FROM survey_drafts"),
    # The release's transaction deletes sealed responses, inserts them into responses, then their answers.
    ("response_answers", "INSERT INTO response_answers"),
], ids=["mid-submission", "mid-release"])
def test_a_worker_killed_mid_transaction_leaves_nothing_half_written(app, make_department, tmp_path, table,
                                                                     statement):
    campaign = open_round(make_department, members=12)
    secrets = issue_secrets(campaign, "link")
    with web_server(tmp_path, workers=1, threads=1, release_batch=1) as (base, master, log):
        browser = Browser(base)
        browser.open(secrets[0][1])
        browser.answer_everything()
        token = browser.csrf("/s/survey/confirm")
        outcome: list = []

        def tap() -> None:
            try:
                outcome.append(submit_from(base, browser.cookie(), token).status_code)
            except requests.RequestException as error:  # the worker dies under it
                outcome.append(error)

        with table_lock(table):
            thread = threading.Thread(target=tap)
            thread.start()
            backend, wrote = wait_for_blocked_backend(statement)
            assert wrote, "the transaction should have written something before it was stopped"
            worker, = children_of(master.pid)
            os.kill(worker, signal.SIGKILL)
            thread.join(timeout=60)
        wait_until_gone(backend)  # the dead worker's transaction is rolled back, never committed
        assert len(outcome) == 1 and isinstance(outcome[0], requests.RequestException)

        assert_nothing_half_written()
        if table == "survey_drafts":
            assert count(InvitationSubmission) == 0 and stored_responses() == 0
            assert db.session.get(SurveyDraft, secrets[0][0].id) is not None  # the answers wait for a retry
        else:
            assert count(InvitationSubmission) == 1 and count(SealedResponse) == 1 and count(Response) == 0

        wait_until_serving(base, master, log)  # gunicorn has started a new worker
        again = submit_from(base, browser.cookie(), token)
        twice = submit_from(base, browser.cookie(), token)
        if table == "survey_drafts":  # the submission never happened: it can be made now, once
            assert again.status_code == 302 and again.headers["Location"].endswith("/s/thanks")
        else:  # it happened (its response is sealed): the invitation is used
            assert again.status_code == 200 and ALREADY_SUBMITTED in again.text
            other = Browser(base)  # the next submission releases both
            other.open(secrets[1][1])
            other.answer_everything()
            other_token = other.csrf("/s/survey/confirm")
            assert submit_from(base, other.cookie(), other_token).status_code == 302
        assert twice.status_code == 200 and ALREADY_SUBMITTED in twice.text

    db.session.expire_all()
    expected = 1 if table == "survey_drafts" else 2
    assert count(InvitationSubmission) == expected and count(Response) == expected and count(SealedResponse) == 0
    assert_nothing_half_written()


# --------------------------------------------------------------------------------------------------------------
# The SMS queue survives a worker killed mid-send
# --------------------------------------------------------------------------------------------------------------

def start_worker(gateway_endpoint: str, log: Path, *args: str) -> subprocess.Popen:
    env = subprocess_env(
        REDIS_URL=os.environ["REDIS_URL"], SMS_BACKEND="aliyun", SMS_SIGN_NAME=SIGN,
        SMS_ALIYUN_ACCESS_KEY_ID=ALIYUN_KEY_ID, SMS_ALIYUN_ACCESS_KEY_SECRET=ALIYUN_SECRET,
        SMS_ALIYUN_ENDPOINT=gateway_endpoint, SMS_ALIYUN_PROTOCOL="http", SMS_JOB_BATCH="10",
        SMS_BATCH_PAUSE_SECONDS="0.1")
    with log.open("ab") as output:
        return subprocess.Popen([str(VENV_BIN / "flask"), "worker", *args], cwd=PROJECT, env=env, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)


def phones_at(gateway) -> Counter:
    return Counter(n for r in list(gateway.requests) for n in json.loads(r.form["PhoneNumberJson"]))


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL) for the RQ worker")
def test_sms_sending_survives_a_worker_killed_mid_batch(app, make_department, gateway, tmp_path):
    from redis import Redis
    from rq import Queue

    from app.platform.jobs import QUEUE, enqueue

    gateway.answer, gateway.delay = aliyun_ok, 2.0  # slow: time to kill the worker during a call
    campaign = open_round(make_department, members=40)
    campaign.status = CampaignStatus.drawn  # open_round moved it on; step back to before sending
    db.session.commit()
    phones = {f"1370000{i:04d}" for i in range(40)}
    sending.start(campaign, None)
    db.session.commit()
    connection = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue(QUEUE, connection=connection)
    queue.empty()
    app.config.update(JOBS_INLINE=False, REDIS_URL=os.environ["REDIS_URL"])
    enqueue(sending.send_queued, campaign.id)
    log = tmp_path / "worker.log"
    first = start_worker(gateway.endpoint, log)
    try:
        deadline = time.monotonic() + 90
        while len(gateway.requests) < 2:  # the second batch of ten has reached the gateway…
            assert time.monotonic() < deadline and first.poll() is None, log.read_text()[-3000:]
            time.sleep(0.05)
        horses = children_of(first.pid)
        assert horses, "the job should be running in a work horse process"
        kill_tree(first.pid)  # …and the worker and its work horse die before the answer
        first.wait(timeout=30)
        for horse in horses:
            wait_until_dead(horse)
    finally:
        stop_group(first)

    db.session.expire_all()
    statuses = Counter(db.session.scalars(select(Invitation.sms_status).where(Invitation.campaign_id == campaign.id)))
    assert statuses == Counter({"accepted": 10, "sending": 10, "queued": 20})
    assert len(gateway.requests) == 2

    second = start_worker(gateway.endpoint, log, "--burst")
    try:
        assert second.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        stop_group(second)
    try:
        sent = phones_at(gateway)
        assert sorted(phones - set(sent)) == [] and set(sent) == phones  # everybody got a message…
        assert set(sent.values()) == {1}  # …and nobody got two
        assert f"round {campaign.id}: sending resumed for 20 queued invitations" in log.read_text()
        db.session.expire_all()
        statuses = Counter(db.session.scalars(select(Invitation.sms_status)
                                              .where(Invitation.campaign_id == campaign.id)))
        # The batch in flight at the kill is not sent again (at most once); it waits for the operator, and the
        # round stays "sending" until they decide (resume, after checking the provider's delivery report).
        assert statuses == Counter({"accepted": 30, "sending": 10})
        assert db.session.get(Campaign, campaign.id).status == CampaignStatus.sending
    finally:
        forget_jobs(queue)


def forget_jobs(queue) -> None:
    """Empty an RQ queue and its registries (started, failed, finished) of a test's jobs."""
    for registry in (queue.started_job_registry, queue.failed_job_registry, queue.finished_job_registry):
        for job_id in registry.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is not None:
                job.delete()
    queue.empty()


def wait_until_dead(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and "Z" not in stat_state(pid):
        assert time.monotonic() < deadline, f"process {pid} is still alive"
        time.sleep(0.05)


def stat_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
