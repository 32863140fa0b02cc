"""Every state change is a POST with a CSRF token; a GET changes nothing (apart from the few writes listed here).

Without a token, every POST route answers 400 with a message that says what to do, and no row of any table
changes. Every GET route, as an administrator and as an anonymous visitor, leaves every table as it was —
except the writes in KNOWN_GET_WRITES, each with its reason.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.rounds.models import Invitation
from tests.conftest import PASSWORD
from tests.integration.survey_helpers import issue_secrets, open_round
from tests.integration.test_access_matrix import url_values, world  # noqa: F401  (the fixture world)

# GET routes that write, and what they may write.
KNOWN_GET_WRITES = {
    # Reading a complaint file (with the complainant's identity) is itself recorded.
    "complaints.detail": ({"audit_log"}, {"complaint.view"}),
    "forum.problem": ({"audit_log"}, {"forum.view"}),  # so is a forum problem's page, with the enterprise
    # Bulk exports and downloads of personal or sensitive data are recorded: who took what, when.
    "complaints.export": ({"audit_log"}, {"complaint.export"}),
    "complaints.attachment": ({"audit_log"}, {"complaint.attachment.download"}),
    "realtime.channel_csv": ({"audit_log"}, {"realtime.export"}),
    "pool.export": ({"audit_log"}, {"pool.export"}),
    "audit.export": ({"audit_log"}, {"audit.export"}),
    "assessment.export_xlsx": ({"audit_log"}, {"assessment.export"}),
    "assessment.export_csv": ({"audit_log"}, {"assessment.export"}),
    # Opening the survey counts the invitation as opened (on the page after the link, which scanners don't reach).
    "survey.intro": ({"invitations"}, set()),
    # Staged pool uploads past their lifetime are deleted whenever the preview is looked up.
    "pool.import_preview": ({"staged_imports"}, set()),
}

CSRF_MESSAGE = "The form expired or was sent from another site. Please reload the page and try again."
# The respondent's pages answer in the survey's own style and keep what was typed (app/survey/routes.py).
SURVEY_CSRF_MESSAGE = "Nothing was lost: check the answers and press the button again."


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    db.session.expire_all()
    with db.engine.connect() as connection:
        return {table.name: sorted(repr(tuple(row)) for row in connection.execute(select(table)))
                for table in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def client_for(app, world, who: str):
    client = app.test_client()
    client.set_cookie("lang", "en")
    if who == "admin":
        user = world.users["admin"]
        assert client.post_form("/login", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def routes_with(app, method: str):
    return sorted((r.endpoint, set(r.arguments), r.methods) for r in app.url_map.iter_rules() if method in r.methods)


def public(app, endpoint: str) -> bool:
    from app.platform.access import rule_for

    return rule_for(endpoint).public


def build(app, endpoint, arguments, world):
    with app.test_request_context():
        return url_for(endpoint, **url_values(endpoint, arguments, world, real=True))


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(app, world):
    admin, anonymous = client_for(app, world, "admin"), client_for(app, world, "anonymous")
    posts = [r for r in routes_with(app, "POST") if r[0] != "static"]
    assert len(posts) > 50
    problems = []
    for endpoint, arguments, _methods in posts:
        client = anonymous if public(app, endpoint) else admin
        url = build(app, endpoint, arguments, world)
        before = snapshot()
        response = client.post(url, data={"reason": "x" * 10, "note": "x", "active": "0", "password": "x" * 12})
        after = snapshot()
        expected = SURVEY_CSRF_MESSAGE if endpoint.startswith("survey.") else CSRF_MESSAGE
        if response.status_code != 400 or expected not in response.get_data(as_text=True):
            problems.append(f"{endpoint} {url}: {response.status_code}")
        if changed_tables(before, after):
            problems.append(f"{endpoint} {url} changed {sorted(changed_tables(before, after))}")
    assert problems == [], "\n".join(problems)
    assert admin.get("/").status_code == 200  # the admin is still logged in: even /logout needed the token


def test_post_only_routes_refuse_get(app, world):
    admin = client_for(app, world, "admin")
    # A POST whose address also shows a page (another endpoint's GET: a form and its action) is not POST-only.
    shown = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    post_rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    post_only = [r for r in routes_with(app, "POST") if "GET" not in r[2] and post_rules[r[0]] not in shown]
    problems = []
    for endpoint, arguments, _methods in post_only:
        url = build(app, endpoint, arguments, world)
        before = snapshot()
        status = admin.get(url).status_code
        if status != 405 or changed_tables(before, snapshot()):
            problems.append(f"{endpoint} {url}: {status}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_no_get_changes_state(app, world, who):
    client = client_for(app, world, who)
    problems = []
    for endpoint, arguments, _methods in routes_with(app, "GET"):
        if who == "anonymous" and not public(app, endpoint):
            continue  # refused before the view runs (see test_access_matrix)
        url = build(app, endpoint, arguments, world)
        before_id = db.session.scalar(select(db.func.max(AuditEntry.id))) or 0
        before = snapshot()
        response = client.get(url)
        changed = changed_tables(before, snapshot())
        tables, actions = KNOWN_GET_WRITES.get(endpoint, (set(), set()))
        new_actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > before_id)))
        if response.status_code >= 500 or changed - tables or not new_actions <= actions:
            problems.append(f"{endpoint} {url} ({response.status_code}) changed {sorted(changed)} {new_actions}")
    assert problems == [], "\n".join(problems)
    assert client.get("/").status_code == (200 if who == "admin" else 302)


def test_the_respondent_pages_write_only_the_opened_mark(app, make_department):
    """Following the SMS link and reading the survey pages changes nothing but the invitation's opened mark."""
    campaign = open_round(make_department)
    invitation, token = issue_secrets(campaign)[0]
    respondent = app.test_client()
    before = snapshot()
    assert urlsplit(respondent.get(f"/s/{token}").headers["Location"]).path == "/s/survey"
    assert changed_tables(before, snapshot()) == set()  # the token exchange itself writes nothing
    assert respondent.get("/s/survey").status_code == 200
    assert changed_tables(before, snapshot()) == {"invitations"}
    assert db.session.get(Invitation, invitation.id).opened
    before = snapshot()
    for path in ("/s/survey", "/s/survey/1", "/s/survey/2", "/s/survey/confirm", "/s/thanks"):
        assert respondent.get(path).status_code in (200, 302), path
    assert changed_tables(before, snapshot()) == set()  # opened once; the pages only read
