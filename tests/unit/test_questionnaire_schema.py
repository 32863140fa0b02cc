"""Questionnaire documents: the JSON Schema, semantic checks, defaults, normalisation."""

import pytest

from questionnaire.defaults import default_questionnaire
from questionnaire.examples import every_type_questionnaire
from questionnaire.schema import (
    QuestionnaireError,
    check_document,
    document_schema,
    normalize_document,
    validate_document,
)
from questionnaire.types import QUESTION_TYPES

LABEL = {"zh": "题目"}


def doc_with(*items, block_items=None):
    items = list(items)
    if block_items is not None:
        items.append({"type": "department_block", "key": "depts", "label": LABEL, "items": block_items})
    return {"schema_version": 1, "title": {"zh": "问卷"}, "items": items}


def messages(doc):
    return [(p.path, p.message) for p in validate_document(doc)]


def test_default_questionnaire_is_valid_and_fresh():
    doc = default_questionnaire()
    assert validate_document(doc) == []
    doc["items"].clear()
    assert default_questionnaire()["items"], "default_questionnaire() must return a copy"


def test_default_questionnaire_contents():
    doc = default_questionnaire()
    block = next(i for i in doc["items"] if i["type"] == "department_block")
    ratings = {q["key"]: q for q in block["items"] if q["type"] == "rating"}
    assert set(ratings) == {"attitude", "efficiency", "policy", "law", "integrity", "overall"}
    assert all(q["scored"] and q["not_familiar"] and q["dimension"] == k for k, q in ratings.items())
    assert sum(q["weight"] for q in ratings.values()) == pytest.approx(1.0)
    comment = next(q for q in block["items"] if q["key"] == "comment")
    assert comment["required_if"] == "{overall} <= 2"
    assert doc["items"][0]["type"] == "section" and doc["items"][-1]["type"] == "textarea"
    for q in block["items"]:
        assert q["label"]["zh"] and q["label"]["en"]


def _types_used(doc):
    return {i["type"] for i in doc["items"]} | {q["type"] for i in doc["items"] if i["type"] == "department_block"
                                                for q in i["items"]}


def test_the_two_examples_are_valid_and_use_every_type():
    from questionnaire.examples import new_types_questionnaire

    older, newer = every_type_questionnaire(), new_types_questionnaire()
    assert validate_document(older) == [] and validate_document(newer) == []
    assert _types_used(older) | _types_used(newer) == set(QUESTION_TYPES)
    assert {"note", "date", "dropdown", "yes_no", "ranking", "multi_text"} <= _types_used(newer)


@pytest.mark.parametrize("item", [
    {"type": "section", "key": "s", "label": LABEL, "description": {"zh": "说明", "en": "About"}},
    {"type": "rating", "key": "r", "label": LABEL, "not_familiar": True, "scored": True, "weight": 0.5},
    {"type": "single", "key": "s1", "label": LABEL, "options": [{"value": "a", "label": LABEL, "score": 1}]},
    {"type": "multiple", "key": "m", "label": LABEL, "min_picks": 1, "max_picks": 1,
     "options": [{"value": "a", "label": LABEL}]},
    {"type": "text", "key": "t", "label": LABEL, "max_length": 10},
    {"type": "textarea", "key": "t", "label": LABEL, "help": {"zh": "帮助"}},
    {"type": "number", "key": "n", "label": LABEL, "integer": False, "min": -1.5, "max": 2},
    {"type": "nps", "key": "n", "label": LABEL, "scored": True},
    {"type": "matrix", "key": "m", "label": LABEL, "rows": [{"key": "a", "label": LABEL, "weight": 2}]},
])
def test_each_type_valid(item):
    assert messages(doc_with(item)) == []


def test_duplicate_key_across_block_and_top_level():
    doc = doc_with({"type": "text", "key": "a", "label": LABEL},
                   block_items=[{"type": "text", "key": "a", "label": LABEL}])
    assert messages(doc) == [("items[1].items[0].key", "duplicate key 'a': an earlier question has it already")]


@pytest.mark.parametrize("key", ["Q1", "1q", "q-1", "", "a" * 41])
def test_bad_key(key):
    (path, message), = messages(doc_with({"type": "text", "key": key, "label": LABEL}))
    assert path == "items[0].key" and "not a valid key" in message


def test_double_underscore_key_is_rejected():
    assert messages(doc_with({"type": "text", "key": "a__b", "label": LABEL})) == [
        ("items[0].key", "'a__b': a key cannot contain '__' (it separates parts of field names)")]


def test_forward_reference_in_show_if():
    doc = doc_with({"type": "text", "key": "a", "label": LABEL, "show_if": "{b} = 'x'"},
                   {"type": "text", "key": "b", "label": LABEL})
    (path, message), = messages(doc)
    assert path == "items[0].show_if" and "{b} is defined later" in message


def test_self_reference_is_a_forward_reference():
    (path, message), = messages(doc_with({"type": "text", "key": "a", "label": LABEL, "show_if": "{a}"}))
    assert "defined later" in message


def test_unknown_variable():
    (path, message), = messages(doc_with({"type": "text", "key": "a", "label": LABEL, "required_if": "{zz}"}))
    assert path == "items[0].required_if" and "does not refer to any question" in message


def test_block_scope_rules():
    doc = doc_with(
        {"type": "single", "key": "kind", "label": LABEL, "options": [{"value": "x", "label": LABEL}]},
        block_items=[
            {"type": "rating", "key": "overall", "label": LABEL},
            {"type": "text", "key": "why", "label": LABEL, "show_if": "{overall} <= 2 and {kind} = 'x' and {depts}"},
        ],
    )
    doc["items"].append({"type": "text", "key": "after", "label": LABEL, "show_if": "{overall} = 1"})
    doc["items"].append({"type": "text", "key": "after2", "label": LABEL, "show_if": "{depts} contains 'A'"})
    assert messages(doc) == [("items[2].show_if",
                              "{overall} is asked per department: only questions in the department block can use it")]


