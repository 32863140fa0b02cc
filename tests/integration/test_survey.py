"""The respondent's survey, without JavaScript: links, codes, pages, drafts, one submission, anonymity."""
import hashlib
import re
import threading

import pytest
from sqlalchemy import DateTime, Integer, func, select

from app.departments.models import Department
from app.extensions import db
from app.responses.models import Response, ResponseAnswer, SealedResponse
from app.rounds.models import (
    Campaign,
    CampaignStatus,
    Invitation,
    InvitationSubmission,
    InvitationToken,
    LinkMode,
    SurveyDraft,
)
from app.survey import answering
from tests.conftest import on_postgres
from tests.integration.survey_helpers import RATINGS, issue_secrets, open_round

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def token_of(page_html: str) -> str:
    return CSRF.search(page_html).group(1)


def post_page(client, number: int, data: dict, nav: str = "next"):
    html = client.get(f"/s/survey/{number}").get_data(as_text=True)
    return client.post(f"/s/survey/{number}", data={"csrf_token": token_of(html), "nav": nav, **data})


def ratings(code: str, value: str = "5") -> dict:
    return {f"d__{code}__{key}": value for key in RATINGS}


def answer_everything(client, picks=("SCJG", "SWJ")) -> None:
    assert post_page(client, 1, {}).headers["Location"].endswith("/s/survey/2")
    assert post_page(client, 2, {"departments": list(picks)}).status_code == 302
    for number, code in enumerate(picks, start=3):
        assert post_page(client, number, ratings(code, "4")).status_code == 302
    closing = len(picks) + 3
    assert post_page(client, closing, {"q__general_comment": "窗口服务很好"}).headers["Location"].endswith(
        "/s/survey/confirm")


def submit(client):
    html = client.get("/s/survey/confirm").get_data(as_text=True)
    return client.post("/s/survey/confirm", data={"csrf_token": token_of(html)})


@pytest.fixture
def round_with_links(app, make_department):
    campaign = open_round(make_department)
    return campaign, issue_secrets(campaign, "link")


def test_the_link_is_exchanged_for_a_session_and_a_clean_url(client, round_with_links):
    _campaign, secrets = round_with_links
    _invitation, token = secrets[0]
    response = client.get(f"/s/{token}")
    assert response.status_code == 302 and response.headers["Location"] == "/s/survey"
    assert token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    intro = client.get("/s/survey")
    # The clean pages carry no secret: their address may go back to this site (CSRF over HTTPS needs it).
    assert "随机抽取" in intro.get_data(as_text=True) and intro.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in intro.headers["Cache-Control"]


def test_over_https_the_pages_let_the_browser_send_the_referer_csrf_checks(client, round_with_links):
    """Flask-WTF refuses an HTTPS POST without a same-origin Referer: a no-referrer page could never submit."""
    _campaign, secrets = round_with_links
    https = "https://localhost"
    opened = client.get(f"/s/{secrets[0][1]}", base_url=https)
    assert opened.headers["Referrer-Policy"] == "no-referrer"  # the address with the token goes nowhere
    page = client.get("/s/survey/1", base_url=https)
    html = page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "same-origin" and 'name="referrer"' not in html
    data = {"csrf_token": token_of(html), "nav": "next"}
    # What a browser sends under no-referrer: refused, nothing saved.
    assert client.post("/s/survey/1", base_url=https, data=data).status_code == 400
    assert db.session.scalars(select(SurveyDraft)).first() is None
    # What it sends under same-origin: the page's own address.
    accepted = client.post("/s/survey/1", base_url=https, data=data, headers={"Referer": f"{https}/s/survey/1"})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith("/s/survey/2")


