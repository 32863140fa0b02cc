"""What keeps a valid draft from publishing: the builder's placeholder texts, and questions never shown."""
import pytest

from questionnaire.examples import every_type_questionnaire, new_types_questionnaire
from questionnaire.readiness import placeholder_problems, readiness_problems, unreachable_problems
from questionnaire.schema import validate_document

LABEL = {"zh": "题目", "en": "Question"}
YES_NO = [{"value": "yes", "label": {"zh": "是"}}, {"value": "no", "label": {"zh": "否"}}]


def doc_of(*items):
    doc = {"schema_version": 1, "title": {"zh": "问卷"}, "items": list(items)}
    assert validate_document(doc) == []
    return doc


def test_the_examples_are_ready():
    assert readiness_problems(every_type_questionnaire()) == []
    assert readiness_problems(new_types_questionnaire()) == []


def test_a_placeholder_left_in_english_only_is_still_one():
    item = {"type": "single", "key": "q", "label": LABEL,
            "options": [{"value": "a", "label": {"zh": "企业", "en": "Option 1"}}]}
    assert [(p.path, p.message) for p in placeholder_problems(doc_of(item))] == [
        ("items[0].options[0].label", "still the placeholder text 'Option 1': write the real text")]


def single(key="visit", **extra):
    return {"type": "single", "key": key, "label": LABEL, "options": YES_NO, **extra}


def text(key, show_if):
    return {"type": "text", "key": key, "label": LABEL, "show_if": show_if}


@pytest.mark.parametrize("condition", [
    "{visit} = 'yes' and {visit} = 'no'",
    "{visit} = 'yes' and not {visit}",
    "{n} > 5 and {n} < 3",
    "{n} = 'five'",  # a number is never a text
    "{d} < '2024-01-01' and {d} > '2024-12-31'",
    "{yn} = 'yes' and {yn} != 'yes'",
    "{rk.a} = 1 and {rk.b} = 1 and {rk.a} = {rk.b} and {rk.a} != {rk.b}",
])
def test_a_condition_true_for_no_answers_is_reported(condition):
    doc = doc_of(single(), {"type": "number", "key": "n", "label": LABEL}, {"type": "date", "key": "d", "label": LABEL},
                 {"type": "yes_no", "key": "yn", "label": LABEL},
                 {"type": "ranking", "key": "rk", "label": LABEL, "options": [{"value": "a", "label": LABEL},
                                                                              {"value": "b", "label": LABEL}]},
                 text("t", condition))
    assert [(p.path, p.message) for p in unreachable_problems(doc)] == [
        ("items[5].show_if", f"this question can never be shown: {condition} is true for no possible answers")]


@pytest.mark.parametrize("condition", [
    "{visit} = 'yes' or {visit} = 'no'", "{n} > 3 and {n} < 4", "{n} >= 3 and {n} <= 3", "{t0} contains '窗口'",
    "{t0} > 'b' and {t0} < 'c'", "{d} >= '2024-01-01' and {d} < '2024-01-02'", "not {visit}", "{m} contains 'x'",
    "{rk.a} = 2", "{visit.other} contains '朋友'",
])
def test_a_condition_some_answer_makes_true_is_not_reported(condition):
    doc = doc_of(single(other=True), {"type": "number", "key": "n", "label": LABEL},
                 {"type": "date", "key": "d", "label": LABEL}, {"type": "text", "key": "t0", "label": LABEL},
                 {"type": "multiple", "key": "m", "label": LABEL, "options": [{"value": "x", "label": LABEL}]},
                 {"type": "ranking", "key": "rk", "label": LABEL, "options": [{"value": "a", "label": LABEL},
                                                                              {"value": "b", "label": LABEL}]},
                 text("t", condition))
    assert unreachable_problems(doc) == []


def test_a_page_never_shown_is_said_once_and_what_depends_on_it_too():
    never = "{visit} = 'yes' and {visit} = 'no'"
    doc = doc_of(single(), {"type": "section", "key": "p", "label": LABEL, "show_if": never},
                 single("inner"), {"type": "section", "key": "p2", "label": LABEL},
                 text("later", "{inner} = 'yes'"), text("fine", "{visit} = 'yes'"))
    assert [p.path for p in unreachable_problems(doc)] == ["items[1].show_if", "items[4].show_if"]
    assert "this page can never be shown" in unreachable_problems(doc)[0].message
