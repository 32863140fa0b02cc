"""The templates a designer starts from: each is a valid questionnaire that could be published as it is, uses the
types its kind of survey calls for, and survives its XLSForm (the file the builder offers beside it)."""
import pytest

from questionnaire.defaults import default_questionnaire
from questionnaire.readiness import readiness_problems
from questionnaire.schema import normalize_document, validate_document
from questionnaire.templates import BLANK, TEMPLATES, template_document
from questionnaire.xlsform import export_xlsform, import_xlsform


def types_of(document: dict) -> set[str]:
    out = set()
    for item in document["items"]:
        out.add(item["type"])
        out |= {sub["type"] for sub in item.get("items", [])} if item["type"] == "department_block" else set()
    return out


def other_offered(document: dict) -> bool:
    return any(i.get("other") for item in document["items"] for i in [item, *item.get("items", [])]
               if isinstance(i, dict))


def test_the_four_templates_in_the_order_the_builder_offers_them():
    assert list(TEMPLATES) == ["department", "service_window", "enterprise", BLANK]


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_each_template_is_valid_and_ready_to_publish(key):
    document = template_document(key)
    assert validate_document(document) == []
    assert readiness_problems(normalize_document(document)) == []
    assert document["title"]["zh"] and any(i["type"] == "department_block" for i in document["items"])


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_each_template_survives_its_xlsform(key):
    document = template_document(key)
    assert normalize_document(import_xlsform(export_xlsform(document))) == normalize_document(document)


def test_each_call_gives_a_fresh_copy():
    first = template_document("enterprise")
    first["items"].clear()
    assert template_document("enterprise")["items"]


def test_the_department_template_is_the_questionnaire_the_platform_ships():
    assert template_document("department") == default_questionnaire()


def test_the_service_window_survey_is_short_and_uses_the_types_that_fit_it():
    document = template_document("service_window")
    assert {"note", "dropdown", "yes_no", "rating", "textarea"} <= types_of(document)
    answerable = [t for t in types_of(document) if t not in ("note", "section", "department_block")]
    assert len(answerable) <= 6
    # one open comment for the whole visit
    assert [i["type"] for i in document["items"]].count("textarea") == 1


def test_the_enterprise_survey_covers_the_business_environment_with_the_newer_types():
    document = template_document("enterprise")
    assert {"ranking", "multi_text", "date", "yes_no"} <= types_of(document)
    assert other_offered(document)
    block = next(i for i in document["items"] if i["type"] == "department_block")
    assert {q["key"] for q in block["items"]} >= {"approvals", "inspections", "policy", "overall"}
    ranking = next(i for i in document["items"] if i["type"] == "ranking")
    assert {o["value"] for o in ranking["options"]} == {"approvals", "inspections", "policy", "financing"}


def test_the_blank_template_is_the_smallest_useful_questionnaire():
    document = template_document(BLANK)
    (block,) = document["items"]
    assert block["type"] == "department_block" and [q["key"] for q in block["items"]] == ["overall"]


def test_an_unknown_template_is_a_key_error():
    with pytest.raises(KeyError):
        template_document("nope")