def test_survey_pages_leave_the_cookies_alone_once_the_session_is_set(client, round_with_links):
    """A respondent is never logged in: no page rewrites the session cookie or deletes a remember-me cookie."""
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    client.get("/s/survey/1")  # the first form stores its CSRF secret in the session
    for path in ("/s/survey", "/s/survey/1", "/s/survey/2"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.getlist("Set-Cookie") == [], path


def test_tokens_are_stored_only_as_hashes(round_with_links):
    _campaign, secrets = round_with_links
    stored = {t.secret_hash for t in db.session.scalars(select(InvitationToken))}
    assert len(stored) == len(secrets)
    for _invitation, token in secrets:
        assert len(token) >= 22  # 128 random bits in URL-safe base64
        assert token not in stored and all(token not in h for h in stored)
        # what is stored is the token's SHA-256, so the database alone cannot open the link
        assert hashlib.sha256(f"link:{token}".encode()).hexdigest() in stored


def test_full_flow_without_javascript_stores_an_anonymous_response(client, round_with_links):
    campaign, secrets = round_with_links
    invitation, token = secrets[0]
    client.get(f"/s/{token}")
    answer_everything(client)
    confirm = client.get("/s/survey/confirm").get_data(as_text=True)
    assert "市市场监督管理局" in confirm and "市税务局" in confirm and "市公安局" not in confirm
    done = submit(client)
    assert done.status_code == 302 and done.headers["Location"] == "/s/thanks"
    response = db.session.scalars(select(Response)).one()
    assert response.campaign_id == campaign.id and response.stratum == invitation.stratum
    assert response.inclusion_probability == pytest.approx(invitation.inclusion_probability)
    assert re.fullmatch(r"[0-9a-f]{32}", response.id)
    answers = db.session.scalars(select(ResponseAnswer).where(ResponseAnswer.response_id == response.id)).all()
    by_department = {}
    for a in answers:
        by_department.setdefault(a.department_id, []).append(a)
    scjg = db.session.scalar(select(Department.id).where(Department.code == "SCJG"))
    assert sorted(a.question for a in by_department[scjg]) == sorted(RATINGS)
    assert all(a.score == 80 for a in by_department[scjg])
    assert [a.value for a in by_department[None]] == ["窗口服务很好"]
    assert db.session.get(SurveyDraft, invitation.id) is None  # the draft is gone
    # a second visit with the same link, back and reload: the thanks page, not "invalid link"
    again = client.get(f"/s/{token}")
    assert "已提交，感谢参与" in again.get_data(as_text=True)
    assert "已提交，感谢参与" in client.get("/s/survey").get_data(as_text=True)
    assert "已提交，感谢参与" in client.get("/s/survey/confirm").get_data(as_text=True)


def test_a_comment_is_required_only_for_bad_ratings(client, round_with_links):
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    post_page(client, 1, {})
    post_page(client, 2, {"departments": ["SCJG"]})
    bad = ratings("SCJG", "4") | {"d__SCJG__overall": "2"}
    page = post_page(client, 3, bad)
    assert page.status_code == 200 and "必答" in page.get_data(as_text=True)
    assert post_page(client, 3, bad | {"d__SCJG__comment": "等了两个小时"}).status_code == 302
    assert post_page(client, 3, ratings("SCJG", "3")).status_code == 302  # 基本满意: no comment needed
    post_page(client, 4, {})
    submit(client)
    assert "comment" not in set(db.session.scalars(select(ResponseAnswer.question)))


def test_not_familiar_is_stored_as_missing_not_zero(client, round_with_links):
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    post_page(client, 1, {})
    post_page(client, 2, {"departments": ["GAJ"]})
    post_page(client, 3, ratings("GAJ", "5") | {"d__GAJ__policy": "na"})
    post_page(client, 4, {})
    submit(client)
    policy = db.session.scalars(select(ResponseAnswer).where(ResponseAnswer.question == "policy")).one()
    assert policy.value == "na" and policy.score is None


def test_drafts_survive_a_lost_connection(app, round_with_links):
    _campaign, secrets = round_with_links
    first = app.test_client()
    first.get(f"/s/{secrets[0][1]}")
    post_page(first, 1, {})
    post_page(first, 2, {"departments": ["SCJG", "GAJ"]})
    post_page(first, 3, ratings("SCJG", "2") | {"d__SCJG__comment": "材料反复补交"})
    # the phone drops the connection; later the link is opened again in a new browser session
    second = app.test_client()
    second.get(f"/s/{secrets[0][1]}")
    assert "继续" in second.get(f"/s/survey").get_data(as_text=True)
    page3 = second.get("/s/survey/3").get_data(as_text=True)
    assert "材料反复补交" in page3
    assert re.search(r'<input checked[^>]*name="d__SCJG__overall"[^>]*value="2"', page3)
    page2 = second.get("/s/survey/2").get_data(as_text=True)
    assert re.search(r'value="GAJ"[^>]*checked|checked[^>]*value="GAJ"', page2)


def test_back_keeps_answers(client, round_with_links):
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    post_page(client, 1, {})
    post_page(client, 2, {"departments": ["SCJG"]})
    response = post_page(client, 3, {"d__SCJG__attitude": "1"}, nav="back")
    assert response.headers["Location"].endswith("/s/survey/2")
    assert re.search(r'value="1"[^>]*checked|checked[^>]*value="1"', client.get("/s/survey/3").get_data(as_text=True))


def test_unknown_closed_and_used_links_get_their_own_pages(app, client, round_with_links):
    campaign, secrets = round_with_links
    unknown = client.get("/s/" + "x" * 22)
    assert unknown.status_code == 404 and "链接无效或已过期" in unknown.get_data(as_text=True)
    garbage = client.get("/s/%00%27--")
    assert garbage.status_code == 404
    campaign.status = CampaignStatus.closed
    db.session.commit()
    closed = client.get(f"/s/{secrets[1][1]}")
    assert "评价已结束" in closed.get_data(as_text=True)


def test_the_survey_pages_need_the_session(client, round_with_links):
    assert client.get("/s/survey/1").status_code == 404
    assert client.get("/s/survey/confirm").status_code == 404


def test_access_code_mode(app, make_department):
    campaign = open_round(make_department, link_mode=LinkMode.code)
    secrets = issue_secrets(campaign, "code")
    _invitation, code = secrets[0]
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}", code)
    client = app.test_client()
    page = client.get("/s").get_data(as_text=True)
    wrong = client.post("/s", data={"csrf_token": token_of(page), "code": "ABCDEFGHJK"})
    assert "访问码无效" in wrong.get_data(as_text=True)
    typed = f"{code[:5].lower()}-{code[5:]}"  # lower case and a dash, as people type
    opened = client.post("/s", data={"csrf_token": token_of(page), "code": typed})
    assert opened.status_code == 302 and opened.headers["Location"] == "/s/survey"


