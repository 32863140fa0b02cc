"""The streaming XLSX reader reads what openpyxl reads, and refuses XML attacks."""
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from app.platform.xlsx_reader import XlsxError, iter_rows


def openpyxl_rows(data: bytes) -> list:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        rows.append((number, values))
    return rows


def ours(data: bytes) -> list:
    return [(number, values) for number, values in iter_rows(data)]


def saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, name: str, change) -> bytes:
    """The same archive with one member's text changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == name:
                content = change(content.decode("utf-8")).encode("utf-8")
            target.writestr(item, content)
    return out.getvalue()


@pytest.mark.parametrize("write_only", [False, True])
def test_every_kind_of_cell_reads_as_openpyxl_reads_it(write_only):
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet("名单") if write_only else workbook.active
    sheet.append(["姓名", "手机", "人数", "比例", "入库日期", "在库", "备注"])
    sheet.append(["张伟", 13800000001, 12, 0.25, datetime(2026, 1, 15), True, None])
    sheet.append(["李娜", "13800000002", -3, 1e-7, datetime(2025, 12, 31, 8, 30), False, "中文、标点，“引号”"])
    sheet.append([None, None, None, None, None, None, "只有最后一列"])
    sheet.append([])
    sheet.append(["王芳", "=1+1", 0, 3.0, date(2026, 2, 1), None, "  空格  "])
    data = saved(workbook)
    assert [row for row in ours(data) if row[1]] == [row for row in openpyxl_rows(data) if row[1]]
    rows = dict(ours(data))
    assert rows[2][1] == 13800000001 and rows[2][4] == datetime(2026, 1, 15)
    assert rows[4] == [None, None, None, None, None, None, "只有最后一列"]


def test_formula_cells_give_their_cached_result():
    workbook = openpyxl.Workbook()
    workbook.active.append(["a", '="138"&"00000002"'])
    data = rewrite(saved(workbook), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        '<c r="B1"><f>"138"&amp;"00000002"</f><v /></c>',
        '<c r="B1" t="str"><f>"138"&amp;"00000002"</f><v>13800000002</v></c>'))
    assert ours(data) == [(1, ["a", "13800000002"])]


SST = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>'


def with_shared_strings(items: str, prolog: str = "") -> bytes:
    """A workbook whose A1 is shared string 0 (openpyxl itself writes inline strings)."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["placeholder", "second"])
    data = rewrite(saved(workbook), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(
        '<c r="A1" t="inlineStr"><is><t>placeholder</t></is></c>', '<c r="A1" t="s"><v>0</v></c>'))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr("xl/sharedStrings.xml", prolog + SST.format(items))
    return out.getvalue()


def test_shared_strings_and_rich_text_runs():
    assert ours(with_shared_strings("<si><t>张伟</t></si>")) == [(1, ["张伟", "second"])]
    rich = "<si><r><t>星河</t></r><r><rPr><b/></rPr><t>电子</t></r></si>"
    assert ours(with_shared_strings(rich)) == [(1, ["星河电子", "second"])]


def test_phonetic_guides_are_not_part_of_the_text():
    phonetic = '<si><r><t>東</t></r><r><t>京</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>'
    assert ours(with_shared_strings(phonetic)) == [(1, ["東京", "second"])]


def test_dates_of_a_1904_workbook():
    workbook = openpyxl.Workbook()
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    workbook.active.append([datetime(2026, 3, 1)])
    data = saved(workbook)
    assert ours(data) == openpyxl_rows(data) == [(1, [datetime(2026, 3, 1)])]


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')


def poison(xml: str) -> str:
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    return BILLION_LAUGHS + body.replace("<t>x</t>", "<t>&lol2;</t>")


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_entity_declarations_are_refused_in_every_part(member):
    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    data = rewrite(saved(workbook), member, poison)
    assert poison("<a/>") != "<a/>" and data != saved(workbook)
    with pytest.raises(XlsxError):
        ours(data)


def test_entity_declarations_are_refused_in_the_string_table():
    with pytest.raises(XlsxError):
        ours(with_shared_strings("<si><t>&lol2;</t></si>", prolog=BILLION_LAUGHS))


def test_a_damaged_sheet_is_an_xlsx_error():
    workbook = openpyxl.Workbook()
    workbook.active.append(["x"])
    data = rewrite(saved(workbook), "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(XlsxError):
        ours(data)
