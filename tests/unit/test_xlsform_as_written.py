"""XLSForms as people write them (issue #25): the spellings of other tools, their language columns, their blank
rows and old .xls files; what cannot be asked is left out and listed; a broken file is refused with every reason."""
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from questionnaire import xlsform
from questionnaire.interop import DropsToConfirm
from questionnaire.xlsform import XLSFormError, export_xlsform, import_xlsform, read_xlsform

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "interop" / "xlsform"


def workbook(survey, choices=None, settings=None, sheet_names=("survey", "choices", "settings")) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in zip(sheet_names, (survey, choices, settings)):
        if rows is not None:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_list_name_header_and_the_old_spaced_spellings():
    data = workbook(
        [["type", "name", "label"], ["begin group", "g", "第一组"], ["select one yn", "ok", "满意吗"],
         ["select all that apply from topics", "topics", "话题"], ["select_one from yn", "again", "再来吗"],
         ["end group", None, None]],
        [["list name", "name", "label"], ["yn", "y", "是"], ["yn", "n", "否"], ["topics", "a", "甲"],
         ["topics", "b", "乙"]],
        sheet_names=("Survey", "CHOICES", "settings"))
    doc = import_xlsform(data)
    assert [(i["type"], i["key"]) for i in doc["items"]] == [
        ("section", "g"), ("single", "ok"), ("multiple", "topics"), ("single", "again")]
    assert [o["value"] for o in doc["items"][2]["options"]] == ["a", "b"]


@pytest.mark.parametrize("zh_column, en_column", [
    ("label::中文", "label::English"), ("label:zh", "label:en"), ("label::Chinese (zh)", "label::English (en)")])
def test_language_columns_named_by_language_are_mapped_to_codes(zh_column, en_column):
    data = workbook([["type", "name", zh_column, en_column, "label::Français (fr)"], ["text", "name", "姓名", "Name", "Nom"]],
                    settings=[["form_title", "default_language"], ["调查", "中文"]])
    imported = read_xlsform(data)
    assert imported.document["items"][0]["label"] == {"zh": "姓名", "en": "Name"}
    (dropped,) = imported.dropped
    assert "fr" in dropped.message and "left out" in dropped.message


def test_a_form_in_english_only_lends_its_english_texts_and_says_so():
    data = workbook([["type", "name", "label::English (en)"], ["integer", "age", "How old are you?"]])
    imported = read_xlsform(data)
    assert imported.document["items"][0]["label"] == {"zh": "How old are you?"}
    assert any("no Chinese texts" in p.message for p in imported.dropped)


def test_curly_quotes_in_an_expression_are_straightened():
    data = workbook([["type", "name", "label", "relevant"], ["select_one yn", "ok", "满意吗", None],
                     ["text", "why", "为什么", "${ok} = \u2018n\u2019"]],
                    [["list_name", "name", "label"], ["yn", "y", "是"], ["yn", "n", "否"]])
    assert import_xlsform(data)["items"][1]["show_if"] == "{ok} = 'n'"