def test_guessing_access_codes_is_throttled(app, client):
    limit = int(app.config["ACCESS_CODE_RATE_LIMIT"].split()[0])
    page = client.get("/s").get_data(as_text=True)
    statuses = [client.post("/s", data={"csrf_token": token_of(page), "code": f"AAAAAAAA{i:02d}"}).status_code
                for i in range(limit + 1)]
    assert statuses[:limit] == [200] * limit and statuses[-1] == 429


def test_responses_have_no_path_back_to_people():
    """The anonymity promise, in the schema: responses reach no invitation, token, draft or respondent."""
    private = {"invitations", "invitation_tokens", "invitation_submissions", "survey_drafts", "respondents",
               "draw_frame_members", "sms_outbox", "sms_daily_counts"}
    tables = db.metadata.tables
    reachable, frontier = set(), {"responses", "response_answers"}
    while frontier:  # every table reachable by following foreign keys out of the response tables
        name = frontier.pop()
        reachable.add(name)
        for fk in tables[name].foreign_keys:
            if fk.column.table.name not in reachable:
                frontier.add(fk.column.table.name)
    assert not reachable & private
    for name in ("responses", "response_answers"):
        columns = tables[name].columns
        assert not any(isinstance(c.type, DateTime) for c in columns), name  # nothing finer than a day
        assert not any(word in c.name for c in columns for word in ("invitation", "respondent", "phone", "token"))
        assert not isinstance(columns["id"].type, Integer)  # random ids: the order of submissions stays unknown
    # and nothing points from the private side to a response either
    for name in private:
        assert not any(fk.column.table.name in ("responses", "response_answers") for fk in tables[name].foreign_keys)