def test_syntax_error_in_show_if_is_reported_with_position():
    (path, message), = messages(doc_with({"type": "text", "key": "a", "label": LABEL, "show_if": "true and and"}))
    assert path == "items[0].show_if"
    assert "at character 10" in message and "true and and\n         ^" in message


def test_unknown_type_and_missing_zh_label():
    doc = doc_with({"type": "geopoint", "key": "g", "label": LABEL},
                   {"type": "text", "key": "t", "label": {"en": "Only English"}})
    found = messages(doc)
    assert found[0][0] == "items[0].type" and "unknown question type 'geopoint'" in found[0][1]
    assert ("items[1].label.zh", "this is required") in found


def test_min_greater_than_max():
    doc = doc_with({"type": "number", "key": "n", "label": LABEL, "min": 10, "max": 1},
                   {"type": "multiple", "key": "m", "label": LABEL, "min_picks": 2, "max_picks": 1,
                    "options": [{"value": "a", "label": LABEL}, {"value": "b", "label": LABEL}]})
    assert messages(doc) == [("items[0].min", "the minimum (10) is greater than the maximum (1)"),
                             ("items[1].min_picks", "the fewest picks (2) are more than the most picks (1)")]


def test_option_problems_have_paths():
    doc = doc_with({"type": "rating", "key": "r", "label": LABEL, "options": [
        {"value": 2, "label": LABEL, "score": 10}, {"value": 2, "label": LABEL, "score": "high"}]},
        {"type": "multiple", "key": "m", "label": LABEL, "max_picks": 3, "options": [{"value": "a b", "label": LABEL}]})
    found = messages(doc)
    assert ("items[0].options[1].score", "must be a number") in found
    assert ("items[0].options[1].value", "duplicate option value 2 (also option 1)") in found
    assert any(p == "items[1].options[0].value" and "not a valid value" in m for p, m in found)
    assert ("items[1].max_picks", "up to 3 picks are allowed but there are only 1 options") in found


def test_negative_weight_and_unknown_field():
    doc = doc_with({"type": "rating", "key": "r", "label": LABEL, "weight": -1},
                   {"type": "text", "key": "t", "label": LABEL, "weight": 1})
    assert messages(doc) == [("items[0].weight", "a weight cannot be negative"),
                             ("items[1]", "unknown field(s) 'weight'")]


def test_comparison_with_a_missing_option_value():
    doc = doc_with({"type": "single", "key": "s", "label": LABEL, "options": [{"value": "yes", "label": LABEL}]},
                   {"type": "text", "key": "t", "label": LABEL, "show_if": "{s} = 'yse'"})
    (path, message), = messages(doc)
    assert path == "items[1].show_if" and "'yse' is not an option of {s}" in message


def test_only_one_department_block_and_no_sections_inside():
    block = {"type": "department_block", "key": "b1", "label": LABEL,
             "items": [{"type": "section", "key": "s", "label": LABEL}]}
    block2 = {"type": "department_block", "key": "b2", "label": LABEL, "items": [{"type": "text", "key": "t", "label": LABEL}]}
    found = messages(doc_with(block, block2))
    assert any(p == "items[0].items[0].type" for p, _ in found)
    assert ("items[1]", "a questionnaire has at most one department block") in found


def test_all_problems_are_collected_and_check_document_raises():
    doc = doc_with({"type": "text", "key": "A", "label": {}}, {"type": "nps", "key": "n", "label": LABEL, "weight": -2})
    problems = validate_document(doc)
    assert len(problems) == 3
    with pytest.raises(QuestionnaireError) as info:
        check_document(doc)
    assert info.value.problems == problems
    assert "items[1].weight: a weight cannot be negative" in str(info.value)


def test_garbage_documents_do_not_crash():
    for doc in [None, [], {"items": "x"}, {"items": [1, None, {"type": 3}]}, {"schema_version": 2, "title": {"zh": "x"}, "items": []}]:
        assert validate_document(doc)


def test_normalize_fills_defaults_and_canonicalises_expressions():
    doc = doc_with({"type": "rating", "key": "r", "label": {"zh": "x", "en": ""}},
                   {"type": "text", "key": "t", "label": LABEL, "show_if": "{r}<=2"})
    norm = normalize_document(doc)
    r, t = norm["items"]
    assert r["required"] is False and r["scored"] is False and r["weight"] == 1 and len(r["options"]) == 5
    assert r["label"] == {"zh": "x"} and "not_familiar_label" not in r
    assert t["show_if"] == "{r} <= 2" and t["max_length"] == 200
    assert doc["items"][0].get("options") is None, "normalize must not modify its argument"


def test_schema_is_a_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(document_schema())


def test_not_before_a_comparison_is_flagged():
    doc = doc_with({"type": "single", "key": "s", "label": LABEL, "options": [{"value": "x", "label": LABEL}]},
                   {"type": "text", "key": "t", "label": LABEL, "show_if": "not {s} = 'x'"})
    assert messages(doc) == [("items[1].show_if", "'not' applies to {s} alone here; write not ({s} = 'x') instead")]


def test_the_questionnaire_core_loads_without_flask():
    """Unit-testable without an app: importing every module loads neither Flask nor the database."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, pkgutil, importlib, questionnaire as q\n"
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(q.__path__, q.__name__ + '.')]\n"
            "import questionnaire.i18n\n"
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'flask', 'flask_babel', 'flask_wtf', 'sqlalchemy', 'app'})))\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
