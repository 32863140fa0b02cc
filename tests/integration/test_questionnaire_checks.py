"""Checks while typing and before publishing (#25 point 5): the live check of a condition says what the draft's
check says; a draft holding the builder's placeholder texts, or a question never shown, is not published."""
import copy

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import QuestionnaireVersion
from questionnaire.readiness import placeholder_problems
from questionnaire.schema import validate_document
from tests.integration.test_questionnaire_builder import BASE, designer, new_draft, reload  # noqa: F401

VISIT = {"type": "single", "key": "visit", "label": {"zh": "近期是否去过大厅？", "en": "Visited the hall?"},
         "options": [{"value": "yes", "label": {"zh": "去过", "en": "Yes"}},
                     {"value": "no", "label": {"zh": "没去过", "en": "No"}}]}
HALL = {"type": "textarea", "key": "hall", "label": {"zh": "大厅哪里需要改进？", "en": "What should change?"}}


def draft_with_visit(client) -> tuple[QuestionnaireVersion, str]:
    """A draft ending with a yes/no choice and a question after it; the location of the latter."""
    draft = new_draft(client)
    document = copy.deepcopy(reload(draft))
    document["items"] += [VISIT, HALL]
    service.save_document(draft, document)
    db.session.commit()
    return draft, str(len(document["items"]) - 1)


def live(client, draft, loc, expression, field="show_if"):
    return client.post_form(f"{BASE}/check-expression", {"expression": expression, "version_id": str(draft.id),
                                                         "loc": loc, "field": field}).get_json()


@pytest.mark.parametrize("expression", ["{visitt} = 'no'", "{visit} = 'maybe'", "{hall} = 'x'"])
def test_the_live_check_says_what_the_drafts_check_says(client, designer, expression):
    draft, loc = draft_with_visit(client)
    said = live(client, draft, loc, expression)
    # the same condition saved: the draft's list of problems
    document = copy.deepcopy(reload(draft))
    document["items"][int(loc)]["show_if"] = expression
    with force_locale("zh"):
        listed = [p.render(gettext) for p in validate_document(document) if p.path == f"items[{loc}].show_if"]
    assert said["ok"] is False and listed and said["problems"] == listed
    assert said["message"] == "\n".join(listed)


def test_the_live_check_names_the_unknown_question_and_the_missing_option(client, designer):
    draft, loc = draft_with_visit(client)
    assert live(client, draft, loc, "{visitt} = 'no'")["problems"] == ["{visitt} 没有对应任何题目"]
    assert live(client, draft, loc, "{visit} = 'maybe'")["problems"] == ["'maybe' 不是 {visit} 的选项（选项有：yes, no）"]
    assert live(client, draft, loc, "{visit} = 'no'", field="required_if") == {"ok": True}
    # without the draft's context (an old page), it still checks the syntax
    assert client.post_form(f"{BASE}/check-expression", {"expression": "{visitt} = 'no'"}).get_json() == {"ok": True}


def test_a_published_version_or_a_strange_location_is_no_context(client, designer):
    draft, loc = draft_with_visit(client)
    for where in ("99", "x", "1.99"):
        assert live(client, draft, where, "{visitt} = 'no'") == {"ok": True}
    assert live(client, draft, loc, "{visitt} = 'no'", field="label") == {"ok": True}


def test_a_draft_with_a_new_questions_placeholders_is_not_published_and_says_why(client, designer):
    draft = new_draft(client)
    client.post_form(f"{BASE}/versions/{draft.id}/items", {"type": "multi_text", "where": "end"})
    page = client.get(f"{BASE}/versions/{draft.id}").get_data(as_text=True)
    assert '仍是占位文字 <span translate="no">&#39;新题目&#39;</span>：请填写正式内容' in page and "第一项" in page
    assert "可以发布" not in page  # the draft no longer reads "ready to publish"
    refused = client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"}, follow_redirects=True)
    assert "未发布" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, draft.id).is_draft
    # real texts: publishable
    document = copy.deepcopy(reload(draft))
    document["items"][-1].update(label={"zh": "联系人"}, fields=[{"key": "name", "label": {"zh": "姓名"}}])
    service.save_document(draft, document)
    db.session.commit()
    assert client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, draft.id).is_published