@pytest.mark.skipif(not on_postgres(), reason="concurrency needs PostgreSQL (SQLite serialises writers)")
def test_fifty_simultaneous_submissions_of_one_token_store_one_response(app, round_with_links):
    _campaign, secrets = round_with_links
    client = app.test_client()
    client.get(f"/s/{secrets[0][1]}")
    answer_everything(client)
    html = client.get("/s/survey/confirm").get_data(as_text=True)
    token = token_of(html)
    cookie = client.get_cookie("session").value
    barrier = threading.Barrier(50)
    results = []

    def one():
        c = app.test_client()
        c.set_cookie("session", cookie)
        barrier.wait()
        results.append(c.post("/s/survey/confirm", data={"csrf_token": token}))

    threads = [threading.Thread(target=one) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(func.count()).select_from(InvitationSubmission)) == 1
    thanked = [r for r in results if r.status_code == 302]
    assert len(thanked) == 1
    others = [r.get_data(as_text=True) for r in results if r.status_code != 302]
    assert len(others) == 49 and all("已经提交" in text for text in others)


def a_page_request_that_has_read_the_invitation(app, round_with_links, draft_seen: bool):
    """A browser on the survey (with a draft saved or not yet), and what a page request of it has read first
    (the invitation, not yet used, in its open round): (browser, visit)."""
    _campaign, secrets = round_with_links
    invitation, token = secrets[0]
    browser = app.test_client()
    browser.get(f"/s/{token}")
    if draft_seen:
        post_page(browser, 1, {})
    seen = answering.visit(invitation.id)
    assert not seen.submitted and (seen.draft_row is not None) == draft_seen
    return browser, seen


@pytest.mark.parametrize("draft_seen", [True, False], ids=["draft seen", "no draft yet"])
def test_a_page_saved_from_another_tab_as_the_survey_is_submitted_leaves_no_draft(app, round_with_links, draft_seen):
    """A second tab's page save that read the invitation just before the first tab submitted saves nothing:
    no answers stay tied to a used invitation, and the second tab is told the survey was submitted."""
    # The second tab's request has read the invitation, as every page does first ...
    first_tab, seen = a_page_request_that_has_read_the_invitation(app, round_with_links, draft_seen)
    # ... when the first tab finishes and submits.
    answer_everything(first_tab)
    assert submit(first_tab).status_code == 302
    # The second tab's save comes last.
    assert answering.save_draft(seen.invitation, {"q__general_comment": "第二个标签页"}) is False
    db.session.commit()
    assert db.session.scalars(select(SurveyDraft)).all() == []
    assert db.session.scalar(select(func.count()).select_from(Response)) + db.session.scalar(
        select(func.count()).select_from(SealedResponse)) == 1


@pytest.mark.parametrize("draft_seen", [True, False], ids=["draft seen", "no draft yet"])
def test_a_page_saved_as_the_round_closes_leaves_no_draft_behind_the_closing(app, round_with_links, draft_seen):
    """Closing deletes the drafts; a page whose request read the round just before must not bring one back."""
    from app.rounds import service as rounds

    campaign, _secrets = round_with_links
    # The page's request has read the invitation and its open round ...
    _browser, seen = a_page_request_that_has_read_the_invitation(app, round_with_links, draft_seen)
    with app.app_context():  # ... when the operator closes the round
        rounds.close(db.session.get(Campaign, campaign.id), None)
    assert answering.save_draft(seen.invitation, {"q__general_comment": "关闭前最后一页"}) is False
    db.session.commit()
    assert db.session.scalars(select(SurveyDraft)).all() == []
    with pytest.raises(answering.RoundClosed):
        answering.submit(seen.invitation, campaign.questionnaire_version_id, [])
    assert db.session.scalar(select(func.count()).select_from(InvitationSubmission)) == 0


