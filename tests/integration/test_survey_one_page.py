"""The one-page survey: one document, one POST checked like the paged flow, nothing lost between tabs or retries."""
import gzip
import re
import secrets as random

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import InvitationSubmission, SurveyDraft
from tests.integration.survey_helpers import RATINGS, issue_secrets, open_round
from tests.integration.test_survey import answer_everything, post_page, ratings, submit, token_of

SCRIPT = {"X-Survey-Flow": "one-page", "Accept": "application/json"}


@pytest.fixture
def round_with_links(app, make_department):
    campaign = open_round(make_department)
    return campaign, issue_secrets(campaign, "link")


def opened(client, token: str) -> str:
    """Follow the SMS link; the one-page document's CSRF token."""
    client.get(f"/s/{token}")
    return token_of(client.get("/s/survey").get_data(as_text=True))


def answers(code: str = "SCJG", value: str = "4", **extra) -> dict:
    return {"departments": [code], **ratings(code, value), "q__general_comment": "一次提交", **extra}


def post(client, csrf: str, data: dict, key: str | None = None):
    return client.post("/s/survey/submit", headers=SCRIPT,
                       data={"csrf_token": csrf, "submission_id": key or random.token_hex(16), **data})


def stored() -> list[tuple]:
    return sorted(db.session.execute(select(ResponseAnswer.question, ResponseAnswer.value)).all(), key=repr)


def test_one_post_stores_exactly_what_the_paged_flow_stores_and_never_a_draft(client, round_with_links):
    _campaign, links = round_with_links
    # the paged flow, for the comparison
    client.get(f"/s/{links[0][1]}")
    assert post_page(client, 1, {}).status_code == 302
    assert post_page(client, 2, {"departments": ["SCJG"]}).status_code == 302
    assert post_page(client, 3, ratings("SCJG", "4")).status_code == 302
    assert post_page(client, 4, {"q__general_comment": "一次提交"}).status_code == 302
    assert submit(client).headers["Location"] == "/s/thanks"
    paged = stored()
    db.session.execute(ResponseAnswer.__table__.delete())
    db.session.execute(Response.__table__.delete())
    db.session.commit()

    other = client.application.test_client()
    csrf = opened(other, links[1][1])
    key = random.token_hex(16)
    done = post(other, csrf, answers(), key)
    assert done.status_code == 303 and done.headers["Location"] == "/s/thanks"
    assert stored() == paged  # same tables, same rows: the flows cannot be told apart from the responses
    assert db.session.get(SurveyDraft, links[1][0].id) is None  # the one-page flow keeps nothing on the server
    assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
    assert db.session.get(InvitationSubmission, links[1][0].id).submission_key == key
    assert "已提交，感谢参与" in other.get("/s/thanks").get_data(as_text=True)


def test_a_retry_is_thanked_and_a_different_second_submission_refused(client, round_with_links):
    _campaign, links = round_with_links
    csrf = opened(client, links[0][1])
    key = random.token_hex(16)
    assert post(client, csrf, answers(), key).status_code == 303
    # the response to the first POST was lost on a weak signal; the phone sends the same submission again
    retry = post(client, csrf, answers(), key)
    assert retry.status_code == 303 and retry.headers["Location"] == "/s/thanks"
    different = post(client, csrf, answers(value="1"), random.token_hex(16))
    assert different.status_code == 409 and "已经提交过评价" in different.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert {v for q, v in stored() if q == "overall"} == {4}


def test_the_server_checks_everything_again_and_names_what_is_wrong(client, round_with_links):
    _campaign, links = round_with_links
    csrf = opened(client, links[0][1])
    # a dissatisfied overall rating needs its reason (required_if), whatever the browser thought
    refused = post(client, csrf, answers(d__SCJG__overall="2"))
    assert refused.status_code == 422
    assert "d__SCJG__comment" in refused.get_json()["errors"]
    # a level outside the scale, and a department of another round
    assert post(client, csrf, answers(d__SCJG__attitude="9")).status_code == 422
    assert post(client, csrf, {**answers(), "departments": ["XXX"]}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(InvitationSubmission)) == 0
    # answers to departments not picked are dropped, not stored
    kept = post(client, csrf, {**answers(), **ratings("SWJ", "1")})
    assert kept.status_code == 303
    assert {v for q, v in stored() if q in RATINGS} == {4}


def test_two_tabs_of_one_link_share_one_session_and_neither_gets_a_400(client, round_with_links):
    _campaign, links = round_with_links
    token = links[0][1]
    client.get(f"/s/{token}")
    first_tab = client.get("/s/survey/1").get_data(as_text=True)
    client.get(f"/s/{token}")  # the same SMS link opened in a second tab
    second_tab = client.get("/s/survey/1").get_data(as_text=True)
    assert token_of(first_tab) == token_of(second_tab)
    moved = client.post("/s/survey/1", data={"csrf_token": token_of(first_tab), "nav": "next"})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/s/survey/2")


