"""XLSForm import/export: lossless round trips, expression translation, located rejections."""
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from questionnaire import xlsform
from questionnaire.defaults import default_questionnaire
from questionnaire.examples import every_type_questionnaire
from questionnaire.schema import normalize_document
from questionnaire.interop import DropsToConfirm
from questionnaire.xlsform import XLSFormError, export_xlsform, from_xpath, import_xlsform, to_xpath


def workbook(survey, choices=None, settings=None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("make", [default_questionnaire, every_type_questionnaire])
def test_round_trip_is_lossless(make):
    doc = make()
    assert normalize_document(import_xlsform(export_xlsform(doc))) == normalize_document(doc)


def test_round_trip_of_awkward_text():
    doc = default_questionnaire()
    doc["items"][0]["label"] = {"zh": "=HYPERLINK(\"http://x\")", "en": "+1 it's \"quoted\""}
    data = export_xlsform(doc)
    cell = load_workbook(io.BytesIO(data))["survey"]["C2"]
    assert cell.data_type == "s", "a label must never be written as a formula"
    assert import_xlsform(data)["items"][0]["label"] == doc["items"][0]["label"]


def test_export_uses_xlsform_conventions():
    book = load_workbook(io.BytesIO(export_xlsform(every_type_questionnaire())))
    rows = {}
    for r in book["survey"].iter_rows(values_only=True):
        rows.setdefault(r[1], r)
    header = [c.value for c in book["survey"][1]]
    col = lambda name, field: rows[name][header.index(field)]  # noqa: E731
    assert col("kind_other", "relevant") == "${kind} = 'other'"
    assert col("depts", "type") == "begin_repeat" and col("depts", "parameters") == "min_picks=1 max_picks=3"
    assert col("service__speed", "type") == "select_one overall"  # the matrix reuses the identical scale list
    assert col("comment", "required") == "${overall} <= 2 or ${service__manner} <= 2"
    assert col("contact_ok", "relevant") == "selected(${depts}, 'B')"
    assert col("wait_days", "relevant") == "${visits} != '1' and ${company} != ''"
    assert col("recommend", "type") == "range" and col("general_why", "appearance") == "multiline"
    choices = [r for r in book["choices"].iter_rows(values_only=True) if r[0] == "general"]
    assert choices[-1][:3] == ("general", "na", "说不清")


@pytest.mark.parametrize("ours, theirs", [
    ("{a} = 1", "${a} = 1"),
    ("{a} <= 2 and {b} != 'x'", "${a} <= 2 and ${b} != 'x'"),
    ("{m.row} > 3", "${m__row} > 3"),
    ("not {a}", "not(${a} != '')"),
    ("{a} or {b} and {c}", "${a} != '' or ${b} != '' and ${c} != ''"),
    ("({a} or {b}) and {c}", "(${a} != '' or ${b} != '') and ${c} != ''"),
    ("{t} contains 'x'", "contains(${t}, 'x')"),
    ("{pick} contains 'x'", "selected(${pick}, 'x')"),
    ("{a} = 'it\\'s'", "${a} = \"it's\""),
    ("true", "true()"),
])
def test_expression_translation(ours, theirs):
    kinds = {"pick": "multiple", "t": "text"}
    assert to_xpath(ours, kinds) == theirs
    assert from_xpath(theirs, {"m__row": "m.row"}) == ours


def test_xpath_import_accepts_common_forms():
    assert from_xpath("${a}='' or selected( ${b} , \"y\" )") == "not {a} or {b} contains 'y'"
    with pytest.raises(ValueError, match="today"):
        from_xpath("${a} < today()")
    with pytest.raises(ValueError):
        from_xpath("${a} + 1 > 2")


HEADER = ["type", "name", "label", "label::English (en)", "required", "relevant"]


def test_plain_label_means_chinese_and_language_columns_are_read():
    data = workbook(
        [HEADER, ["select_one yn", "ok", "满意吗", "Satisfied?", "yes", None],
         ["text", "why", "原因", None, None, "${ok} = 'n'"]],
        [["list_name", "name", "label"], ["yn", "y", "是"], ["yn", "n", "否"]],
        [["form_title"], ["测试"]],
    )
    doc = import_xlsform(data)
    assert doc["title"] == {"zh": "测试"}
    assert doc["items"][0] == {"type": "single", "key": "ok", "label": {"zh": "满意吗", "en": "Satisfied?"},
                               "required": True, "options": [{"value": "y", "label": {"zh": "是"}},
                                                            {"value": "n", "label": {"zh": "否"}}]}
    assert doc["items"][1]["show_if"] == "{ok} = 'n'"


def test_unsupported_types_are_left_out_and_listed_with_sheet_and_row():
    data = workbook([HEADER, ["text", "a", "甲"], ["geopoint", "where", "位置"], ["text", "b", "乙"],
                     ["image", "photo", "照片"], ["calculate", "c", "计算"], ["deviceid", "device"]])
    with pytest.raises(DropsToConfirm) as info:
        import_xlsform(data)
    found = [(p.sheet, p.row, p.column) for p in info.value.problems]
    assert found == [("survey", 3, "type"), ("survey", 5, "type"), ("survey", 6, "type"), ("survey", 7, "type")]
    messages = [p.message for p in info.value.problems]
    assert "a location cannot be answered" in messages[0] and "a photo" in messages[1]
    assert "'calculate' has no equivalent" in messages[2]
    assert "collects nothing about the respondent's device" in messages[3]
    assert str(info.value.problems[0]).startswith("survey row 3, column type: ")
    # Confirmed, the draft holds the rest, in order.
    doc = import_xlsform(data, allow_drops=True)
    assert [i["key"] for i in doc["items"]] == ["a", "b"]


def test_structure_problems_are_located_and_all_reported():
    data = workbook([HEADER, ["begin_group", "g", "组"], ["text", "a", "甲"], ["end_repeat"],
                     ["select_one missing", "b", "乙"], ["text", "c", "丙", None, None, "${a} < now()"]])
    with pytest.raises(XLSFormError) as info:
        import_xlsform(data, allow_drops=True)
    found = {(p.row, p.column): p.message for p in info.value.problems}
    assert "end_repeat without a matching begin_repeat" in found[(4, "type")]
    assert "'missing' is not in the choices sheet" in found[(5, "type")]
    assert "never closed" in found[(2, "type")]


def test_an_unreadable_condition_is_left_out_and_listed():
    data = workbook([HEADER, ["text", "a", "甲"], ["text", "c", "丙", None, None, "${a} < now()"]])
    imported = xlsform.read_xlsform(data)
    (dropped,) = imported.dropped
    assert (dropped.row, dropped.column) == (3, "relevant") and "now()" in dropped.message
    assert "show_if" not in imported.document["items"][1]


def test_validation_problems_point_at_rows():
    data = workbook(
        [HEADER + ["bkb_type"], ["text", "Bad Key", "甲"], ["select_one s", "s", "乙", None, None, None, "rating"],
         ["text", "c", "丙", None, None, "${later} = 1"], ["text", "later", "丁"]],
        [["list_name", "name", "label", "score"], ["s", "5", "好", 100], ["s", "5", "好", 100], ["s", "x", "坏", "lots"]],
    )
    with pytest.raises(XLSFormError) as info:
        import_xlsform(data)
    found = sorted((p.sheet, p.row, p.column or "", p.message) for p in info.value.problems)
    assert ("choices", 4, "name", "a rating scale needs whole-number choice names, not 'x'") in found
    assert ("choices", 4, "score", "'lots' is not a number") in found
    # The rest of the file is checked too: every problem at once.
    assert any(row == 4 and "defined later" in message for _, row, _, message in found)


def test_semantic_problems_are_mapped_to_rows():
    data = workbook(
        [HEADER, ["text", "Bad", "甲"], ["text", "c", "丙", None, None, "${later} = 1"], ["text", "later", "丁"]])
    with pytest.raises(XLSFormError) as info:
        import_xlsform(data)
    found = sorted((p.sheet, p.row, p.item, p.message) for p in info.value.problems)
    # The row and the question's key say where: no JSON path, which would mean nothing to whoever wrote the file.
    assert found == [("survey", 3, "c", "{later} is defined later: an expression can only use questions asked "
                                        "before it")]


def test_duplicate_choice_maps_to_the_choices_row():
    data = workbook([HEADER, ["select_one s", "s", "乙"]],
                    [["list_name", "name", "label"], ["s", "a", "好"], ["s", "a", "好"]])
    with pytest.raises(XLSFormError) as info:
        import_xlsform(data)
    (problem,) = info.value.problems
    assert (problem.sheet, problem.row) == ("choices", 3) and "duplicate option value 'a'" in problem.message


def test_not_a_workbook():
    with pytest.raises(XLSFormError, match="not an .xlsx"):
        import_xlsform(b"hello")


def test_zip_bomb_is_refused_before_opening(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (51 * 1024 * 1024))
    calls = []
    monkeypatch.setattr(xlsform, "load_workbook", lambda *a, **k: calls.append(1))
    with pytest.raises(XLSFormError, match="too large"):
        import_xlsform(buffer.getvalue())
    assert calls == []


def test_size_cap_applies_to_real_workbooks(monkeypatch):
    data = export_xlsform(default_questionnaire())
    monkeypatch.setattr(xlsform, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(XLSFormError, match="too large"):
        import_xlsform(data)


def test_missing_survey_sheet():
    book = Workbook()
    book.active.title = "other"
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(XLSFormError, match="no 'survey' sheet"):
        import_xlsform(out.getvalue())


def test_plain_range_and_table_list_group_import():
    data = workbook(
        [["type", "name", "label", "appearance", "parameters"],
         ["range", "age", "年龄", None, "start=18 end=99 step=1"],
         ["begin_group", "grid", "表格", "table-list"], ["select_one sc", "speed", "速度"], ["select_one sc", "care", "细致"],
         ["end_group"]],
        [["list_name", "name", "label", "score"], ["sc", 3, "好", 100], ["sc", 1, "差", 0], ["sc", "na", "不清楚"]],
    )
    doc = import_xlsform(data)
    assert doc["items"][0] == {"type": "number", "key": "age", "label": {"zh": "年龄"}, "integer": True,
                               "min": 18, "max": 99}
    matrix = doc["items"][1]
    assert matrix["type"] == "matrix" and [r["key"] for r in matrix["rows"]] == ["speed", "care"]
    assert [o["value"] for o in matrix["options"]] == [3, 1] and matrix["not_familiar_label"] == {"zh": "不清楚"}
