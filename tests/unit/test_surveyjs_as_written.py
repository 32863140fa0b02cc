"""SurveyJS definitions as people write them (issue #25): nameless pages, camelCase and hyphenated names, choice
values with spaces, panels, matrices of dropdowns; what cannot be asked is left out and listed by JSON path."""
import json

import pytest

from questionnaire.interop import DropsToConfirm
from questionnaire.surveyjs import SurveyJSError, export_surveyjs, import_surveyjs, read_surveyjs


def round_trip(doc: dict) -> dict:
    return import_surveyjs(json.loads(json.dumps(export_surveyjs(doc))))


def test_nameless_pages_get_generated_keys_and_titles():
    survey = {"pages": [{"elements": [{"type": "text", "name": "a", "title": "甲"}]},
                        {"title": "第二部分", "elements": [{"type": "comment", "name": "b", "title": "乙"}]}]}
    doc = import_surveyjs(survey)
    assert [(i["type"], i["key"], i["label"]["zh"]) for i in doc["items"]] == [
        ("section", "page_1", "第1页"), ("text", "a", "甲"), ("section", "page_2", "第二部分"), ("textarea", "b", "乙")]
    assert round_trip(doc) == doc


def test_names_and_values_are_kept_as_written_while_keys_are_safe():
    survey = {"pages": [{"name": "Page-One", "elements": [
        {"type": "radiogroup", "name": "favoriteSigner", "title": "Signer",
         "choices": ["John Hancock", {"value": "Samuel Adams", "text": "Adams"}, "other"]},
        {"type": "text", "name": "why-signer", "visibleIf": "{favoriteSigner} = 'John Hancock'"},
    ]}]}
    doc = import_surveyjs(survey)
    page, signer, why = doc["items"]
    assert (page["key"], page["source_name"]) == ("page_one", "Page-One")
    assert (signer["key"], signer["source_name"]) == ("favorite_signer", "favoriteSigner")
    assert signer["options"][0] == {"value": "John_Hancock", "source_value": "John Hancock",
                                    "label": {"zh": "John Hancock"}}
    assert signer["options"][2] == {"value": "other", "label": {"zh": "other"}}
    assert (why["key"], why["show_if"]) == ("why_signer", "{favorite_signer} = 'John_Hancock'")
    exported = export_surveyjs(doc)
    elements = exported["pages"][0]["elements"]
    assert exported["pages"][0]["name"] == "Page-One"
    assert [e["name"] for e in elements] == ["favoriteSigner", "why-signer"]
    assert [c["value"] for c in elements[0]["choices"]] == ["John Hancock", "Samuel Adams", "other"]
    assert elements[1]["visibleIf"] == "{favoriteSigner} = 'John Hancock'"
    assert round_trip(doc) == doc


def test_panels_are_flattened_and_a_foreign_dynamic_panel_is_asked_once_and_listed():
    survey = {"pages": [{"name": "p", "elements": [
        {"type": "panel", "name": "box", "elements": [{"type": "text", "name": "a", "title": "甲"}]},
        {"type": "paneldynamic", "name": "kids", "templateElements": [
            {"type": "text", "name": "kid_name", "title": "名字"}]},
    ]}]}
    imported = read_surveyjs(survey)
    assert [i["key"] for i in imported.document["items"]] == ["p", "a", "kid_name"]
    assert [(p.path, p.message) for p in imported.dropped] == [
        ("pages[0].elements[1].type", "the dynamic panel is left out: its questions are asked once")]


def test_a_matrix_of_dropdowns_becomes_a_matrix_per_column_when_its_cells_are_choices():
    survey = {"elements": [{"type": "matrixdropdown", "name": "quality", "title": "质量",
                            "columns": [{"name": "speed", "title": "速度"}, {"name": "care", "title": "细致"}],
                            "choices": [1, 2, 3, 4, 5], "rows": ["Front desk", "Phone"]}]}
    doc = import_surveyjs(survey)
    matrices = [i for i in doc["items"] if i["type"] == "matrix"]
    assert [(m["key"], m["label"]["zh"]) for m in matrices] == [("quality_speed", "速度"), ("quality_care", "细致")]
    assert [r["key"] for r in matrices[0]["rows"]] == ["front_desk", "phone"]
    assert [o["value"] for o in matrices[0]["options"]] == [1, 2, 3, 4, 5]
    assert round_trip(doc) == doc
    text_cells = {"elements": [{"type": "matrixdropdown", "name": "m", "columns": [{"name": "c", "cellType": "text"}],
                                "rows": ["r"]}, {"type": "text", "name": "t"}]}
    with pytest.raises(DropsToConfirm) as info:
        import_surveyjs(text_cells)
    assert info.value.problems[0].path == "elements[0].type"


def test_tagbox_and_slider_map_and_a_rating_of_words_keeps_its_words():
    survey = {"elements": [
        {"type": "tagbox", "name": "langs", "choices": ["Python", "C++", "C"]},
        {"type": "slider", "name": "budget", "min": 0, "max": 50},
        {"type": "rating", "name": "mood", "rateValues": ["bad", "ok", "good"]},
    ]}
    doc = import_surveyjs(survey)
    tags, budget, mood = doc["items"]
    assert tags["type"] == "multiple" and [o["value"] for o in tags["options"]] == ["Python", "C_2", "C"]
    assert (budget["type"], budget["min"], budget["max"]) == ("number", 0, 50)
    assert [(o["value"], o["source_value"], o["score"]) for o in mood["options"]] == [
        (1, "bad", 0), (2, "ok", 50), (3, "good", 100)]
    assert [v["value"] for v in export_surveyjs(doc)["pages"][0]["elements"][2]["rateValues"]] == ["bad", "ok", "good"]
    assert round_trip(doc) == doc


def test_conditions_go_through_the_shared_expression_core():
    survey = {"elements": [
        {"type": "radiogroup", "name": "visit-type", "choices": ["first time", "again"]},
        {"type": "comment", "name": "why", "visibleIf": "{visit-type} = 'first time' and {visit-type} notempty",
         "requiredIf": "{visit-type} anyof ['again']"},
        {"type": "text", "name": "later", "visibleIf": "age({birth}) > 18"},
    ]}
    imported = read_surveyjs(survey)
    why = imported.document["items"][1]
    assert why["show_if"] == "{visit_type} = 'first_time' and {visit_type}"
    assert why["required_if"] == "{visit_type} contains 'again'"
    assert [p.path for p in imported.dropped] == ["elements[2].visibleIf"]


def test_an_unknown_variable_is_still_a_refusal_not_a_drop():
    survey = {"elements": [{"type": "text", "name": "a", "visibleIf": "{nowhere} = 1"}]}
    with pytest.raises(SurveyJSError) as info:
        import_surveyjs(survey)
    assert info.value.problems[0].path == "elements[0].visibleIf"


def test_a_survey_with_nothing_to_ask_is_refused_with_what_was_left_out():
    survey = {"elements": [{"type": "file", "name": "cv"}, {"type": "signaturepad", "name": "sign"}]}
    with pytest.raises(SurveyJSError) as info:
        import_surveyjs(survey, allow_drops=True)
    messages = [p.message for p in info.value.problems]
    assert "nothing is left to import" in messages[0] and len(messages) == 3