def test_an_expired_form_keeps_what_was_typed_in_the_surveys_own_style(client, round_with_links):
    _campaign, links = round_with_links
    client.get(f"/s/{links[0][1]}")
    post_page(client, 1, {})
    post_page(client, 2, {"departments": ["SCJG"]})
    stale = client.post("/s/survey/3", data={"csrf_token": "stale", "nav": "next", **ratings("SCJG", "2"),
                                             "d__SCJG__comment": "排队太久"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 400
    assert 'value="排队太久"' in html and 'name="d__SCJG__overall" value="2"' in html  # nothing typed is lost
    assert "/login" not in html and "/assets/css/survey." in html  # the survey's page, never the staff's
    again = client.post("/s/survey/3", data={"csrf_token": token_of(html), "nav": "next", **ratings("SCJG", "2"),
                                             "d__SCJG__comment": "排队太久"})
    assert again.status_code == 302  # one press sends it
    csrf_refused = client.post("/s/survey/submit", headers=SCRIPT, data={"csrf_token": "stale", **answers()})
    assert csrf_refused.status_code == 400 and csrf_refused.get_json()["csrf_token"]


def test_back_and_reload_after_submitting_thank_instead_of_calling_the_link_invalid(client, round_with_links):
    _campaign, links = round_with_links
    client.get(f"/s/{links[0][1]}")
    answer_everything(client)
    assert submit(client).status_code == 302
    for path in ("/s/survey", "/s/survey/2", "/s/survey/confirm", f"/s/{links[0][1]}"):
        page = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "已提交，感谢参与" in page and "无效" not in page


def test_the_page_is_light_and_repeats_no_department(client, app, make_department):
    campaign = open_round(make_department, more_departments=27)
    assert len(campaign.departments) == 30
    links = issue_secrets(campaign, "link")
    client.get(f"/s/{links[0][1]}")
    page = client.get("/s/survey")
    html = page.get_data()
    assert html.count(b'name="d__{dept}__attitude"') == 6  # one department page in a template (six levels)
    assert html.count(b'name="departments"') == 30
    statics = re.findall(rb'(?:href|src)="(/assets/[^"]+)"', html)
    assert len(statics) == 3  # the stylesheet, the script, the icon
    bodies = [client.get(url.decode()) for url in statics]
    for body in bodies:
        assert body.status_code == 200
        assert body.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    total = len(html) + sum(len(b.get_data()) for b in bodies)
    wire = len(gzip.compress(html, 6)) + sum(len(gzip.compress(b.get_data(), 6)) for b in bodies)
    assert total <= 80_000, total
    assert wire <= 30_000, wire
    assert client.get("/favicon.ico").status_code == 200


def test_a_static_file_under_an_old_name_is_served_briefly_and_a_wrong_name_not_at_all(client):
    assert client.get("/assets/css/survey.0000000000.css").headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/assets/css/nothing.0000000000.css").status_code == 404
    assert client.get("/assets/../config.0000000000.py").status_code == 404


def test_the_phone_keeps_answers_under_a_key_of_the_session_and_forgets_them_when_the_survey_ends(
        client, app, round_with_links):
    _campaign, links = round_with_links
    client.get(f"/s/{links[0][1]}")
    first = re.search(r'data-store="([0-9a-f]+)"', client.get("/s/survey").get_data(as_text=True)).group(1)
    other = app.test_client()
    other.get(f"/s/{links[1][1]}")
    second = re.search(r'data-store="([0-9a-f]+)"', other.get("/s/survey").get_data(as_text=True)).group(1)
    assert first != second and links[0][1] not in first  # two respondents, two keys; never the token
    thanks = client.get("/s/thanks").get_data(as_text=True)
    assert "data-survey-ended" in thanks and "/assets/js/survey." in thanks  # the script clears what was kept


def test_no_label_can_break_out_of_the_pages_data(client, app, make_department):
    campaign = open_round(make_department)
    from app.departments.models import Department

    department = db.session.scalars(select(Department).where(Department.code == "SCJG")).one()
    department.name = "</script><!--<script>市场局&"
    db.session.commit()
    links = issue_secrets(campaign, "link")
    client.get(f"/s/{links[0][1]}")
    html = client.get("/s/survey").get_data(as_text=True)
    data = html.split('<script type="application/json" id="survey-spec">')[1].split("</script>")[0]
    assert "<" not in data and ">" not in data and "&" not in data
    assert "\\u003c/script\\u003e\\u003c!--" in data
