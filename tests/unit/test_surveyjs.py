"""SurveyJS JSON export/import: lossless round trips, expression translation, located rejections."""
import json

import pytest

from questionnaire.defaults import default_questionnaire
from questionnaire.interop import DropsToConfirm
from questionnaire.examples import every_type_questionnaire
from questionnaire.schema import normalize_document
from questionnaire.surveyjs import (
    SurveyJSError,
    export_surveyjs,
    from_surveyjs_expression,
    import_surveyjs,
    to_surveyjs_expression,
)


@pytest.mark.parametrize("make", [default_questionnaire, every_type_questionnaire])
def test_round_trip_is_lossless(make):
    doc = make()
    survey = json.loads(json.dumps(export_surveyjs(doc)))  # plain JSON on the way
    assert normalize_document(import_surveyjs(survey)) == normalize_document(doc)


def test_export_shape_of_the_department_block():
    survey = export_surveyjs(default_questionnaire(), [("A", "市场监管局")])
    picker_page, panels_page = survey["pages"][1], survey["pages"][2]
    picker = picker_page["elements"][0]
    assert picker["type"] == "checkbox" and picker["valuePropertyName"] == "department"
    assert picker["choices"] == [{"value": "A", "text": "市场监管局"}] and picker["minSelectedChoices"] == 1
    panel = panels_page["elements"][0]
    assert panel["type"] == "paneldynamic" and panel["valueName"] == picker["name"]
    comment = next(e for e in panel["templateElements"] if e["name"] == "comment")
    assert comment["type"] == "comment" and comment["requiredIf"] == "{panel.overall} <= 2"
    overall = next(e for e in panel["templateElements"] if e["name"] == "overall")
    assert overall["rateValues"][0] == {"value": 5, "text": {"default": "非常满意", "en": "Very satisfied"}, "score": 100}
    assert overall["rateValues"][-1]["value"] == "na"
    assert overall["bkb"] == {"scored": True, "weight": 0.3, "dimension": "overall"}


@pytest.mark.parametrize("ours, theirs", [
    ("{a} = 1", "{a} = 1"),
    ("{a} contains 'x'", "{a} contains 'x'"),
    ("not {a}", "{a} empty"),
    ("{a}", "{a} notempty"),
    ("not ({a} = 1)", "!({a} = 1)"),
    ("{a} or {b} and {c} != 'x'", "{a} notempty or {b} notempty and {c} != 'x'"),
    ("({a} or {b}) and {c}", "({a} notempty or {b} notempty) and {c} notempty"),
    ("{m.row} <= 2", "{m.row} <= 2"),
    ("{a} = 'it\\'s'", "{a} = \"it's\""),
])
def test_expression_translation(ours, theirs):
    assert to_surveyjs_expression(ours) == theirs
    assert from_surveyjs_expression(theirs) == ours


def test_panel_variables():
    assert to_surveyjs_expression("{overall} <= 2 and {kind} = 'x'", frozenset({"overall"})) == \
        "{panel.overall} <= 2 and {kind} = 'x'"
    assert from_surveyjs_expression("{panel.overall} <= 2") == "{overall} <= 2"


def test_surveyjs_operator_synonyms():
    assert from_surveyjs_expression("{a} == 1 && {b} <> 2 || !{c}") == "{a} = 1 and {b} != 2 or not {c}"
    assert from_surveyjs_expression("{a} notcontains 'x'") == "not ({a} contains 'x')"
    assert from_surveyjs_expression("{a} anyof ['x', 'y']") == "{a} contains 'x' or {a} contains 'y'"
    assert from_surveyjs_expression("{a} allof ['x', 'y']") == "{a} contains 'x' and {a} contains 'y'"
    with pytest.raises(ValueError, match="functions"):
        from_surveyjs_expression("age({birth}) > 18")


def test_import_of_a_plain_surveyjs_survey():
    survey = {"title": "满意度", "pages": [{"name": "p1", "title": "第一页", "elements": [
        {"type": "html", "name": "intro", "html": "<p>欢迎<b>参加</b></p>"},
        {"type": "rating", "name": "sat", "title": "满意吗", "isRequired": True},
        {"type": "panel", "name": "box", "elements": [
            {"type": "comment", "name": "why", "title": "原因", "visibleIf": "{sat} <= 2"}]},
        {"type": "radiogroup", "name": "yn", "title": "是否", "choices": ["y", "n"]},
    ]}]}
    doc = import_surveyjs(survey)
    kinds = [(i["type"], i["key"]) for i in doc["items"]]
    assert kinds == [("section", "p1"), ("note", "intro"), ("rating", "sat"), ("textarea", "why"), ("single", "yn")]
    assert doc["items"][1]["label"] == {"zh": "欢迎 参加"}  # an html element is text among the questions: a note
    assert [o["score"] for o in doc["items"][2]["options"]] == [100, 80, 60, 40, 20]
    assert doc["items"][3]["show_if"] == "{sat} <= 2"
    assert doc["items"][4]["options"][1] == {"value": "n", "label": {"zh": "n"}}


def test_unknown_element_types_are_left_out_and_located_by_json_path():
    survey = {"pages": [{"name": "p", "elements": [
        {"type": "text", "name": "a", "title": "甲"},
        {"type": "signaturepad", "name": "sig"},
        {"type": "panel", "name": "x", "elements": [{"type": "file", "name": "f"}]},
        {"type": "text", "name": "d", "inputType": "color"},
        {"type": "text", "name": "e", "visibleIf": "iif({a}, 1, 2)"},
    ]}]}
    with pytest.raises(DropsToConfirm) as info:
        import_surveyjs(survey)
    paths = [p.path for p in info.value.problems]
    assert paths == ["pages[0].elements[1].type", "pages[0].elements[2].elements[0].type",
                     "pages[0].elements[3].inputType", "pages[0].elements[4].visibleIf"]
    assert "signature cannot be answered on this platform" in info.value.problems[0].message
    doc = import_surveyjs(survey, allow_drops=True)
    assert [i["key"] for i in doc["items"]] == ["p", "a", "e"] and "show_if" not in doc["items"][2]


def test_validation_problems_are_mapped_to_surveyjs_paths():
    survey = {"pages": [{"name": "p", "elements": [
        {"type": "radiogroup", "name": "ok", "choices": [{"value": "a"}, {"value": "a"}]},
        {"type": "comment", "name": "why", "visibleIf": "{later} = 1"},
        {"type": "text", "name": "later"},
    ]}]}
    with pytest.raises(SurveyJSError) as info:
        import_surveyjs(survey)
    paths = sorted(p.path for p in info.value.problems)
    assert paths == ["pages[0].elements[0].choices[1].value", "pages[0].elements[1].visibleIf"]


def test_not_a_survey():
    with pytest.raises(SurveyJSError):
        import_surveyjs({"foo": 1})
