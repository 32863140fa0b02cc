"""The newer question types on the respondent's phone, in both flows: note, date, dropdown, yes/no, ranking,
several short texts and "other, please specify" — shown, checked by the server, stored, scored."""
import json
import secrets as random

import pytest
from sqlalchemy import select

from app.extensions import db
from app.questionnaires import service as questionnaires
from app.responses.models import Response, ResponseAnswer
from questionnaire.examples import new_types_questionnaire
from tests.integration.survey_helpers import issue_secrets, open_round
from tests.integration.test_survey import post_page, submit, token_of

SCRIPT = {"X-Survey-Flow": "one-page", "Accept": "application/json"}

FIRST_PAGE = {
    "q__visited_on": "2024-05-01", "q__district": "d02", "q__online_first": "no", "q__reason": "other",
    "q__reason__other": "朋友介绍", "q__helped_by": ["staff"], "q__priorities__speed": "1",
    "q__priorities__manner": "3", "q__priorities__clarity": "2", "q__contact__name": "张三", "q__reason_more": "补充",
}
DEPARTMENT_PAGE = {"d__SCJG__solved": "no", "d__SCJG__dept_visit": "2024-05-02", "d__SCJG__times": "other",
                   "d__SCJG__times__other": "三次"}
STORED = sorted([
    ("visited_on", "2024-05-01", None), ("district", "d02", 80.0), ("online_first", "no", 50.0),
    ("reason", "other", None), ("reason.other", "朋友介绍", None), ("helped_by", ["staff"], None),
    ("priorities.speed", 1, None), ("priorities.manner", 3, None), ("priorities.clarity", 2, None),
    ("contact.name", "张三", None), ("reason_more", "补充", None),
    ("solved", "no", 0.0), ("dept_visit", "2024-05-02", None), ("times", "other", None), ("times.other", "三次", None),
], key=repr)


@pytest.fixture
def links(app, make_department):
    version = questionnaires.create("新题型", new_types_questionnaire())
    questionnaires.publish(version)
    db.session.commit()
    campaign = open_round(make_department, version=version)
    return [token for _invitation, token in issue_secrets(campaign, "link")]


def stored() -> list[tuple]:
    rows = db.session.execute(select(ResponseAnswer.question, ResponseAnswer.value, ResponseAnswer.score)).all()
    return sorted((tuple(r) for r in rows), key=repr)


def test_the_paged_flow_shows_each_type_as_a_phone_expects_it(client, links):
    client.get(f"/s/{links[0]}")
    html = client.get("/s/survey/1").get_data(as_text=True)
    assert "以下问题约需两分钟。" in html  # the note, as text
    assert '<select id="q__district" name="q__district"><option value="">请选择</option>' in html
    assert 'max="2030-12-31" min="2024-01-01" name="q__visited_on" type="date"' in html
    assert html.count('class="rank"') == 3 and '<label for="q__priorities__manner">态度</label>' in html
    assert '<label for="q__reason__other">请注明</label>' in html and 'value="other"' in html
    assert '<label for="q__contact__unit">单位</label>' in html
    assert 'value="yes"><span>是</span>' in html and 'value="no"><span>否</span>' in html


def test_the_paged_flow_refuses_what_does_not_fit_in_chinese_and_keeps_what_was_typed(client, links):
    client.get(f"/s/{links[0]}")
    bad = {**FIRST_PAGE, "q__visited_on": "2023-12-31", "q__reason__other": "", "q__priorities__clarity": "1"}
    page = post_page(client, 1, bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "日期不能早于 2024-01-01。" in html
    assert "请注明“其他”的具体内容。" in html
    assert html.count("每个名次只能给一项。") == 2  # both items given rank 1
    assert 'value="补充"' in html and '<option selected value="3">3</option>' in html


def test_the_paged_flow_stores_each_answer_with_its_score(client, links):
    client.get(f"/s/{links[0]}")
    assert post_page(client, 1, FIRST_PAGE).status_code == 302
    assert post_page(client, 2, {"departments": ["SCJG"]}).status_code == 302
    # going back shows the answers kept, in their own inputs
    again = client.get("/s/survey/1").get_data(as_text=True)
    assert '<option selected value="d02">城西区</option>' in again and 'value="2024-05-01"' in again
    assert post_page(client, 3, DEPARTMENT_PAGE).headers["Location"].endswith("/s/survey/confirm")
    review = client.get("/s/survey/confirm").get_data(as_text=True)
    assert "<dt>请按重要性排序 · 态度</dt>\n  <dd>3</dd>" in review  # each ranked item with its rank
    assert "主要原因 · 请注明" in review and "朋友介绍" in review
    assert submit(client).headers["Location"] == "/s/thanks"
    assert stored() == STORED


def test_one_post_stores_what_the_paged_flow_stores(client, links):
    client.get(f"/s/{links[1]}")
    document = client.get("/s/survey").get_data(as_text=True)
    spec = json.loads(document.split('id="survey-spec">')[1].split("</script>")[0])
    reads = {q["key"]: q["read"] for q in spec["items"] if "read" in q}
    assert (reads["visited_on"], reads["priorities"], reads["district"], reads["intro"]) == ("date", "rank", "choice",
                                                                                              "none")
    assert 'data-note="offline_note"' in document and 'data-note="intro"' not in document  # only a conditional note
    csrf = token_of(document)
    data = {"csrf_token": csrf, "submission_id": random.token_hex(16), **FIRST_PAGE, "departments": ["SCJG"],
            **DEPARTMENT_PAGE}
    refused = client.post("/s/survey/submit", headers=SCRIPT,
                          data={**data, "d__SCJG__times__other": "", "q__priorities__speed": "3"})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"d__SCJG__times__other", "q__priorities__speed",
                                                 "q__priorities__manner"}
    assert db.session.scalar(select(Response.id)) is None
    done = client.post("/s/survey/submit", headers=SCRIPT, data=data)
    assert done.status_code == 303
    assert stored() == STORED


def test_a_text_typed_for_other_is_dropped_when_another_option_is_chosen(client, links):
    client.get(f"/s/{links[2]}")
    csrf = token_of(client.get("/s/survey").get_data(as_text=True))
    data = {**FIRST_PAGE, "q__reason": "hard", "departments": ["SCJG"], **DEPARTMENT_PAGE}
    assert client.post("/s/survey/submit", headers=SCRIPT,
                       data={"csrf_token": csrf, "submission_id": random.token_hex(16), **data}).status_code == 303
    kept = {q: v for q, v, _s in stored()}
    assert kept["reason"] == "hard" and "reason.other" not in kept