def test_respondent_pages_are_light(client, round_with_links):
    """Under 30 KB with their stylesheet and scripts, in at most three requests, nothing from elsewhere."""
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    post_page(client, 1, {})
    post_page(client, 2, {"departments": ["SCJG", "SWJ", "GAJ"]})
    for path in ["/s/survey", "/s/survey/2", "/s/survey/3", "/s"]:
        html = client.get(path).get_data(as_text=True)
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        assert len(assets) <= 2, path
        assert "http://" not in html and "https://" not in html, path
        size = len(html.encode()) + sum(len(client.get(a).data) for a in assets)
        assert size < 30 * 1024, (path, size)


def test_a_page_without_the_csrf_token_saves_nothing(client, round_with_links):
    _campaign, secrets = round_with_links
    client.get(f"/s/{secrets[0][1]}")
    post_page(client, 1, {})
    for nav in ("next", "back"):
        response = client.post("/s/survey/2", data={"nav": nav, "departments": ["SCJG"]})
        assert response.status_code == 400
    assert not re.search(r'checked[^>]*value="SCJG"|value="SCJG"[^>]*checked', client.get("/s/survey/2").get_data(
        as_text=True))


def test_following_the_link_alone_does_not_count_as_opened(app, round_with_links):
    _campaign, secrets = round_with_links
    invitation, token = secrets[0]
    scanner = app.test_client()  # a link scanner: follows the link, keeps no cookie
    scanner.get(f"/s/{token}")
    scanner.delete_cookie("session")
    scanner.get("/s/survey")
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).opened is False
    person = app.test_client()
    person.get(f"/s/{token}", follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).opened is True


def test_links_wait_for_the_opening_day(client, round_with_links):
    from datetime import date, timedelta

    campaign, secrets = round_with_links
    campaign.opens_on = date.today() + timedelta(days=2)
    db.session.commit()
    assert "尚未开始" in client.get(f"/s/{secrets[0][1]}").get_data(as_text=True)


def submit_with(app, token):
    browser = app.test_client()
    browser.get(f"/s/{token}")
    answer_everything(browser)
    assert submit(browser).status_code == 302


def test_responses_are_released_in_batches_and_at_closing(app, round_with_links):
    from app.responses.models import SealedResponse
    from app.rounds import service as rounds

    campaign, secrets = round_with_links
    app.config["RESPONSE_RELEASE_BATCH"] = 3
    counts = []
    for _invitation, token in secrets[:4]:
        submit_with(app, token)
        counts.append((db.session.scalar(select(func.count()).select_from(Response)),
                       db.session.scalar(select(func.count()).select_from(SealedResponse))))
    assert counts == [(0, 1), (0, 2), (3, 0), (3, 1)]
    rounds.close(campaign, None)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 4
    assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 0


@pytest.mark.skipif(not on_postgres(), reason="xmin is PostgreSQL's")
def test_no_response_shares_a_transaction_with_its_submission_mark(app, round_with_links):
    """What an administrator with read access would try: match rows written by the same transaction."""
    from sqlalchemy import text

    _campaign, secrets = round_with_links
    app.config["RESPONSE_RELEASE_BATCH"] = 3
    for _invitation, token in secrets[:6]:
        submit_with(app, token)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 6
    linked = db.session.execute(text(
        "SELECT count(*) FROM responses r JOIN invitation_submissions s ON s.xmin = r.xmin")).scalar()
    assert linked == 0
    batches = db.session.execute(text("SELECT count(DISTINCT xmin::text) FROM responses")).scalar()
    assert batches == 2