def test_a_question_never_shown_keeps_the_draft_from_publishing(client, designer):
    draft, loc = draft_with_visit(client)
    document = copy.deepcopy(reload(draft))
    document["items"][int(loc)]["show_if"] = "{visit} = 'yes' and {visit} = 'no'"
    service.save_document(draft, document)
    db.session.commit()
    with pytest.raises(service.DocumentProblems) as info:
        service.publish(db.session.get(QuestionnaireVersion, draft.id))
    assert [p.path for p in info.value.problems] == [f"items[{loc}].show_if"]
    db.session.rollback()


@pytest.mark.parametrize("qtype", ["section", "note", "single", "multiple", "dropdown", "ranking", "matrix",
                                   "multi_text", "rating", "date", "yes_no", "text", "number", "nps", "textarea"])
def test_every_text_the_builder_puts_in_a_new_item_is_a_placeholder(app, qtype):
    item = service.new_item(qtype, "q")
    doc = {"schema_version": 1, "title": {"zh": "问卷"}, "items": [item]}
    assert validate_document(doc) == []
    problems = placeholder_problems(doc)
    assert problems and problems[0].path == "items[0].label"
    for part in ("options", "rows", "fields"):
        for i, _sub in enumerate(item.get(part, [])):
            assert any(p.path == f"items[0].{part}[{i}].label" for p in problems), (part, i)


# --------------------------------------------------------------------------- in the reader's language (#23 point 1)

def test_the_live_check_speaks_chinese_and_english_on_request(client, designer):
    draft, loc = draft_with_visit(client)
    said = live(client, draft, loc, "{visit} == 'no'")
    assert said["ok"] is False and said["position"] == 9
    assert said["message"] == "第 9 个字符处有语法错误：比较请用单个 =", said["message"]
    assert live(client, draft, loc, "{visit} = 'no' AND {hall}")["message"].endswith(
        "无法识别的词“AND”（关键词要小写）；变量写作 {编号}，文字要加 '引号'")
    client.set_cookie("lang", "en")
    assert live(client, draft, loc, "{visitt} = 'no'")["problems"] == ["{visitt} does not refer to any question"]
    assert live(client, draft, loc, "{visit} == 'no'")["message"].endswith("use a single = to compare")


def test_the_drafts_check_names_the_question_and_the_field_in_chinese(client, designer):
    draft, loc = draft_with_visit(client)
    document = copy.deepcopy(reload(draft))
    document["items"][int(loc)]["show_if"] = "{visitt} = 'no'"
    document["items"][int(loc)]["required_if"] = "{visit} = 'maybe'"
    document["items"][int(loc) - 1]["show_if"] = "{hall} == 'x'"
    service.save_document(draft, document)
    db.session.commit()
    page = client.get(f"{BASE}/versions/{draft.id}").get_data(as_text=True)
    text = _visible(page)
    assert "「hall」的显示条件：{visitt} 没有对应任何题目" in text
    assert "「hall」的必答条件：'maybe' 不是 {visit} 的选项（选项有：yes, no）" in text
    assert "「visit」的显示条件：第 8 个字符处：比较请用单个 =" in text
    assert "items[" not in text and "does not refer" not in text and "show_if" not in text
    # the literals the designer wrote are marked as such (the language test skips them), the words are not
    assert '<span translate="no">visitt</span>' in page and '<span translate="no">hall</span>' in page
    # refused at publishing, with the same list
    response = client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"}, follow_redirects=True)
    text = _visible(response.get_data(as_text=True))
    assert "「hall」的显示条件：{visitt} 没有对应任何题目" in text and reload(draft) == document


def _visible(page: str) -> str:
    """The page's text as read (tags dropped, spaces collapsed)."""
    import html
    import re

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


def test_a_condition_xlsform_cannot_write_is_said_in_chinese_not_a_server_error(client, designer):
    draft, loc = draft_with_visit(client)
    document = copy.deepcopy(reload(draft))
    document["items"].append({"type": "text", "key": "after", "label": {"zh": "补充"},
                              "show_if": "{hall} = 'say \"hi\" it\\'s'"})
    service.save_document(draft, document)
    db.session.commit()
    response = client.get(f"{BASE}/versions/{draft.id}/export/xlsform", follow_redirects=True)
    text = _visible(response.get_data(as_text=True))
    assert response.status_code == 200 and "同时含有单引号和双引号，XLSForm 无法表示" in text, text
