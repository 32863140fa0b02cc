"""The newer question types in the pure model: note, date, dropdown, yes/no, ranking, several short texts and
"other, please specify" — their validation, answers, scores, conditions, and both exchange formats."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from questionnaire import (
    export_surveyjs,
    export_xlsform,
    extract_answers,
    import_surveyjs,
    import_xlsform,
    normalize_document,
    validate_document,
)
from questionnaire.answers import resolve_data
from questionnaire.examples import new_types_questionnaire
from questionnaire.surveyjs import from_surveyjs_expression, to_surveyjs_expression

LABEL = {"zh": "题目"}


def doc_of(*items):
    return {"schema_version": 1, "title": {"zh": "问卷"}, "items": list(items)}


def messages(doc):
    return [p.message for p in validate_document(doc)]


def answers(doc, data):
    return {a.question: a for a in extract_answers(doc, [], data)}


def errors(doc, data):
    return {name: e.message for name, e in resolve_data(doc, [], data).errors().items()}


OPTIONS = [{"value": "a", "label": {"zh": "甲"}}, {"value": "b", "label": {"zh": "乙"}}]


# --------------------------------------------------------------------------- note

def test_a_note_holds_no_answer_and_a_condition_cannot_use_it():
    doc = doc_of({"type": "note", "key": "hello", "label": {"zh": "请如实填写"}},
                 {"type": "text", "key": "t", "label": LABEL, "show_if": "{hello}"})
    assert messages(doc) == ["{hello} is a note: it has no answer"]
    doc["items"][1].pop("show_if")
    assert validate_document(doc) == []
    assert answers(doc, {"q__hello": "x", "q__t": "y"}).keys() == {"t"}


def test_a_note_has_no_required_flag():
    assert "unknown field(s) 'required'" in messages(doc_of({"type": "note", "key": "n", "label": LABEL,
                                                             "required": True}))


# --------------------------------------------------------------------------- date

def test_a_date_is_read_as_yyyy_mm_dd_within_its_bounds():
    doc = doc_of({"type": "date", "key": "d", "label": LABEL, "min": "2024-01-01", "max": "2024-12-31"})
    assert answers(doc, {"q__d": " 2024-02-29 "})["d"].value == "2024-02-29"
    assert errors(doc, {"q__d": "2023-12-31"}) == {"q__d": "The date must be on or after %(min)s."}
    assert errors(doc, {"q__d": "2025-01-01"}) == {"q__d": "The date must be on or before %(max)s."}
    for bad in ("2024-02-30", "29/02/2024", "2024-2-3", "yesterday"):
        assert errors(doc, {"q__d": bad}) == {"q__d": "Please enter a date as YYYY-MM-DD."}, bad


def test_date_bounds_must_be_real_dates_in_order():
    doc = doc_of({"type": "date", "key": "d", "label": LABEL, "min": "2024-12-31", "max": "2024-01-01"})
    assert messages(doc) == ["the earliest date (2024-12-31) is after the latest (2024-01-01)"]
    doc["items"][0].update(min="2024-02-30")
    assert messages(doc) == ["'2024-02-30' is no date: write YYYY-MM-DD"]
    doc["items"][0].update(min="1 May")
    assert messages(doc) == ["'1 May' is no date: write YYYY-MM-DD"]


def test_a_date_compares_with_a_date_in_a_condition():
    doc = doc_of({"type": "date", "key": "d", "label": LABEL},
                 {"type": "text", "key": "why", "label": LABEL, "required_if": "{d} < '2024-06-01'"})
    assert errors(doc, {"q__d": "2024-05-31"}) == {"q__why": "This question is required."}
    assert errors(doc, {"q__d": "2024-06-01"}) == {}


# --------------------------------------------------------------------------- dropdown

def test_a_dropdown_is_a_long_single_choice_scored_only_when_scored():
    options = [{"value": f"o{i}", "label": {"zh": f"选项{i}"}, "score": i} for i in range(300)]
    doc = doc_of({"type": "dropdown", "key": "dd", "label": LABEL, "options": options})
    assert validate_document(doc) == []  # longer than a single choice may be (200)
    assert answers(doc, {"q__dd": "o7"})["dd"].score is None
    doc["items"][0]["scored"] = True
    assert answers(doc, {"q__dd": "o7"})["dd"].score == 7
    assert errors(doc, {"q__dd": "o300"}) == {"q__dd": "Please choose one of the options."}


def test_a_condition_on_a_dropdown_names_its_options():
    doc = doc_of({"type": "dropdown", "key": "dd", "label": LABEL, "options": OPTIONS},
                 {"type": "text", "key": "t", "label": LABEL, "show_if": "{dd} = 'c'"})
    assert messages(doc) == ["'c' is not an option of {dd} (options: a, b)"]


# --------------------------------------------------------------------------- yes/no

def test_yes_no_answers_yes_or_no_and_scores_only_what_has_a_score():
    doc = doc_of({"type": "yes_no", "key": "yn", "label": LABEL, "scored": True, "yes_score": 100})
    assert answers(doc, {"q__yn": "yes"})["yn"].score == 100
    no = answers(doc, {"q__yn": "no"})["yn"]
    assert no.value == "no" and no.score is None  # no score given to "no": it counts as missing, like 不了解
    assert errors(doc, {"q__yn": "true"}) == {"q__yn": "Please choose one of the options."}


def test_a_scored_yes_no_needs_a_score_and_conditions_compare_with_yes_or_no():
    assert messages(doc_of({"type": "yes_no", "key": "yn", "label": LABEL, "scored": True})) == [
        "a scored yes/no question needs a score for “yes” or for “no”"]
    doc = doc_of({"type": "yes_no", "key": "yn", "label": LABEL},
                 {"type": "text", "key": "t", "label": LABEL, "show_if": "{yn} = 'maybe'"})
    assert messages(doc) == ["'maybe' is not an option of {yn} (options: yes, no)"]


def test_yes_no_labels_default_to_shi_and_fou():
    q = normalize_document(doc_of({"type": "yes_no", "key": "yn", "label": LABEL}))["items"][0]
    assert (q["yes_label"], q["no_label"]) == ({"zh": "是", "en": "Yes"}, {"zh": "否", "en": "No"})


# --------------------------------------------------------------------------- ranking

RANKING = {"type": "ranking", "key": "rk", "label": LABEL, "options": [
    {"value": "speed", "label": {"zh": "速度"}}, {"value": "manner", "label": {"zh": "态度"}},
    {"value": "clarity", "label": {"zh": "清楚"}}]}


def test_a_ranking_stores_the_rank_of_each_item():
    doc = doc_of(RANKING)
    got = answers(doc, {"q__rk__speed": "2", "q__rk__manner": "3", "q__rk__clarity": "1"})
    assert {k: a.value for k, a in got.items()} == {"rk.speed": 2, "rk.manner": 3, "rk.clarity": 1}


def test_a_ranking_gives_each_rank_once_and_ranks_every_item():
    doc = doc_of(RANKING)
    assert errors(doc, {"q__rk__speed": "1", "q__rk__manner": "1", "q__rk__clarity": "2"}) == {
        "q__rk__speed": "Each rank can be given to one item only.",
        "q__rk__manner": "Each rank can be given to one item only."}
    assert errors(doc, {"q__rk__speed": "1"}) == {"q__rk__manner": "Please rank every item.",
                                                  "q__rk__clarity": "Please rank every item."}
    assert errors(doc, {"q__rk__speed": "4", "q__rk__manner": "1", "q__rk__clarity": "2"}) == {
        "q__rk__speed": "Please choose one of the options."}
    assert errors(doc, {}) == {}  # not required, not begun


def test_a_condition_names_one_ranked_item():
    doc = doc_of(RANKING, {"type": "text", "key": "t", "label": LABEL, "show_if": "{rk.speed} = 1"})
    assert validate_document(doc) == []
    doc["items"][1]["show_if"] = "{rk} = 1"
    assert messages(doc) == ["{rk} ranks several items: refer to one item, e.g. {rk.item}"]
    doc["items"][1]["show_if"] = "{rk.price} = 1"
    assert messages(doc) == ["{rk.price}: the question 'rk' has no such item to rank"]


def test_ranking_items_are_keys_and_a_short_list():
    bad = {**RANKING, "options": [{"value": "Speed-1", "label": LABEL}, {"value": "b", "label": LABEL}]}
    assert messages(doc_of(bad)) == ["'Speed-1' is not a valid value: start with a lowercase letter, then lowercase "
                                     "letters, digits or _ (at most 40 characters)"]
    many = {**RANKING, "options": [{"value": f"i{n}", "label": LABEL} for n in range(11)]}
    assert messages(doc_of(many)) == ["too many entries: at most 10"]
    one = {**RANKING, "options": RANKING["options"][:1]}
    assert messages(doc_of(one)) == ["too few options: at least 2 needed"]


def test_an_empty_choice_list_or_box_list_is_said_so():
    assert messages(doc_of({"type": "single", "key": "q", "label": LABEL, "options": []})) == [
        "no options: at least 1 needed"]
    assert messages(doc_of({**MULTI, "fields": []})) == ["no text boxes: at least 1 needed"]


# --------------------------------------------------------------------------- several short texts

MULTI = {"type": "multi_text", "key": "contact", "label": LABEL, "max_length": 5, "required": True,
         "fields": [{"key": "name", "label": {"zh": "姓名"}}, {"key": "unit", "label": {"zh": "单位"}}]}


def test_several_short_texts_are_one_answer_each():
    doc = doc_of(MULTI)
    got = answers(doc, {"q__contact__name": " 张三 ", "q__contact__unit": "税务局"})
    assert {k: a.value for k, a in got.items()} == {"contact.name": "张三", "contact.unit": "税务局"}
    assert errors(doc, {"q__contact__name": "张三", "q__contact__unit": "市场监督管理局"}) == {
        "q__contact__unit": "Please write at most %(max)d characters."}
    assert errors(doc, {"q__contact__name": "张三"}) == {"q__contact__unit": "This question is required."}


def test_sub_field_keys_are_unique():
    dup = {**MULTI, "fields": [{"key": "name", "label": LABEL}, {"key": "name", "label": LABEL}]}
    assert messages(doc_of(dup)) == ["duplicate text box key 'name'"]


# --------------------------------------------------------------------------- other, please specify

SINGLE_OTHER = {"type": "single", "key": "why", "label": LABEL, "other": True, "options": OPTIONS}


def test_other_takes_a_text_only_when_chosen():
    doc = doc_of(SINGLE_OTHER)
    got = answers(doc, {"q__why": "other", "q__why__other": "朋友介绍"})
    assert (got["why"].value, got["why.other"].value) == ("other", "朋友介绍")
    assert errors(doc, {"q__why": "other"}) == {"q__why__other": "Please say what the other answer is."}
    assert answers(doc, {"q__why": "a", "q__why__other": "typed before"}).keys() == {"why"}
    assert errors(doc_of({**SINGLE_OTHER, "other": False}), {"q__why": "other"}) == {
        "q__why": "Please choose one of the options."}


def test_other_on_multiple_choice_counts_as_a_pick_and_scores_nothing():
    doc = doc_of({"type": "multiple", "key": "m", "label": LABEL, "other": True, "scored": True, "max_picks": 2,
                  "options": [{"value": "a", "label": LABEL, "score": 100}, {"value": "b", "label": LABEL}]})
    got = answers(doc, {"q__m": ["other", "a"], "q__m__other": "自己"})
    assert got["m"].value == ["a", "other"] and got["m"].score == 100
    assert got["m.other"].score is None and got["m.other"].weight == 0
    assert errors(doc, {"q__m": ["a", "b", "other"], "q__m__other": "x"}) == {"q__m": "Please choose at most %(max)d."}


def test_other_is_a_reserved_value_and_a_condition_may_name_it_and_its_text():
    clash = {**SINGLE_OTHER, "options": OPTIONS + [{"value": "other", "label": LABEL}]}
    assert any("'other' is the value of the \"other, please specify\" option" in m for m in messages(doc_of(clash)))
    doc = doc_of(SINGLE_OTHER, {"type": "text", "key": "t", "label": LABEL,
                                "show_if": "{why} = 'other' and {why.other} contains '朋友'"})
    assert validate_document(doc) == []
    doc["items"][0]["other"] = False
    assert sorted(messages(doc)) == ["'other' is not an option of {why} (options: a, b)",
                                     "{why.other}: 'why' has no part 'other'"]


# --------------------------------------------------------------------------- exchange formats

def test_the_newer_types_survive_an_xlsform_round_trip():
    doc = normalize_document(new_types_questionnaire())
    assert normalize_document(import_xlsform(export_xlsform(doc))) == doc


def test_the_newer_types_survive_a_surveyjs_round_trip():
    doc = normalize_document(new_types_questionnaire())
    assert normalize_document(import_surveyjs(json.loads(json.dumps(export_surveyjs(doc))))) == doc


def _workbook(survey: list[list], choices: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsform_as_odk_designers_write_it():
    data = _workbook(
        [["type", "name", "label::zh", "appearance", "constraint", "relevant"],
         ["note", "welcome", "欢迎参加", None, None, None],
         ["date", "visit", "办事日期", None, ". >= date('2024-01-01') and . <= date('2024-12-31')", None],
         ["select_one district", "district", "区县", "minimal", None, None],
         ["select_one district", "district2", "区县（搜索）", "autocomplete", None, None],
         ["rank district", "order", "排序", None, None, None],
         ["select_one district or_other", "pick", "选择", None, None, None],
         ["text", "more", "补充", None, None, "${pick_other} != '' and ${order__east} = 1"]],
        [["list_name", "name", "label::zh"], ["district", "east", "城东"], ["district", "west", "城西"]])
    doc = import_xlsform(data)
    kinds = [(q["type"], q["key"]) for q in doc["items"]]
    assert kinds == [("note", "welcome"), ("date", "visit"), ("dropdown", "district"), ("dropdown", "district2"),
                     ("ranking", "order"), ("single", "pick"), ("text", "more")]
    assert (doc["items"][1]["min"], doc["items"][1]["max"]) == ("2024-01-01", "2024-12-31")
    assert doc["items"][5]["other"] is True and [o["value"] for o in doc["items"][5]["options"]] == ["east", "west"]
    assert doc["items"][6]["show_if"] == "{pick.other} and {order.east} = 1"
    # …and written back the way ODK reads it.
    survey = load_workbook(io.BytesIO(export_xlsform(doc))).worksheets[0]
    rows = {r[1]: r for r in survey.iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in survey[1]]
    col = {name: header.index(name) for name in ("type", "appearance", "relevant", "constraint")}
    assert rows["welcome"][col["type"]] == "note"
    assert rows["district"][col["appearance"]] == "minimal"
    assert rows["order"][col["type"]].startswith("rank ")
    assert rows["pick"][col["type"]].endswith(" or_other")
    assert rows["more"][col["relevant"]] == "${pick_other} != '' and ${order__east} = 1"
    assert rows["visit"][col["constraint"]] == ". >= date('2024-01-01') and . <= date('2024-12-31')"


def test_a_yes_no_list_must_be_named_yes_and_no():
    data = _workbook([["type", "name", "label", "bkb_type"], ["select_one yn", "q", "问", "yes_no"]],
                     [["list_name", "name", "label"], ["yn", "y", "是"], ["yn", "n", "否"]])
    from questionnaire import XLSFormError

    with pytest.raises(XLSFormError) as info:
        import_xlsform(data)
    assert [(p.sheet, p.row) for p in info.value.problems] == [("choices", 2), ("choices", 3)]
    assert "named yes and no" in info.value.problems[0].message


def test_a_surveyjs_survey_with_the_newer_element_types():
    survey = {"pages": [{"name": "p1", "elements": [
        {"type": "html", "name": "hi", "html": "<h3>请&amp;如实</h3> 填写"},
        {"type": "text", "name": "visit", "inputType": "date", "min": "2024-01-01", "title": "日期"},
        {"type": "dropdown", "name": "dd", "choices": ["x", "y"], "showOtherItem": True},
        {"type": "boolean", "name": "ok", "title": "解决了吗", "labelTrue": "是的", "labelFalse": "没有"},
        {"type": "ranking", "name": "rk", "choices": ["speed", "manner"]},
        {"type": "multipletext", "name": "who", "items": [{"name": "name", "title": "姓名"}, {"name": "unit"}]},
        {"type": "checkbox", "name": "cb", "choices": ["a"], "hasOther": True},
        {"type": "expression", "name": "total", "title": "合计"},
        {"type": "text", "name": "t", "visibleIf": "{cb-Comment} notempty and {who.name} = 'x'"},
    ]}]}
    doc = import_surveyjs(survey)
    items = {q["key"]: q for q in doc["items"]}
    assert items["hi"] == {"type": "note", "key": "hi", "label": {"zh": "请&如实 填写"}}
    assert items["visit"]["type"] == "date" and items["visit"]["min"] == "2024-01-01"
    assert items["dd"]["type"] == "dropdown" and items["dd"]["other"] is True
    assert items["ok"]["type"] == "yes_no" and items["ok"]["yes_label"] == {"zh": "是的"}
    assert items["rk"]["type"] == "ranking" and items["who"]["fields"][1] == {"key": "unit", "label": {"zh": "unit"}}
    assert items["cb"]["other"] is True and items["total"]["type"] == "note"
    assert items["t"]["show_if"] == "{cb.other} and {who.name} = 'x'"


def test_the_text_of_other_is_a_comment_in_surveyjs_conditions():
    assert to_surveyjs_expression("{q.other} contains 'x'", other_keys=frozenset({"q"})) == "{q-Comment} contains 'x'"
    assert to_surveyjs_expression("{m.other} = 1") == "{m.other} = 1"  # a matrix row called "other" stays a row
    assert from_surveyjs_expression("{q-Comment} notempty") == "{q.other}"


# --------------------------------------------------------------------------- the answer export

def test_each_type_has_its_place_in_the_answer_tables():
    from questionnaire.answer_table import columns, tables

    doc = new_types_questionnaire()
    data = {"q__visited_on": "2024-05-01", "q__district": "d02", "q__online_first": "no", "q__reason": "other",
            "q__reason__other": "朋友介绍", "q__helped_by": ["staff", "other"], "q__helped_by__other": "邻居",
            "q__priorities__speed": "1", "q__priorities__manner": "3", "q__priorities__clarity": "2",
            "q__contact__name": "张三", "departments": ["A"], "d__A__solved": "yes", "d__A__times": "1"}
    answers = [(a.department, a.question, a.value) for a in extract_answers(doc, [("A", "甲")], data)]
    top = [c.key for c in columns(doc, in_block=False)]
    # a note has no column; a question in parts has one per part
    assert top == ["visited_on", "district", "online_first", "reason", "reason.other", "helped_by", "helped_by.other",
                   "priorities.speed", "priorities.manner", "priorities.clarity", "contact.name", "contact.unit",
                   "reason_more"]
    assert columns(doc, in_block=False)[8].label == "请按重要性排序 · 态度"
    out = tables(doc, [("r1", answers)])
    row = dict(zip(out["respondents"][0], out["respondents"][1]))
    assert row == {"response": "r1", "visited_on": "2024-05-01", "district": "d02", "online_first": "no",
                   "reason": "other", "reason.other": "朋友介绍", "helped_by": "staff; other",
                   "helped_by.other": "邻居", "priorities.speed": 1, "priorities.manner": 3, "priorities.clarity": 2,
                   "contact.name": "张三", "contact.unit": None, "reason_more": None}
    assert out["departments"] == [["response", "department", "solved", "dept_visit", "times", "times.other"],
                                  ["r1", "A", "yes", None, "1", None]]


def test_the_boxes_of_several_short_texts_change_one_by_one_in_a_diff():
    from questionnaire import diff_documents

    old, new = new_types_questionnaire(), new_types_questionnaire()
    new["items"][8]["fields"][0]["label"] = {"zh": "名字"}
    new["items"][8]["fields"].append({"key": "phone", "label": {"zh": "电话"}})
    assert sorted(str(c) for c in diff_documents(old, new)) == [
        "'contact': row 'name' label.en changed from 'Name' to (none)",
        "'contact': row 'name' label.zh changed from '姓名' to '名字'", "'contact': row 'phone' added (电话)"]


# --------------------------------------------------------------------------- hostile input

from hypothesis import given, settings, strategies as st  # noqa: E402

from questionnaire.answers import field_name  # noqa: E402
from questionnaire.types import type_of  # noqa: E402

NEWER = new_types_questionnaire()
NEWER_FIELDS = sorted(
    field_name(s.answer_key, code) for item in NEWER["items"]
    for q, code in ([(sub, "A") for sub in item["items"]] if item["type"] == "department_block" else [(item, None)])
    for s in type_of(q).slots(q))
TRICKY = ["", " ", "1", "3", "4", "0", "-1", "１", "1_0", "1e0", "2024-02-29", "2024-02-30", "2024-5-1", "yes", "no",
          "other", "YES", "d01", "speed", "\x00", "𠀀", "2024-01-01\n", "x" * 300, "9" * 30]
value = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(NEWER_FIELDS + ["departments"]), st.one_of(value, st.lists(value, max_size=3)),
                       max_size=10))
def test_whatever_is_sent_each_answer_is_refused_with_a_message_or_kept_as_it_reads_back(data):
    res = resolve_data(NEWER, [("A", "甲")], data)
    for name, problem in res.errors().items():
        assert problem.message and name in res.states
    for state in res.states.values():
        if state.value is None or state.error is not None or state.question["type"] == "department_block":
            continue
        again = type_of(state.question).parse(state.question, state.slot, state.value)
        assert again == state.value  # a stored answer, read again, is the same answer


def test_a_surveyjs_condition_on_a_boolean_reads_as_yes_or_no():
    survey = {"pages": [{"name": "p", "elements": [
        {"type": "boolean", "name": "solved", "title": "解决了吗"},
        {"type": "boolean", "name": "ok", "valueTrue": "Y", "valueFalse": "N"},
        {"type": "comment", "name": "why", "visibleIf": "{solved} = false or {ok} = 'N'"},
        {"type": "dropdown", "name": "age", "choicesMin": 18, "choicesMax": 20},
    ]}]}
    items = {q["key"]: q for q in import_surveyjs(survey)["items"]}
    assert items["why"]["show_if"] == "{solved} = 'no' or {ok} = 'no'"
    assert [o["value"] for o in items["age"]["options"]] == ["18", "19", "20"]  # a numeric list by its bounds


def test_a_rating_with_a_minimal_appearance_stays_a_rating():
    data = _workbook([["type", "name", "label", "bkb_type", "appearance"],
                      ["select_one s", "r", "评分", "rating", "minimal"]],
                     [["list_name", "name", "label", "score"], ["s", 2, "好", 100], ["s", 1, "差", 0]])
    assert import_xlsform(data)["items"][0]["type"] == "rating"


def test_the_length_of_surveyjs_text_boxes_is_read_from_the_boxes_too():
    survey = {"elements": [{"type": "multipletext", "name": "who", "items": [
        {"name": "name", "maxLength": 20}, {"name": "unit", "maxLength": 40}, {"name": "x", "maxLength": "long"}]}]}
    items = {q["key"]: q for q in import_surveyjs(survey)["items"]}
    assert items["who"]["max_length"] == 40
