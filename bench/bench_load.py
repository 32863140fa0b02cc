"""Load test: the respondent flows and the real-time rating page against gunicorn on PostgreSQL.

    .venv/bin/python bench/bench_load.py                     # both flows, 50 clients, 60 s each, + 30 s of ratings
    .venv/bin/python bench/bench_load.py --flow js --duration 15 --rt-duration 0 --invitations 5000   # quick

One command, in one process (the load driver shares the cores with the server, as the target requires):

1. prepare a PostgreSQL database (``--database-url``; created if missing, emptied if it exists, and its
   name must contain "bench"): all migrations, the demo departments, a pool of ``--invitations``
   members imported through the real pool import, one open round that invites all of them with the
   default questionnaire and the 30 demo departments (frame, seed, draw, sending → open), one personal
   link per invitation issued by ``app.rounds.invitations.issue`` (the raw tokens stay in this
   process's memory), and 300 service points for the real-time phase;
2. start gunicorn (``--workers 2``, sync workers by default) on 127.0.0.1 serving ``wsgi:app`` with the
   *production* configuration (APP_ENV=production: no debug, Secure cookies, HSTS, ProxyFix for one
   proxy, rate limits in Redis, encrypted phones); no setting is changed for the bench (see "Client
   addresses" below);
3. drive ``--clients`` concurrent clients (asyncio, one process) for ``--duration`` seconds, after
   ``--warmup`` seconds, through a respondent flow, each flow a new browser (empty cookie jar) and a link
   of its own. ``--flow`` picks the flow; ``both`` (the default) runs the JS flow, then the no-JS flow,
   each a phase of its own on the same database, with links not used before:

   - the JS flow (the one-page survey, what a phone with JavaScript does, 4 requests): GET /s/<token>
     (302) → GET /s/survey (the whole questionnaire in one document) → POST /s/survey/submit with every
     answer at once, as survey.js sends it: ``new FormData(form)`` (multipart/form-data, the controls in
     document order: the CSRF token, a 32-hex ``submission_id`` made by the phone, the departments picked,
     each picked department's page made from the document's ``<template>`` with ``{dept}`` replaced by its
     code, the other questions, empty text boxes included), with ``X-Survey-Flow: one-page``, ``Accept:
     application/json``, Origin and Referer → 303 to /s/thanks → GET /s/thanks;
   - the no-JS flow (server-paged, 13 requests with the default questionnaire): GET /s/<token> (302) →
     GET /s/survey (the same document; its "start" link opens the paged flow) → for each page: GET
     /s/survey/<n>, then POST it with the CSRF token of the page, the Referer a browser sends, and a valid
     answer to every question → GET /s/survey/confirm → POST it (302 to /s/thanks) → GET /s/thanks.

   Both answer alike: ``--picks`` departments (one) picked at random, every rating among the three best
   levels, a comment now and then. A flow counts only when its submission redirects to /s/thanks and the
   thanks page loads. Then a separate phase of ``--rt-duration`` seconds on the real-time rating page:
   GET /r/<slug>, POST a rating (one in ten a 差评 with its reason), GET its thanks page, each rating from a
   fresh device (no cookies);
4. report, per flow, flows/s, per-step p50/p95/p99 on the client side, errors, the server time of each
   step read from gunicorn's access log (%(D)s: from reading the request to the end of the response, in
   the worker), and the CPU the window cost gunicorn, the PostgreSQL backends and the driver, per flow;
   then a table of the flows side by side;
5. check the database: responses (sealed + released) == completed flows (all phases) == submission marks;
   per flow, every completed flow's link has exactly one submission mark, carrying the ``submission_id``
   that flow sent (JS) or none (no-JS); no draft left, none at all for a link the JS flow took (its failed
   flows included); ratings == completed ratings;
6. stop gunicorn, delete the run's rate-limit counters from Redis and drop the database (``--keep-db``
   keeps it). The exit status is non-zero if any request failed or a database check fails.

Client addresses: in production the app runs behind one TLS-terminating proxy (PROXY_FIX_X_FOR=1) and
takes the client's address from X-Forwarded-For. The driver plays that proxy: it sends
``X-Forwarded-Proto: https`` and, for each respondent (and each rating device), its own address from
10.0.0.0/8, as each respondent answers from their own phone. So the production per-address limits
(30 link openings a minute, 20 ratings an hour) apply unchanged, and the bench spreads the ratings over
enough service points to stay under the per-point one (60 a minute).

The access log holds the bench's link tokens (synthetic, in the throw-away database); it is written to a
temporary folder and deleted at the end unless --keep-logs. Production runs gunicorn without one.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
BENCH_ROUND_TITLE = "压力测试轮次 (bench_load)"

# Targets of issue 9 (2-core machine, driver included): the JS flow, and the no-JS flow kept at its level.
TARGET_FLOWS_PER_SECOND = 200
TARGET_NOJS_FLOWS_PER_SECOND = 45
TARGET_SUBMIT_P99_MS = 250
TARGET_PAGE_SERVER_P50_MS = 20


# --------------------------------------------------------------------------- the database

def _database_name(url: str) -> str:
    return urlsplit(url.replace("+psycopg", "")).path.lstrip("/")


def _admin_url(url: str) -> str:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def reset_database(url: str) -> None:
    """Create the bench database, or empty it if it exists. Refuses any name without "bench" in it."""
    import psycopg

    name = _database_name(url)
    if "bench" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"refusing to use database {name!r}: the bench empties its database, so its name must "
                         "contain 'bench' (lower-case letters, digits and _ only)")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    """Drop the bench database (reset_database's name rule applies)."""
    import psycopg

    name = _database_name(url)
    if "bench" in name and re.fullmatch(r"[a-z0-9_]+", name):
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_rate_limits(redis_url: str, prefix: str) -> None:
    """Delete the run's rate-limit counters from Redis (they would expire within the hour anyway)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i:i + 1000])


def pool_csv(members: int) -> bytes:
    """A synthetic pool in the operator's CSV format, in the demo pool's category proportions."""
    from app.demo.pool import CATEGORY_SIZES, DISTRICTS

    categories = list(CATEGORY_SIZES)
    weights = list(CATEGORY_SIZES.values())
    rng = random.Random(9)
    lines = ["姓名,类别,区县,单位,手机,入库日期"]
    for i in range(members):
        category = rng.choices(categories, weights)[0]
        lines.append(f"测试{i},{category},{rng.choice(DISTRICTS)},,139{i:08d},2026-01-01")
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class Prepared:
    tokens: list[str]
    point_slugs: list[str]
    campaign_id: int
    departments: int


def prepare(invitations: int, points: int) -> Prepared:
    """Migrations, demo departments, the pool, an open round with one link per invitation, service points."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from app import create_app
    from app.demo import seed_departments
    from app.departments.models import Department
    from app.extensions import db
    from app.pool import importing as pool_import
    from app.questionnaires.models import QuestionnaireVersion, VersionStatus
    from app.realtime import service as realtime
    from app.rounds import draws, invitations as invitation_service, service as rounds
    from app.rounds.models import Campaign, CampaignStatus, Invitation, LinkMode

    app = create_app()
    with app.app_context():
        logging.disable(logging.INFO)  # the migrations' names are noise here
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        seed_departments()
        plan = pool_import.check("bench-pool.csv", pool_csv(invitations))
        if plan.errors:
            raise SystemExit(f"the bench pool has errors: {plan.errors[:3]}")
        pool_import.commit(plan, filename="bench-pool.csv")
        db.session.commit()

        today = date.today()
        campaign = Campaign(month=today.strftime("%Y-%m"), title=BENCH_ROUND_TITLE, sample_size=invitations)
        db.session.add(campaign)
        db.session.flush()
        version = db.session.scalars(select(QuestionnaireVersion).where(
            QuestionnaireVersion.status == VersionStatus.published).order_by(QuestionnaireVersion.id)).first()
        departments = list(db.session.scalars(Department.ordered().where(Department.active.is_(True))))
        text = "【市营商环境办】${name}您好，请于${deadline}前点击 https://pj.example.gov.cn/s/${token} 完成评价。回复TD退订"
        rounds.configure(campaign, None, version=version, departments=departments, opens_on=today,
                         closes_on=today + timedelta(days=14), link_mode=LinkMode.link,
                         sms_template_code="SMS_BENCH", sms_template_text=text, reminder_template_text=text,
                         max_reminders=2, reminder_spacing_days=3)
        draw = draws.freeze(campaign, None)
        draws.set_seed(draw, None, "bench_load")
        drawn = draws.draw_sample(draw, None)
        rounds.move(campaign, CampaignStatus.sending)
        rounds.move(campaign, CampaignStatus.open)
        db.session.commit()
        if drawn != invitations:
            raise SystemExit(f"the draw invited {drawn} members, not {invitations}")
        # One personal link each, exactly as the SMS job issues them; only the hashes reach the database.
        tokens = [invitation_service.issue(invitation, "link")
                  for invitation in db.session.scalars(select(Invitation).where(Invitation.campaign_id == campaign.id))]
        db.session.commit()

        slugs = []
        for i in range(points):
            department = departments[i % len(departments)]
            point = realtime.create_point(department, code=f"BENCH-{i:04d}", name=f"压力测试窗口 {i}",
                                          kind="window", location="市民中心", service_items="企业开办\n税务登记")
            slugs.append(point.slug)
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
        db.engine.dispose()
    return Prepared(tokens, slugs, campaign_id, len(departments))


def check_database(campaign_id: int, runs: list[FlowRun]) -> dict[str, int]:
    """Responses, submission marks, drafts and ratings of the bench round, counted in the database; per flow,
    the marks of its completed flows' links and the submission ids they carry, and the drafts of its links."""
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.realtime.models import RealtimeRating
    from app.responses.models import Response, SealedResponse
    from app.rounds.invitations import _hash
    from app.rounds.models import Invitation, InvitationSubmission, InvitationToken, SurveyDraft

    app = create_app()
    with app.app_context():
        def count(model, *where):
            return db.session.scalar(select(func.count()).select_from(model).where(*where))

        def by_link(query, tokens: list[str]) -> list:
            """Rows of ``query`` (joined to the links) for these links' tokens, 1,000 hashes at a time."""
            hashes = [_hash("link:" + token) for token in tokens]
            return [row for i in range(0, len(hashes), 1000)
                    for row in db.session.execute(query.where(InvitationToken.secret_hash.in_(hashes[i:i + 1000])))]

        in_round = InvitationSubmission.invitation_id.in_(
            select(Invitation.id).where(Invitation.campaign_id == campaign_id))
        result = {
            "sealed": count(SealedResponse, SealedResponse.campaign_id == campaign_id),
            "released": count(Response, Response.campaign_id == campaign_id),
            "submissions": count(InvitationSubmission, in_round),
            "drafts left": count(SurveyDraft),
            "ratings": count(RealtimeRating),
        }
        marks = (select(InvitationToken.secret_hash, InvitationSubmission.submission_key).select_from(InvitationSubmission)
                 .join(InvitationToken, InvitationToken.invitation_id == InvitationSubmission.invitation_id))
        drafts = (select(InvitationToken.secret_hash).select_from(SurveyDraft)
                  .join(InvitationToken, InvitationToken.invitation_id == SurveyDraft.invitation_id))
        for run in runs:
            # Submission marks of the invitations whose links completed a flow: one each, with the flow's id.
            found = {}
            for secret_hash, key in by_link(marks, run.stats.finished):
                found.setdefault(secret_hash, []).append(key)
            result[f"{run.flow.name}: marks of its completed links"] = sum(len(v) for v in found.values())
            result[f"{run.flow.name}: marks with the id it sent"] = sum(
                found.get(_hash("link:" + token)) == [run.keys.get(token)] for token in run.stats.finished)
            result[f"{run.flow.name}: drafts of its links"] = len(by_link(drafts, run.started))
        db.session.remove()
        db.engine.dispose()
    return result


# --------------------------------------------------------------------------- the server

ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    access_log: Path
    error_log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, folder: Path, env: dict[str, str]) -> Server:
    """gunicorn with the production configuration, `wsgi:app`, as the README deploys it."""
    port = args.port or free_port()
    access_log, error_log = folder / "access.log", folder / "error.log"
    command = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", args.worker_class,
               "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
               "--access-logformat", ACCESS_LOG_FORMAT, "--error-logfile", str(error_log), "--log-level", "warning"]
    if args.worker_class == "gthread":
        # A gthread worker accepts up to --worker-connections connections (1,000 by default) whatever its threads
        # are doing, so one worker can take nearly all of them while the other idles: no more than its threads.
        command += ["--threads", str(args.threads), "--worker-connections", str(args.threads)]
    command.append(args.app)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server(process, f"http://127.0.0.1:{port}", access_log, error_log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}:\n{error_log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.stop()
        raise SystemExit("gunicorn did not start listening within 60 s")
    return server


# --------------------------------------------------------------------------- the driver

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
INPUT_RE = re.compile(r"<input ([^>]*)>")
TEXTAREA_RE = re.compile(r'<textarea [^>]*name="([^"]+)"')
SELECT_RE = re.compile(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', re.S)
OPTION_RE = re.compile(r'<option [^>]*value="([^"]*)"')
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
PAGE_RE = re.compile(r"^/s/survey/(\d+)$")
COMMENTS = ["窗口服务很好，办理很快", "材料一次性告知，满意", "希望增加周末办理时间", "", "", ""]


class StepError(Exception):
    """A request whose answer was not what a working flow gets."""


@dataclass
class Stats:
    """Latencies (ms) per step of the measured window, errors, and completed flows."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    completed: int = 0  # flows that ended with the submission confirmed, measured window only
    completed_total: int = 0  # warm-up and the flows still running at the end included
    completion_times: list[float] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # the tokens (or slugs) of the completed flows
    flow_requests: int = 0  # requests made by the completed flows

    def requests_per_flow(self) -> float:
        return self.flow_requests / self.completed_total if self.completed_total else float("nan")


class _Exchange(asyncio.Protocol):
    """One HTTP/1.1 request on a fresh connection; the response is parsed as it arrives.

    A protocol instead of an HTTP library or streams: the driver shares the two cores with the server and
    this costs it several times less CPU per request; and it closes the connection in the same callback that
    completes the response — gunicorn waits for the client to close before its worker takes the next request.
    gunicorn always sends Content-Length here.
    """

    def __init__(self, raw: bytes, done: asyncio.Future):
        self.raw, self.done, self.buffer, self.length = raw, done, bytearray(), None
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.raw)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.length is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head_end = end + 4
            lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            self.status = int(lines[0].split(" ", 2)[1])
            self.headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
            self.length = next((int(v) for k, v in self.headers if k.lower() == "content-length"), -1)
        if self.length >= 0 and len(self.buffer) - self.head_end >= self.length:
            self.transport.close()
            if not self.done.done():
                self.done.set_result((self.status, self.headers, bytes(self.buffer[self.head_end:])))

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            if self.length == -1 and exc is None:  # no Content-Length: the body ends with the connection
                self.done.set_result((self.status, self.headers, bytes(self.buffer[self.head_end:])))
            else:
                self.done.set_exception(exc or ConnectionError("connection closed before the response ended"))


async def http_request(host: str, port: int, raw: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """One HTTP/1.1 exchange on a fresh connection: (status, headers, body)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    transport, _ = await loop.create_connection(lambda: _Exchange(raw, done), host, port)
    try:
        return await done
    finally:
        transport.close()


class Client:
    """One browser: its own cookie jar and its own address (via the proxy's X-Forwarded-For)."""

    def __init__(self, base: str, stats: Stats, measuring):
        self.stats, self.measuring = stats, measuring
        self.requests = 0
        netloc = urlsplit(base).netloc
        self.host, self.port = netloc.rsplit(":", 1)[0], int(netloc.rsplit(":", 1)[1])
        self.cookies: dict[str, str] = {}
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        # What the proxy adds (docs/DEPLOYMENT.md): the client's address and the scheme it used.
        self.fixed = (f"Host: {netloc}\r\nX-Forwarded-For: {address}\r\nX-Forwarded-Proto: https\r\n"
                      f"User-Agent: bench_load\r\nConnection: close\r\n")
        self.origin = "https://" + netloc

    async def request(self, step: str, method: str, path: str, expect: int, data=None, referer: str | None = None,
                      body: bytes | None = None, content_type: str = "", headers: str = ""):
        """One request; ``data`` is sent form-encoded, or ``body`` as ``content_type``; ``headers`` are added
        as they are (lines ending in CRLF)."""
        head = f"{method} {path} HTTP/1.1\r\n{self.fixed}{headers}"
        if self.cookies:
            head += "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n"
        if referer:
            head += f"Referer: {self.origin}{referer}\r\n"
        if data is not None:
            body = urlencode(data).encode("ascii")
            content_type = "application/x-www-form-urlencoded"
        if body is not None:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        else:
            body = b""
        measured = self.measuring()
        self.requests += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(30):
                status, headers, content = await http_request(self.host, self.port, (head + "\r\n").encode() + body)
        except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
            raise StepError(f"{step} {method} {path}: {type(exc).__name__} {exc}") from None
        elapsed = (time.perf_counter() - started) * 1000
        if measured:
            self.stats.latencies[step].append(elapsed)
        location = ""
        for name, value in headers:
            lowered = name.lower()
            if lowered == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value and "max-age=0" not in rest.lower():
                    self.cookies[cookie_name] = cookie_value
                else:
                    self.cookies.pop(cookie_name, None)
            elif lowered == "location":
                location = value
        if status != expect:
            detail = ""
            if any(k.lower() == "content-type" and "json" in v for k, v in headers):  # the one-page survey's answer
                detail = " " + content.decode("utf-8", "replace")[:300]
            raise StepError(f"{step} {method} {path}: HTTP {status}, expected {expect}{detail}")
        return content.decode("utf-8"), location


def answers_for(html: str, rng: random.Random, picks: int) -> list[tuple[str, str]]:
    """A valid answer to every question of a page: good ratings, one department picked, a comment now and then."""
    token = CSRF_RE.search(html)
    if token is None:
        raise StepError("no CSRF token in the page")
    data = [("csrf_token", token.group(1)), ("nav", "next")]
    radios: dict[str, list[str]] = {}
    checkboxes: dict[str, list[str]] = {}
    for match in INPUT_RE.finditer(html):
        attrs = dict(ATTR_RE.findall(match.group(1)))
        kind, name = attrs.get("type"), attrs.get("name")
        if kind == "radio":
            radios.setdefault(name, []).append(attrs["value"])
        elif kind == "checkbox":
            checkboxes.setdefault(name, []).append(attrs["value"])
    for name, values in radios.items():
        data.append((name, rng.choice(values[:3])))  # the three best levels: no comment is required
    for name, values in checkboxes.items():
        for value in rng.sample(values, min(picks, len(values))):
            data.append((name, value))
    for name in TEXTAREA_RE.findall(html):
        comment = rng.choice(COMMENTS)
        if comment:
            data.append((name, comment))
    return data


async def respondent_flow(client: Client, token: str, rng: random.Random, picks: int) -> None:
    """Open the link, answer every page, check and submit; raise StepError on anything unexpected."""
    _, location = await client.request("open link", "GET", f"/s/{token}", 302)
    if location != "/s/survey":
        raise StepError(f"open link: redirected to {location!r}")
    html, _ = await client.request("intro", "GET", "/s/survey", 200)
    path = "/s/survey/1"
    if f'href="{path}"' not in html:
        raise StepError("intro: no link to the first page")
    for _ in range(50):
        html, _ = await client.request("page (GET)", "GET", path, 200)
        _, location = await client.request("page (POST)", "POST", path, 302, data=answers_for(html, rng, picks),
                                           referer=path)
        if location == "/s/survey/confirm":
            break
        if not PAGE_RE.match(location):
            raise StepError(f"page (POST) {path}: redirected to {location!r}")
        path = location
    else:
        raise StepError("more than 50 pages")
    html, _ = await client.request("confirm", "GET", "/s/survey/confirm", 200)
    token_match = CSRF_RE.search(html)
    if token_match is None:
        raise StepError("confirm: no submit form (answers incomplete?)")
    _, location = await client.request("submit", "POST", "/s/survey/confirm", 302,
                                       data={"csrf_token": token_match.group(1)}, referer="/s/survey/confirm")
    if location != "/s/thanks":
        raise StepError(f"submit: redirected to {location!r}")
    await client.request("thanks", "GET", "/s/thanks", 200)


FORM_RE = re.compile(r'<form id="survey"[^>]*>(.*?)</form>', re.DOTALL)
PICKER_RE = re.compile(r'<section class="pg" data-kind="picker"[^>]*>.*?</section>', re.DOTALL)
TEMPLATE_RE = re.compile(r'<template id="department-page">(.*?)</template>', re.DOTALL)
CONTROL_RE = re.compile(r"<input ([^>]*)>|<textarea ([^>]*)>(.*?)</textarea>|<select ([^>]*)>(.*?)</select>", re.DOTALL)
OPTION_TAG_RE = re.compile(r"<option ([^>]*)>")
BOOLEAN_DISABLED_RE = re.compile(r'\sdisabled(?=[\s=]|$)')
BOOLEAN_SELECTED_RE = re.compile(r'\sselected(?=[\s=]|$)')
SPEC_RE = re.compile(r'<script type="application/json" id="survey-spec">(.*?)</script>', re.DOTALL)
BOUNDARY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _controls(html: str) -> list[tuple[str, dict[str, str], str]]:
    """The form controls of a piece of HTML in document order: (tag, attributes, content)."""
    out = []
    for match in CONTROL_RE.finditer(html):
        tag, start, content = (("input", match.group(1), "") if match.group(1) is not None else
                               ("textarea", match.group(2), match.group(3)) if match.group(2) is not None else
                               ("select", match.group(4), match.group(5)))
        attrs = {name: html_unescape(value) for name, value in ATTR_RE.findall(start)}
        if BOOLEAN_DISABLED_RE.search(" " + start):
            attrs["disabled"] = ""
        out.append((tag, attrs, content))
    return out


def one_page_answers(html: str, rng: random.Random, picks: int, submission_id: str) -> list[tuple[str, str]]:
    """What ``new FormData(form)`` holds when the respondent presses Submit on the one-page survey.

    The respondent answers as in the no-JS flow (``answers_for``): ``picks`` departments ticked at random,
    every rating among the three best levels, a comment now and then. The script has put one department page
    per department ticked, made from the document's <template> with the spec's placeholder (``{dept}``)
    replaced by the code, after the picker, in the round's order (the spec's ``departments``); FormData then
    holds every named control of the form in document order: hidden inputs, the checked boxes and radios,
    text boxes and text areas even when empty; not the controls of the <template> itself (inert), not
    disabled ones.
    """
    form, spec = FORM_RE.search(html), SPEC_RE.search(html)
    if form is None or spec is None:
        raise StepError("document: no survey form or no spec for its script")
    spec = json.loads(spec.group(1))
    picker_field = spec["picker"]
    inner = form.group(1)
    template = TEMPLATE_RE.search(inner)
    picker = PICKER_RE.search(inner)
    if template is None or picker is None or not picker.end() <= template.start():
        raise StepError("document: no department picker followed by the department page's <template>")
    controls = _controls(inner[:picker.end()])
    boxes = [attrs["value"] for tag, attrs, _ in controls
             if tag == "input" and attrs.get("type") == "checkbox" and attrs.get("name") == picker_field]
    ticked = set(rng.sample(boxes, min(picks, len(boxes))))
    for code in spec["departments"]:  # the script adds the pages in the round's order
        if code in ticked:
            controls += _controls(template.group(1).replace(spec["placeholder"], code))
    controls += _controls(inner[template.end():])

    radios: dict[str, list[str]] = {}
    boxes_of: dict[str, list[str]] = {}
    for tag, attrs, _ in controls:
        if tag == "input" and attrs.get("type") in ("radio", "checkbox") and attrs.get("name") != picker_field:
            (radios if attrs["type"] == "radio" else boxes_of).setdefault(attrs["name"], []).append(attrs["value"])
    chosen = {name: rng.choice(values[:3]) for name, values in radios.items()}  # no comment is then required
    checked = {name: set(rng.sample(values, min(picks, len(values)))) for name, values in boxes_of.items()}
    checked[picker_field] = ticked

    data = []
    for tag, attrs, content in controls:
        name = attrs.get("name")
        if not name or "disabled" in attrs:
            continue
        if tag == "textarea":  # (the parser drops the newline that starts a textarea's text)
            typed = rng.choice(COMMENTS)
            data.append((name, typed or html_unescape(content.removeprefix("\r\n").removeprefix("\n"))))
        elif tag == "select":
            options = OPTION_TAG_RE.findall(content)
            if options:
                option = next((o for o in options if BOOLEAN_SELECTED_RE.search(" " + o)), options[0])
                data.append((name, html_unescape(dict(ATTR_RE.findall(option)).get("value", ""))))
        else:
            kind = attrs.get("type", "text")
            if kind == "radio":
                if chosen.get(name) == attrs.get("value"):
                    data.append((name, attrs["value"]))
            elif kind == "checkbox":
                if attrs.get("value") in checked.get(name, ()):
                    data.append((name, attrs["value"]))
            elif name == "submission_id":
                data.append((name, submission_id))  # the script sets it just before sending
            elif kind not in ("submit", "button", "image", "reset", "file"):
                data.append((name, attrs.get("value", "")))
    return data


def multipart(data: list[tuple[str, str]], rng: random.Random) -> tuple[bytes, str]:
    """A FormData body as Chromium encodes it: (body, content type)."""
    boundary = "----WebKitFormBoundary" + "".join(rng.choice(BOUNDARY_CHARS) for _ in range(16))
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             for name, value in data]
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("utf-8"), f"multipart/form-data; boundary={boundary}"


async def one_page_flow(client: Client, token: str, rng: random.Random, picks: int) -> str:
    """The JS flow: open the link, load the one document, send every answer in one POST, load the thanks page.
    Returns the submission id the phone sent; raises StepError on anything unexpected."""
    _, location = await client.request("open link", "GET", f"/s/{token}", 302)
    if location != "/s/survey":
        raise StepError(f"open link: redirected to {location!r}")
    html, _ = await client.request("document", "GET", "/s/survey", 200)
    submission_id = f"{rng.getrandbits(128):032x}"
    body, content_type = multipart(one_page_answers(html, rng, picks, submission_id), rng)
    # fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual",
    #                     headers: {"X-Survey-Flow": "one-page", "Accept": "application/json"}})
    _, location = await client.request(
        "submit", "POST", "/s/survey/submit", 303, body=body, content_type=content_type, referer="/s/survey",
        headers=f"X-Survey-Flow: one-page\r\nAccept: application/json\r\nOrigin: {client.origin}\r\n"
                "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors\r\nSec-Fetch-Dest: empty\r\n")
    if location != "/s/thanks":
        raise StepError(f"submit: redirected to {location!r}")
    # The script does not follow the redirect: it replaces the page with spec.thanks itself.
    await client.request("thanks", "GET", "/s/thanks", 200, referer="/s/survey")
    return submission_id


async def rating_flow(client: Client, slug: str, rng: random.Random) -> None:
    """A fresh device scans a poster: open the rating page, rate (a 差评 with a reason now and then)."""
    path = f"/r/{slug}"
    html, _ = await client.request("rating page", "GET", path, 200)
    token = CSRF_RE.search(html)
    if token is None:
        raise StepError("rating page: no CSRF token")
    bad = rng.random() < 0.1
    data = [("csrf_token", token.group(1)), ("overall", "2" if bad else rng.choice("543"))]
    for name in ("efficiency", "competence", "attitude"):
        if rng.random() < 0.7:
            data.append((name, rng.choice("543")))
    items = [v for select_ in SELECT_RE.findall(html) if select_[0] == "service_item"
             for v in OPTION_RE.findall(select_[1])]
    if items:
        data.append(("service_item", rng.choice(items)))
    data.append(("comment", "排队时间太长，窗口只开了一个" if bad else rng.choice(COMMENTS)))
    _, location = await client.request("rate (POST)", "POST", path, 302, data=data, referer=path)
    if location != f"{path}/thanks":
        raise StepError(f"rate: redirected to {location!r}")
    await client.request("rating thanks", "GET", location, 200)


async def run_phase(base: str, clients: int, duration: float, warmup: float, make_flow, stats: Stats,
                    on_window=lambda: None) -> None:
    """``clients`` loops, each running flows back to back until the deadline (``on_window`` at its edges)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    window = (start + warmup, start + warmup + duration)
    measuring = lambda: window[0] <= loop.time() < window[1]  # noqa: E731
    loop.call_at(window[0], on_window)
    loop.call_at(window[1], on_window)

    async def worker(number: int) -> None:
        rng = random.Random(number)
        while loop.time() < window[1]:
            client = Client(base, stats, measuring)
            flow = make_flow(client, rng)
            if flow is None:
                return
            try:
                await flow
            except StepError as exc:
                stats.errors += 1
                stats.error_samples[re.sub(r"/(s|r)/[\w-]{8,}", r"/\1/…", str(exc))] += 1
                continue
            stats.completed_total += 1
            stats.flow_requests += client.requests
            now = loop.time()
            if window[0] <= now < window[1]:
                stats.completed += 1
                stats.completion_times.append(now - window[0])

    await asyncio.gather(*(worker(i) for i in range(clients)))


@dataclass(frozen=True)
class Flow:
    """A respondent flow the bench can drive."""

    name: str  # as --flow names it
    title: str
    run: object  # async (client, token, rng, picks) -> the submission id sent, or None
    steps: list[str]  # the client's steps, in order, for the report
    server_steps: list  # patterns naming the server's steps (server_times)
    page: str  # the step that is "the respondent's page"
    target: float  # flows/s (issue 9 and the one-page survey's issue)


@dataclass
class FlowRun:
    """One phase of one flow: its numbers, the links it took and the submission ids it sent."""

    flow: Flow
    stats: Stats
    window: Window
    started: list[str] = field(default_factory=list)  # every link token a flow of this phase took
    keys: dict[str, str] = field(default_factory=dict)  # token -> the submission id its completed flow sent
    server: dict[str, list[float]] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)  # CPU ms per flow by process
    ran_out: bool = False


# --------------------------------------------------------------------------- measuring and reporting

# The server's steps (gunicorn's "method path"), per phase: the first pattern that matches names the step.
JS_SERVER_STEPS = [
    (re.compile(r"^GET /s/survey$"), "document"),
    (re.compile(r"^POST /s/survey/submit$"), "submit"),
    (re.compile(r"^GET /s/thanks$"), "thanks"),
    (re.compile(r"^GET /s/[^/]+$"), "open link"),
]
SERVER_STEPS = [
    (re.compile(r"^GET /s/survey$"), "intro"),
    (re.compile(r"^GET /s/survey/\d+$"), "page (GET)"),
    (re.compile(r"^POST /s/survey/\d+$"), "page (POST)"),
    (re.compile(r"^GET /s/survey/confirm$"), "confirm"),
    (re.compile(r"^POST /s/survey/confirm$"), "submit"),
    (re.compile(r"^GET /s/thanks$"), "thanks"),
    (re.compile(r"^GET /s/[^/]+$"), "open link"),
    (re.compile(r"^GET /r/[^/]+/thanks$"), "rating thanks"),
    (re.compile(r"^GET /r/[^/]+$"), "rating page"),
    (re.compile(r"^POST /r/[^/]+$"), "rate (POST)"),
]


def server_times(log: Path, start: int, end: int, steps=SERVER_STEPS) -> dict[str, list[float]]:
    """Milliseconds per step from gunicorn's access log (%(D)s), between two byte offsets."""
    out: dict[str, list[float]] = defaultdict(list)
    with open(log, "rb") as f:
        f.seek(start)
        chunk = f.read(end - start).decode("utf-8", "replace")
    for line in chunk.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        method, path, _status, micros = parts
        for pattern, step in steps:
            if pattern.match(f"{method} {path}"):
                out[step].append(int(micros) / 1000)
                break
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's master and workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


def database_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the bench database (same machine), by pid."""
    import psycopg

    name = _database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))]
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # not on this machine, or gone
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


@dataclass
class Window:
    """Byte offsets of the access log and CPU counters at the edges of the measured window."""

    log: Path
    server_pid: int
    database_url: str
    marks: list[tuple[int, float, float, dict[int, float]]] = field(default_factory=list)

    def mark(self) -> None:
        self.marks.append((self.log.stat().st_size if self.log.exists() else 0, cpu_seconds(self.server_pid),
                           sum(os.times()[:2]), database_cpu(self.database_url)))

    def cpu(self) -> tuple[float, float, float]:
        """Server (gunicorn), driver and PostgreSQL CPU seconds between the two marks."""
        (_, server0, driver0, db0), (_, server1, driver1, db1) = self.marks[:2]
        database = sum(seconds - db0.get(pid, 0.0) for pid, seconds in db1.items())
        return server1 - server0, driver1 - driver0, database


def print_table(title: str, steps: list[str], stats: Stats, server: dict[str, list[float]], seconds: float) -> None:
    print(f"\n{title}")
    print(f"{'step':<15} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
          f" | {'server p50':>10} {'p95':>7} {'p99':>7}")
    for step in steps:
        client = stats.latencies.get(step, [])
        srv = server.get(step, [])
        slowest = max(client, default=float("nan"))
        print(f"{step:<15} {len(client):>8} {len(client) / seconds:>7.1f} {percentile(client, 50):>8.1f}"
              f" {percentile(client, 95):>8.1f} {percentile(client, 99):>8.1f} {slowest:>8.1f}"
              f" | {percentile(srv, 50):>10.1f} {percentile(srv, 95):>7.1f} {percentile(srv, 99):>7.1f}")


def print_cpu(window: Window, stats: Stats, seconds: float, unit: str) -> dict[str, float]:
    """CPU used in the window, and per completed flow: the window's CPU per request times a flow's requests.
    Returns the milliseconds per flow by process (empty if nothing completed)."""
    server, driver, database = window.cpu()
    cores = os.cpu_count()
    print(f"  CPU in the window: gunicorn {server:.1f} s, PostgreSQL {database:.1f} s, driver {driver:.1f} s "
          f"= {(server + driver + database) / (cores * seconds) * 100:.0f}% of {cores} cores for {seconds:.0f} s "
          "(the rest went to other processes, or idled)")
    requests = sum(len(v) for v in stats.latencies.values())
    if requests and stats.completed_total:
        per_flow = stats.requests_per_flow()
        cost = {name: cpu / requests * per_flow * 1000
                for name, cpu in (("gunicorn", server), ("PostgreSQL", database), ("driver", driver))}
        total = sum(cost.values())
        print(f"  CPU per {unit} ({per_flow:.1f} requests): " + ", ".join(f"{k} {v:.1f} ms" for k, v in cost.items())
              + f"; total {total:.1f} ms: {cores} idle cores would do at most {cores * 1000 / total:.0f} {unit}s/s")
        return cost
    return {}


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"nproc={os.cpu_count()}  cpu={model!r}  python={platform.python_version()}  "
            f"load average={' '.join(f'{x:.2f}' for x in os.getloadavg())}")


FLOWS = {
    "js": Flow("js", "JS flow (the one-page survey: link, document, one POST, thanks)", one_page_flow,
               ["open link", "document", "submit", "thanks"], JS_SERVER_STEPS, "document", TARGET_FLOWS_PER_SECOND),
    "nojs": Flow("nojs", "no-JS flow (server-paged: link, document, each page GET and POST, confirm, submit, thanks)",
                 respondent_flow, ["open link", "intro", "page (GET)", "page (POST)", "confirm", "submit", "thanks"],
                 SERVER_STEPS, "page (GET)", TARGET_NOJS_FLOWS_PER_SECOND),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="PostgreSQL; its name must contain 'bench'")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="rate-limit storage shared by the workers")
    parser.add_argument("--flow", default="both", choices=["both", "js", "nojs"],
                        help="the respondent flow(s): the one-page survey (js), the server-paged one (nojs), or both, "
                             "one phase after the other")
    parser.add_argument("--clients", type=int, default=50, help="concurrent respondents")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds of each respondent phase")
    parser.add_argument("--warmup", type=float, default=5, help="seconds before the measurement starts")
    parser.add_argument("--rt-clients", type=int, default=None, help="concurrent raters (default: --clients)")
    parser.add_argument("--rt-duration", type=float, default=30, help="measured seconds of the rating phase (0: skip)")
    parser.add_argument("--invitations", type=int, default=None,
                        help="invitations (one link each) to prepare (default: 20,000 per respondent phase)")
    parser.add_argument("--picks", type=int, default=1, help="departments each respondent rates")
    parser.add_argument("--points", type=int, default=300,
                        help="service points the ratings are spread over (each takes 60 ratings a minute)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (gthread)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--app", default="wsgi:app", help="the WSGI application gunicorn serves (for experiments)")
    parser.add_argument("--keep-logs", action="store_true", help="keep gunicorn's logs (their folder is printed)")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database after the run")
    args = parser.parse_args()
    rt_clients = args.rt_clients or args.clients
    flows = [FLOWS["js"], FLOWS["nojs"]] if args.flow == "both" else [FLOWS[args.flow]]
    invitations = args.invitations or 20000 * len(flows)

    from cryptography.fernet import Fernet

    # The production configuration, exactly: APP_ENV=production refuses to start without these.
    env = dict(os.environ, APP_ENV="production", SECRET_KEY=secrets.token_urlsafe(48),
               PHONE_ENCRYPTION_KEY=Fernet.generate_key().decode(), SMS_BACKEND="aliyun",
               DATABASE_URL=args.database_url, REDIS_URL=args.redis_url,
               RATELIMIT_KEY_PREFIX=f"bench-load-{os.getpid()}", PROXY_FIX_X_FOR="1")
    os.environ.update({k: env[k] for k in ("APP_ENV", "SECRET_KEY", "PHONE_ENCRYPTION_KEY", "SMS_BACKEND",
                                           "DATABASE_URL", "REDIS_URL", "RATELIMIT_KEY_PREFIX", "PROXY_FIX_X_FOR")})

    import redis

    try:
        redis.Redis.from_url(args.redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {args.redis_url} does not answer ({exc}): production keeps the rate limits there; "
                         "start it or pass --redis-url") from None
    print(f"machine: {machine()}")
    points = args.points
    started = time.perf_counter()
    reset_database(args.database_url)
    prepared = prepare(invitations, points if args.rt_duration else 0)
    print(f"prepared in {time.perf_counter() - started:.1f} s: {len(prepared.tokens):,} invitations with a link each, "
          f"{prepared.departments} departments, {len(prepared.point_slugs)} service points")

    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    server = start_server(args, folder, env)
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    print(f"gunicorn: {args.workers} workers, {args.worker_class}{threads}, APP_ENV=production, {server.base}")
    ok = True
    runs: list[FlowRun] = []
    try:
        next_token = 0  # the links not taken yet: each phase takes its own

        for flow in flows:
            run = FlowRun(flow, Stats(), Window(server.access_log, server.process.pid, args.database_url))
            runs.append(run)

            def survey_flow(client, rng, run=run):
                nonlocal next_token
                if next_token == len(prepared.tokens):
                    run.ran_out = True
                    return None
                token = prepared.tokens[next_token]
                next_token += 1
                run.started.append(token)

                async def go():
                    key = await run.flow.run(client, token, rng, args.picks)
                    run.stats.finished.append(token)
                    if key is not None:
                        run.keys[token] = key
                return go()

            print(f"running the {flow.name} flow: {args.warmup:.0f} s of warm-up, then {args.duration:.0f} s", flush=True)
            asyncio.run(run_phase(server.base, args.clients, args.duration, args.warmup, survey_flow, run.stats,
                                  run.window.mark))
            if run.ran_out:
                print(f"WARNING: every invitation was used before the end of the {flow.name} phase: raise --invitations",
                      file=sys.stderr)
                ok = False
            time.sleep(0.5)  # the last access-log lines

        rt_stats, rt_window = Stats(), Window(server.access_log, server.process.pid, args.database_url)
        if args.rt_duration:
            slugs = itertools.cycle(prepared.point_slugs)

            def rating(client, rng):
                slug = next(slugs)

                async def flow():
                    await rating_flow(client, slug, rng)
                    rt_stats.finished.append(slug)
                return flow()

            asyncio.run(run_phase(server.base, rt_clients, args.rt_duration, min(args.warmup, 2), rating, rt_stats,
                                  rt_window.mark))
            time.sleep(0.5)
    finally:
        server.stop()

    # ---- report
    print(f"\nmachine after the run: {machine()}")
    for run in runs:
        stats = run.stats
        run.server = server_times(server.access_log, run.window.marks[0][0], run.window.marks[1][0],
                                  run.flow.server_steps)
        print(f"\nRespondent flow: {run.flow.title}; {args.clients} clients, {args.duration:.0f} s measured after "
              f"{args.warmup:.0f} s of warm-up, {args.picks} department(s) rated per flow")
        print(f"  completed flows in the window: {stats.completed:,}  ->  {stats.completed / args.duration:.1f} flows/s")
        buckets = defaultdict(int)
        for t in stats.completion_times:
            buckets[int(t // 10)] += 1
        print("  flows/s in each 10 s: " + " ".join(f"{buckets[b] / 10:.1f}" for b in range(int(args.duration // 10))))
        run.cost = print_cpu(run.window, stats, args.duration, "flow")
        print(f"  errors: {stats.errors}")
        for message, n in sorted(stats.error_samples.items(), key=lambda x: -x[1])[:10]:
            print(f"    {n} x {message}")
        print_table("  per request (client side: from sending to the last byte; server: gunicorn %(D)s)",
                    run.flow.steps, stats, run.server, args.duration)

    if args.rt_duration:
        rt_server = server_times(server.access_log, rt_window.marks[0][0], rt_window.marks[1][0])
        print(f"\nReal-time rating: {rt_clients} clients, {args.rt_duration:.0f} s, each rating from a fresh device "
              f"over {len(prepared.point_slugs)} service points")
        print(f"  completed ratings in the window: {rt_stats.completed:,}  ->  "
              f"{rt_stats.completed / args.rt_duration:.1f} ratings/s; errors: {rt_stats.errors}")
        print_cpu(rt_window, rt_stats, args.rt_duration, "rating")
        for message, n in sorted(rt_stats.error_samples.items(), key=lambda x: -x[1])[:10]:
            print(f"    {n} x {message}")
        print_table("  per request", ["rating page", "rate (POST)", "rating thanks"], rt_stats, rt_server,
                    args.rt_duration)

    counts = check_database(prepared.campaign_id, runs)
    flows_done = sum(run.stats.completed_total for run in runs)
    print(f"\nDatabase check: {flows_done:,} completed flows (warm-up and the last flows included: " +
          ", ".join(f"{run.flow.name} {run.stats.completed_total:,}" for run in runs) + "); " +
          ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    checks = {
        "responses (sealed + released) == completed flows": counts["sealed"] + counts["released"] == flows_done,
        "submission marks == completed flows": counts["submissions"] == flows_done,
        "no draft left": counts["drafts left"] == 0,
    }
    for run in runs:
        name, done = run.flow.name, run.stats.completed_total
        checks[f"{name}: every completed flow's link has exactly one submission mark"] = (
            counts[f"{name}: marks of its completed links"] == done == len(set(run.stats.finished)))
        checks[f"{name}: each mark carries the id the flow sent" + (" (none)" if name == "nojs" else "")] = (
            counts[f"{name}: marks with the id it sent"] == done)
        if name == "js":
            checks["js: no draft for any link the JS flow took"] = counts["js: drafts of its links"] == 0
    checks["ratings == completed rating flows"] = counts["ratings"] == rt_stats.completed_total
    checks["no errors"] = all(run.stats.errors == 0 for run in runs) and rt_stats.errors == 0
    for name, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAILED'}] {name}")
        ok &= passed

    print(f"\nThe flows side by side ({args.clients} clients, {args.duration:.0f} s each; page = "
          + ", ".join(f"{run.flow.page} for {run.flow.name}" for run in runs) + "):")
    print(f"{'flow':<5} {'req/flow':>8} {'flows/s':>8} {'submit p50':>10} {'p99':>6} {'page p50':>8} {'p99':>6}"
          f" {'page srv p50':>12} {'errors':>6} | CPU ms per flow: {'gunicorn':>8} {'PG':>5} {'driver':>6} {'total':>6}")
    for run in runs:
        stats, cost = run.stats, run.cost
        submit = stats.latencies.get("submit", [])
        page = stats.latencies.get(run.flow.page, [])
        print(f"{run.flow.name:<5} {stats.requests_per_flow():>8.1f} {stats.completed / args.duration:>8.1f}"
              f" {percentile(submit, 50):>10.1f} {percentile(submit, 99):>6.1f} {percentile(page, 50):>8.1f}"
              f" {percentile(page, 99):>6.1f} {percentile(run.server.get(run.flow.page, []), 50):>12.1f}"
              f" {stats.errors:>6} |                  {cost.get('gunicorn', float('nan')):>8.1f}"
              f" {cost.get('PostgreSQL', float('nan')):>5.1f} {cost.get('driver', float('nan')):>6.1f}"
              f" {sum(cost.values()) if cost else float('nan'):>6.1f}")

    print("\nTargets (issue 9; 2 cores, driver included):")
    for run in runs:
        flows_per_second = run.stats.completed / args.duration
        submit_p99 = percentile(run.stats.latencies.get("submit", []), 99)
        page_server_p50 = percentile(run.server.get(run.flow.page, []), 50)
        marks = [(f"flows/s >= {run.flow.target:.0f}", f"{flows_per_second:.1f}", flows_per_second >= run.flow.target),
                 (f"submit p99 < {TARGET_SUBMIT_P99_MS} ms", f"{submit_p99:.1f} ms", submit_p99 < TARGET_SUBMIT_P99_MS),
                 (f"page server p50 < {TARGET_PAGE_SERVER_P50_MS} ms", f"{page_server_p50:.1f} ms",
                  page_server_p50 < TARGET_PAGE_SERVER_P50_MS),
                 ("0 errors", str(run.stats.errors), run.stats.errors == 0)]
        print(f"  {run.flow.name}: " + "; ".join(f"{what}: {value} ({'met' if met else 'NOT met'})"
                                                 for what, value, met in marks))
    if args.keep_logs:
        print(f"\ngunicorn logs: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    forget_rate_limits(args.redis_url, env["RATELIMIT_KEY_PREFIX"])
    if not args.keep_db:
        drop_database(args.database_url)
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