def test_blank_and_formatted_rows_are_ignored_and_not_counted_against_the_limit(monkeypatch):
    monkeypatch.setattr(xlsform, "MAX_ROWS", 3)
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in (["type", "name", "label"], ["text", "a", "甲"], ["text", "b", "乙"], ["text", "c", "丙"]):
        sheet.append(row)
    for r in range(5, 400):  # formatted, empty: what a spreadsheet leaves below a form
        sheet.cell(row=r, column=1).fill = PatternFill("solid", fgColor="FFFF00")
        sheet.cell(row=r, column=2, value="  ")
    out = io.BytesIO()
    book.save(out)
    assert [i["key"] for i in import_xlsform(out.getvalue())["items"]] == ["a", "b", "c"]
    sheet.append(["text", "d", "丁"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(XLSFormError, match="too many rows"):
        import_xlsform(out.getvalue())


def test_an_old_xls_workbook_is_read():
    data = (CORPUS / "pyxform-tutorial.xls").read_bytes()
    assert data[:4] == b"\xd0\xcf\x11\xe0"  # the binary format, not a renamed .xlsx
    imported = read_xlsform(data)
    items = imported.document["items"]
    assert [(i["type"], i["key"]) for i in items[:4]] == [
        ("section", "member"), ("text", "name"), ("single", "relationship_to_household_head"), ("single", "sex")]
    assert items[7] == {**items[7], "type": "number", "key": "age_in_months", "integer": True}
    # pyxform's household roster repeats; here its questions are asked once, and the list says so.
    assert [(p.row, p.message) for p in imported.dropped] == [
        (2, "the repetition is left out: its questions are asked once")]


def test_metadata_media_and_unknown_types_are_listed_with_row_and_reason():
    data = workbook([["type", "name", "label"], ["start", "start", None], ["end", "end", None],
                     ["today", "today", None], ["deviceid", "deviceid", None], ["text", "a", "甲"],
                     ["geopoint", "where", "位置"], ["photo", "pic", "照片"], ["barcode", "code", "条码"],
                     ["calculate", "calc", None], ["text", "b", "乙", ], ["xml-external", "ext", None]])
    with pytest.raises(DropsToConfirm) as info:
        import_xlsform(data)
    rows = {p.row: p.message for p in info.value.problems}
    assert sorted(rows) == [2, 3, 4, 5, 7, 8, 9, 10, 12]
    assert all("collects nothing about the respondent's device" in rows[r] for r in (2, 3, 4, 5))
    assert "a location" in rows[7] and "a photo" in rows[8] and "a barcode" in rows[9]
    assert "'calculate' has no equivalent" in rows[10] and "'xml-external'" in rows[12]
    assert [i["key"] for i in import_xlsform(data, allow_drops=True)["items"]] == ["a", "b"]


def test_a_condition_on_a_left_out_question_is_left_out_too():
    data = workbook([["type", "name", "label", "relevant"], ["calculate", "score", None, None],
                     ["text", "a", "甲", "${score} > 3"]])
    imported = read_xlsform(data)
    assert "show_if" not in imported.document["items"][0]
    assert any(p.row == 3 and p.column == "relevant" and "score" in p.message for p in imported.dropped)


def test_or_other_is_read():
    data = workbook([["type", "name", "label"], ["select_one yn or_other", "ok", "满意吗"]],
                    [["list_name", "name", "label"], ["yn", "y", "是"], ["yn", "n", "否"]])
    imported = read_xlsform(data)
    q = imported.document["items"][0]
    assert q["type"] == "single" and [o["value"] for o in q["options"]] == ["y", "n"]
    # With the "other, please specify" option in the model it is kept; before, it is listed as left out.
    assert q.get("other") is True or any("other" in p.message for p in imported.dropped)


def test_foreign_names_and_values_are_kept_as_written_in_the_export():
    data = workbook([["type", "name", "label", "relevant"], ["select_one brands", "Fav-Brand", "品牌", None],
                     ["text", "whyApple", "为什么", "${Fav-Brand} = 'Apple Inc'"]],
                    [["list_name", "name", "label"], ["brands", "Apple Inc", "苹果"], ["brands", "other", "其他"]])
    doc = import_xlsform(data)
    first, second = doc["items"]
    assert (first["key"], first["source_name"]) == ("fav_brand", "Fav-Brand")
    assert first["options"][0] == {"value": "Apple_Inc", "source_value": "Apple Inc", "label": {"zh": "苹果"}}
    assert (second["key"], second["show_if"]) == ("why_apple", "{fav_brand} = 'Apple_Inc'")
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(export_xlsform(doc)))
    survey = [dict(zip([c.value for c in book["survey"][1]], [c.value for c in row])) for row in book["survey"]][1:]
    assert [r["name"] for r in survey] == ["Fav-Brand", "whyApple"]
    assert survey[1]["relevant"] == "${Fav-Brand} = 'Apple Inc'"
    assert [c.value for c in book["choices"]["B"]][1:] == ["Apple Inc", "other"]
    assert import_xlsform(export_xlsform(doc)) == doc


def test_a_structurally_broken_file_is_refused_whole_with_every_reason():
    data = workbook([["type", "name", "label"], ["begin group", "g", "组"], ["text", "a", "甲"],
                     ["geopoint", "where", "位置"], ["end repeat", None, None], ["begin_group", "h", "组二"],
                     ["text", "b", "乙"]])
    with pytest.raises(XLSFormError) as info:
        import_xlsform(data, allow_drops=True)
    found = [(p.row, p.column, p.message) for p in info.value.problems]
    assert (5, "type", "end_repeat without a matching begin_repeat") in found
    assert sum("never closed" in m for _, _, m in found) == 2
    assert any(r == 4 and "a location" in m for r, _, m in found)  # the left-out row is named in the same list


def test_no_survey_sheet_is_refused():
    with pytest.raises(XLSFormError, match="no 'survey' sheet"):
        import_xlsform(workbook([["a"]], sheet_names=("questions",)))
