"""Random and hostile files at the imports: questionnaires (JSON, SurveyJS, XLSForm), the pool, departments.

Every upload gets a page that names what is wrong — by row and column, sheet and row, or JSON path — and
never a 500; a file with any error changes nothing (no questionnaire or version, no member, no
department). Zip bombs, archives with thousands of parts and parts that lie about their size are refused
from the archive's directory, quickly and without unpacking them.
"""
from __future__ import annotations

import csv
import functools
import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest
from flask_babel import force_locale
from hypothesis import event, given, strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from app.departments import service as department_service
from app.departments.models import Department
from app.extensions import db
from app.pool import importing as pool_import, service as pool
from app.pool.models import Respondent, StagedImport
from app.questionnaires import service as questionnaire_service
from app.questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaire.defaults import default_questionnaire
from questionnaire.schema import validate_document
from questionnaire.xlsform import export_xlsform
from tests.integration.test_hostile_input import TRICKY_TEXTS, count, english, hostile, hostile_text

QUESTIONNAIRES = "/admin/questionnaires"


def upload(client, path: str, data: bytes, filename: str, **fields):
    return client.post_form(path, {"file": (io.BytesIO(data), filename), **fields}, content_type="multipart/form-data")


def versions() -> tuple[int, int]:
    return count(Questionnaire), count(QuestionnaireVersion)


# --------------------------------------------------------------------------- questionnaire import

@pytest.fixture
def designer(client, make_user, login):
    login(make_user("designer", username="designer"))
    return client


def import_questionnaire(client, data: bytes, filename: str):
    return upload(client, f"{QUESTIONNAIRES}/import", data, filename, questionnaire="new")


def assert_refused_with_problems(response, before: tuple[int, int]) -> None:
    """The import page again, with its list of problems, and no questionnaire or version written."""
    assert response.status_code == 200
    assert 'id="errors-title"' in response.get_data(as_text=True)
    assert versions() == before


def newest_version() -> QuestionnaireVersion:
    return db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())).first()


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                      hostile_text)
json_value = st.recursive(json_leaf, lambda children: st.lists(children, max_size=4)
                          | st.dictionaries(st.one_of(st.text(max_size=10), st.sampled_from(
                              ["items", "type", "key", "label", "zh", "pages", "elements", "name", "title",
                               "choices", "rateValues", "visibleIf", "bkb", "templateElements", "valueName"])),
                              children, max_size=4), max_leaves=25)


@hostile(60)
@given(document=json_value, filename=st.sampled_from(["q.json", "q.surveyjs.json"]))
def test_random_json_is_refused_with_its_problems(designer, document, filename):
    """Random JSON documents (hypothesis' recursive strategy) as native or SurveyJS files."""
    before = versions()
    response = import_questionnaire(designer, json.dumps(document).encode(), filename)
    event(f"status {response.status_code}")
    if response.status_code == 302:  # a SurveyJS survey can be as small as {"pages": []}
        assert versions() == (before[0] + 1, before[1] + 1) and validate_document(newest_version().document) == []
    else:
        assert_refused_with_problems(response, before)


def exported_default(designer) -> dict:
    version = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    return json.loads(designer.get(f"{QUESTIONNAIRES}/versions/{version.id}/export/json").data)


def paths(value, prefix=()):
    """Every path into a JSON value, the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from paths(sub, prefix + (key,))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from paths(sub, prefix + (i,))


def mutate(document, path, how: str, new):
    """Replace, delete or add at ``path``; the root can only be replaced."""
    if not path:
        return new
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[f"extra_{len(parent)}"] = new
    elif how == "add":
        parent.insert(last, new)
    else:
        parent[last] = new
    return document


@hostile(60)
@given(data=st.data())
def test_mutated_valid_documents_are_imported_only_when_still_valid(designer, data):
    """The default questionnaire's own export, with one to three values replaced, deleted or added: imported
    as a draft exactly when the result is valid, otherwise refused with every problem and nothing written."""
    document = exported_default(designer)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(document))))
        how = data.draw(st.sampled_from(["replace", "delete", "add"])) if path else "replace"
        new = data.draw(st.one_of(json_value, st.sampled_from(TRICKY_TEXTS), st.sampled_from(
            [-1, 0, 1e308, -1e-308, 2 ** 63, 10 ** 30, True, [], {}, "section", "rating", "department_block"])))
        document = mutate(document, path, how, new)
    before = versions()
    response = import_questionnaire(designer, json.dumps(document).encode(), "mutated.json")
    valid = validate_document(document) == []
    event(f"valid {valid}")
    if valid:
        assert response.status_code == 302 and versions() == (before[0] + 1, before[1] + 1)
        assert newest_version().document == document
    else:
        assert_refused_with_problems(response, before)


@pytest.mark.parametrize("data", [
    b"[" * 100_000,                                                 # deeper than the JSON parser recurses
    b'{"schema_version": 1, "title": {"zh": ' + b"[" * 500 + b"]" * 500 + b'}, "items": []}',  # parses, too deep
    b"1" * 5_000,                                                   # an integer of 5,000 digits
    b'{"schema_version": 1, "title": {"zh": "x"}, "items": [], "w": NaN}',
    b'{"schema_version": 1, "title": {"zh": "\\ud800"}, "items": []}',  # a lone surrogate: no database stores it
    b'{"schema_version": 1, "title": {"zh": "a\\u0000b"}, "items": []}',  # NUL
    b'{"schema_version": 1, "title": {"zh": "\\u0007"}, "items": []}',    # a control character no XLSX can hold
    b"\xff\xfe{\x00}\x00",                                           # UTF-16, not UTF-8
    b"\x80\x81\x82 not utf-8",
    b"",
])
@pytest.mark.parametrize("filename", ["q.json", "q.surveyjs.json"])
def test_hostile_json_files_are_refused(designer, data, filename):
    before = versions()
    assert_refused_with_problems(import_questionnaire(designer, data, filename), before)


def test_a_nan_weight_is_refused_before_postgres_sees_it(designer):
    """json.loads accepts NaN; PostgreSQL's JSON type does not, and no weight can be NaN."""
    document = exported_default(designer)
    text = re.sub(r'"weight": [0-9.]+', '"weight": NaN', json.dumps(document), count=1)
    assert "NaN" in text
    before = versions()
    response = import_questionnaire(designer, text.encode(), "nan.json")
    assert_refused_with_problems(response, before)
    assert "NaN" in response.get_data(as_text=True)


def test_an_imported_title_of_spaces_falls_back_to_the_file_name(designer):
    document = exported_default(designer)
    document["title"]["zh"] = "   "
    response = import_questionnaire(designer, json.dumps(document).encode(), "营商环境问卷.json")
    assert response.status_code == 302
    assert db.session.scalars(select(Questionnaire).order_by(Questionnaire.id.desc())).first().name == "营商环境问卷.json"


def default_xlsform() -> bytes:
    return export_xlsform(default_questionnaire())


xlsx_cell = st.one_of(
    hostile_text.filter(lambda text: not ILLEGAL_CHARACTERS_RE.search(text)),
    st.integers(-2 ** 60, 2 ** 60), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)), st.none(),
    st.sampled_from(["select_one scale", "select_multiple", "begin_group", "end_group", "begin_repeat", "end_repeat",
                     "range", "integer", "text", "${q} = 1", "selected(${departments}, 'x')", "start=0 end=10 step=1",
                     "min_picks=5 max_picks=1", "table-list", "rating", "matrix", "nps", "=1+1", "=A1/0"]),
)


@hostile(40)
@given(data=st.data())
def test_an_xlsform_with_hostile_cells_is_imported_only_when_valid(designer, data):
    """The default XLSForm with random cells of its three sheets overwritten (texts, numbers, dates,
    formulas, XLSForm keywords): a draft if the result is a valid questionnaire, else the problems by row."""
    book = openpyxl.load_workbook(io.BytesIO(default_xlsform()))
    for _ in range(data.draw(st.integers(1, 4))):
        sheet = book[data.draw(st.sampled_from(["survey", "choices", "settings"]))]
        row = data.draw(st.integers(1, sheet.max_row + 2))
        column = data.draw(st.integers(1, sheet.max_column + 2))
        sheet.cell(row=row, column=column, value=data.draw(xlsx_cell))
    buffer = io.BytesIO()
    book.save(buffer)
    before = versions()
    response = import_questionnaire(designer, buffer.getvalue(), "hostile.xlsx")
    event(f"status {response.status_code}")
    if response.status_code == 302:
        assert versions() == (before[0] + 1, before[1] + 1) and validate_document(newest_version().document) == []
    else:
        assert_refused_with_problems(response, before)


# --------------------------------------------------------------------------- hostile workbooks (all readers)

def workbook_parts() -> dict[str, bytes]:
    """The parts of a small real workbook (a pool file), to be spoilt one at a time."""
    book = openpyxl.Workbook()
    book.active.append(["姓名", "类别", "手机"])
    book.active.append(["张伟", "sme", "13800000001"])
    buffer = io.BytesIO()
    book.save(buffer)
    archive = zipfile.ZipFile(buffer)
    return {name: archive.read(name) for name in archive.namelist()}


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


SHEET = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
         'spreadsheetml/2006/main"><sheetData>{}</sheetData></worksheet>')
attribute = st.one_of(st.none(), st.sampled_from(["A1", "B2", "XFD1", "ZZZZ1", "A0", "1", "-1", "", "A99999999999",
                                                  "0", "99", "1e3", "s", "x"]), st.text(max_size=6))


def _attributes(**values) -> str:
    return "".join(f" {name}={quoteattr(value)}" for name, value in values.items() if value is not None)


def _cell(ref, kind, style, value) -> str:
    if value is None:
        content = ""
    elif kind == "inlineStr":
        content = f"<is><t>{escape(value)}</t></is>"
    else:
        content = f"<v>{escape(value)}</v>"
    return f"<c{_attributes(r=ref, t=kind, s=style)}>{content}</c>"


cell_value = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(
    ["0", "1", "99", "-1", "1e308", "1e400", "4.5", "abc", "", "1" * 400, "2958466", "-700000", "nan"]))
cell_xml = st.builds(_cell, attribute, st.one_of(st.none(), st.sampled_from(
    ["s", "n", "b", "str", "inlineStr", "e", "d", "x"])), attribute, cell_value)
row_xml = st.builds(lambda ref, cells: f"<row{_attributes(r=ref)}>{''.join(cells)}</row>",
                    attribute, st.lists(cell_xml, max_size=4))
hostile_workbook = st.one_of(
    st.binary(max_size=400),                                             # not a zip at all
    st.lists(row_xml, max_size=5).map(lambda rows: zip_of({**workbook_parts(), "xl/worksheets/sheet1.xml":
                                                            SHEET.format("".join(rows)).encode()})),
    st.tuples(st.sampled_from(sorted(workbook_parts())), st.binary(max_size=200)).map(
        lambda spoilt: zip_of({**workbook_parts(), spoilt[0]: spoilt[1]})),   # one part replaced by noise
    st.sampled_from(sorted(workbook_parts())).map(
        lambda missing: zip_of({k: v for k, v in workbook_parts().items() if k != missing})),  # one part missing
)


@hostile(60)
@given(workbook=hostile_workbook)
def test_hostile_workbooks_give_a_located_message_to_every_reader(app, workbook):
    """Random bytes named .xlsx, sheets with absurd cell references, styles, types and values, parts
    replaced by noise or missing: the pool and department checks report it (row 1 for the file as a whole)
    and the XLSForm import lists a problem; nothing raises anything else."""
    plan = pool_import.check("pool.xlsx", workbook)
    assert plan.rows_read or plan.errors
    for error in plan.errors:
        assert error.row >= 1 and error.reason
    outcome = department_service.import_file("departments.xlsx", workbook, dry_run=True)
    assert all(e.row >= 1 and e.reason for e in outcome.errors)
    with pytest.raises(questionnaire_service.DocumentProblems) as refused:
        questionnaire_service.read_document("form.xlsx", workbook)
    assert refused.value.problems
    assert count(Respondent) == count(Department) == 0


# --------------------------------------------------------------------------- pool import

@pytest.fixture
def operator(client, make_user, login):
    login(make_user("operator", username="operator"))
    return client


POOL_HEADERS = ["姓名", "类别", "区县", "单位", "手机", "编号", "入库日期", "备注", "name", "\ufeff姓名", "",
                "=HYPERLINK(\"http://x\")", "手机号码"]
pool_cell = st.one_of(
    hostile_text,
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.sampled_from(["sme", "四上企业", "citizen", "办事群众", "外星人", "2026-01-05", "2026/13/45", "P000001",
                     "=cmd|' /C calc'!A0", "+SUM(A1:A9)", "@x", "-1+1", "x" * 200_000, "13800000001"]),
)
pool_csv = st.builds(
    lambda header, rows, delimiter, encoding, bom: (b"\xef\xbb\xbf" if bom else b"") + _csv(
        header, rows, delimiter).encode(encoding, errors="replace"),
    st.lists(st.sampled_from(POOL_HEADERS), min_size=1, max_size=7),
    st.lists(st.lists(pool_cell, max_size=8), max_size=6),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "gb18030", "utf-16", "latin-1", "big5"]),
    st.booleans(),
)
pool_file = st.one_of(
    st.tuples(pool_csv, st.sampled_from(["pool.csv", "pool.CSV", "pool.txt", "pool", "pool.csv.exe"])),
    st.tuples(st.binary(max_size=500), st.sampled_from(["pool.csv", "pool.xlsx"])),
    st.tuples(hostile_workbook, st.just("pool.xlsx")),
    st.tuples(st.just(("姓名,类别,手机\n" + ",".join(f"c{i}" for i in range(3000)) + "\n").encode()),
              st.just("wide.csv")),  # thousands of columns
)


def _csv(header, rows, delimiter) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def preview_summary(token: str) -> dict:
    db.session.expire_all()
    return db.session.scalar(select(StagedImport).where(StagedImport.token == token)).summary


@hostile(50)
@given(upload_file=pool_file)
def test_hostile_pool_files_are_previewed_with_located_errors_and_commit_nothing(operator, upload_file):
    """Random bytes, random encodings, BOMs, formula texts, 200,000-character fields, thousands of columns:
    the preview lists every problem by row and column (a problem with the whole file alone, on row 1),
    nothing is written before the commit, and a commit of a file with errors writes nothing."""
    data, filename = upload_file
    members = count(Respondent)
    response = upload(operator, "/admin/pool/import", data, filename)
    if not filename.lower().endswith((".csv", ".xlsx")):  # the form itself refuses the file type
        assert response.status_code == 200 and 'id="file-error"' in response.get_data(as_text=True)
        assert count(Respondent) == members
        return
    assert response.status_code == 302 and count(Respondent) == members
    location = response.headers["Location"]
    preview = operator.get(location)
    assert preview.status_code == 200
    summary = preview_summary(location.rsplit("/", 1)[1])
    errors = summary["errors"]
    event(f"errors {bool(errors)}")
    for error in errors:
        assert error["row"] >= 1 and error["reason"]
        if not error["column"]:  # a problem with the file as a whole comes alone
            assert summary["error_count"] == 1
    if errors:
        assert 'id="errors-title"' in preview.get_data(as_text=True)
    operator.post_form(location, {"action": "commit"})
    assert count(Respondent) == members + (0 if errors else summary["to_add"])


def test_a_control_character_in_a_name_is_refused_so_the_export_cannot_fail(app, operator):
    """A name holding U+0001 once imported fine and then broke the XLSX export (openpyxl refuses it)."""
    data = "姓名,类别,手机\n张\x01伟,sme,13800000001\n".encode()
    location = upload(operator, "/admin/pool/import", data, "pool.csv").headers["Location"]
    errors = preview_summary(location.rsplit("/", 1)[1])["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "name")] and "U+0001" in errors[0]["reason"]
    operator.post_form(location, {"action": "commit", "only_valid_rows": "y"})
    assert count(Respondent) == 0
    assert pool.export_xlsx()  # and the export still works


def test_an_upload_over_the_import_limit_is_refused_by_name(app, operator):
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    data = ("姓名,类别,手机\n" + "张伟,sme,13800000001\n" * 60_000).encode()
    assert len(data) > 1024 * 1024
    location = upload(operator, "/admin/pool/import", data, "pool.csv").headers["Location"]
    errors = preview_summary(location.rsplit("/", 1)[1])["errors"]
    assert len(errors) == 1 and errors[0]["row"] == 1 and "1 MB" in errors[0]["reason"]
    assert count(Respondent) == 0


# --------------------------------------------------------------------------- department import

@pytest.fixture
def admin(client, make_user, login):
    login(make_user("admin", username="admin"))
    return client


department_csv = st.builds(
    lambda header, rows: _csv(header, rows, ",").encode(),
    st.lists(st.sampled_from(["编码", "名称", "类型", "状态", "排序", "code", "name", "", "备注"]), min_size=1, max_size=6),
    st.lists(st.lists(st.one_of(hostile_text, st.sampled_from(["SCJG", "市市场监督管理局", "服务部门", "重点单位", "启用",
                                                                "停用", "²", "１２", "100001", "-1", "a b"])),
                      max_size=6), max_size=5),
)


@hostile(40)
@given(data=st.one_of(department_csv, st.binary(max_size=300)), filename=st.sampled_from(["d.csv", "d.xlsx"]))
def test_hostile_department_files_change_nothing_unless_valid(admin, data, filename):
    departments = count(Department)
    response = upload(admin, "/admin/departments/import", data, filename)
    if response.status_code == 302:  # every row was valid
        assert count(Department) >= departments
    else:
        assert response.status_code == 200 and 'id="errors-title"' in response.get_data(as_text=True)
        assert count(Department) == departments


def test_a_superscript_sort_order_is_an_error_not_a_crash(admin):
    """'²'.isdigit() is true but int('²') fails: the sort order check used isdigit."""
    response = upload(admin, "/admin/departments/import", "编码,名称,排序\nSCJG,市市场监督管理局,²\n".encode(), "d.csv")
    assert response.status_code == 200 and 'id="errors-title"' in response.get_data(as_text=True)
    assert count(Department) == 0


def test_a_sort_order_of_five_thousand_digits_is_an_error_not_a_crash(admin):
    """int() of a string over 4,300 digits raises: the length is checked first."""
    data = ("编码,名称,排序\nSCJG,市市场监督管理局," + "1" * 5_000 + "\n").encode()
    response = upload(admin, "/admin/departments/import", data, "d.csv")
    assert response.status_code == 200 and 'id="errors-title"' in response.get_data(as_text=True)
    assert count(Department) == 0


# --------------------------------------------------------------------------- zip bombs

@functools.lru_cache(maxsize=None)
def zip_bomb(megabytes: int) -> bytes:
    """A real workbook whose sheet unpacks to ``megabytes`` MB of one repeated cell (about 0.3% of it on the wire)."""
    parts = workbook_parts()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            if name != "xl/worksheets/sheet1.xml":
                archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET.split("<sheetData>")[0].encode() + b"<sheetData>")
            for _ in range(megabytes * 1_000_000 // len(row)):
                sheet.write(row)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def refused_quickly(call):
    """Run ``call``; return its result, having checked it took under 2 s and 50 MB of new memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2 and peak < 50 * 1024 * 1024, (time.perf_counter() - started, peak)
    return result


@pytest.mark.parametrize("megabytes", [40, 210])
@pytest.mark.parametrize("reader", ["pool", "departments", "xlsform"])
def test_a_zip_bomb_is_refused_quickly_without_unpacking_it(admin, reader, megabytes):
    """Under 1 MB on the wire, 40 or 210 MB unpacked: both below the pool's 256 MB cap, but compressed about
    350 times, as no real workbook is. (The XLSForm reader's own cap is 50 MB.)"""
    bomb = zip_bomb(megabytes)
    assert len(bomb) < 1024 * 1024
    english(admin)
    before = versions()
    if reader == "xlsform":
        response = refused_quickly(lambda: import_questionnaire(admin, bomb, "bomb.xlsx"))
        expected = "zip bomb" if megabytes < 50 else "too large once uncompressed"
        assert response.status_code == 200 and expected in response.get_data(as_text=True)
        assert versions() == before
        return
    path = "/admin/pool/import" if reader == "pool" else "/admin/departments/import"
    response = refused_quickly(lambda: upload(admin, path, bomb, "bomb.xlsx"))
    page = (admin.get(response.headers["Location"]) if reader == "pool" else response).get_data(as_text=True)
    assert "refused as a zip bomb" in page
    assert count(Respondent) == count(Department) == 0


def lying_sizes(parts: dict[str, bytes], name: str, claimed: int) -> bytes:
    """An archive whose part ``name`` claims, in both its headers, to unpack to ``claimed`` bytes."""
    data = bytearray(zip_of(parts))
    encoded = name.encode()
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_offset:start + name_offset + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + size_offset, claimed)
            start += 4
    return bytes(data)


def test_a_part_that_lies_about_its_size_is_not_unpacked_past_it(app):
    """Declared sizes can lie: the reader never gets more than the declared bytes out of a part."""
    parts = workbook_parts()
    parts["xl/worksheets/sheet1.xml"] = SHEET.format(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>' * 200_000).encode()
    data = lying_sizes(parts, "xl/worksheets/sheet1.xml", 1000)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    plan = refused_quickly(lambda: pool_import.check("pool.xlsx", data))
    assert [(e.row, e.column) for e in plan.errors] == [(1, "")] and "xlsx" in plan.errors[0].reason
    with pytest.raises(questionnaire_service.DocumentProblems):
        questionnaire_service.read_document("form.xlsx", data)


def test_an_archive_with_thousands_of_parts_is_refused_from_its_directory(app):
    parts = {**workbook_parts(), **{f"xl/media/image{i}.png": b"" for i in range(3000)}}
    data = zip_of(parts)
    with force_locale("en"):
        plan = refused_quickly(lambda: pool_import.check("pool.xlsx", data))
    assert len(plan.errors) == 1 and plan.errors[0].row == 1 and "far more parts" in plan.errors[0].reason
    with pytest.raises(questionnaire_service.DocumentProblems) as refused:
        questionnaire_service.read_document("form.xlsx", data)
    assert "parts" in refused.value.problems[0].message


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a workbook", b"PK\x03\x04 truncated", b"", "姓名,手机".encode()])
def test_a_file_that_is_not_a_workbook_but_named_xlsx_is_refused(app, data):
    plan = pool_import.check("pool.xlsx", data)
    assert [(e.row, e.column) for e in plan.errors] == [(1, "")]
    assert department_service.import_file("d.xlsx", data).errors[0].row == 1
    with pytest.raises(questionnaire_service.DocumentProblems):
        questionnaire_service.read_document("form.xlsx", data)


def test_an_import_over_the_size_limit_is_refused_with_the_limit_named(app, designer):
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    document = exported_default(designer)
    document["description"] = {"zh": "说明" * 400_000}
    before = versions()
    response = import_questionnaire(designer, json.dumps(document, ensure_ascii=False).encode(), "big.json")
    assert response.status_code == 200 and "1 MB" in response.get_data(as_text=True) and versions() == before
    plan = pool_import.check("pool.csv", b"x" * (1024 * 1024 + 1))
    assert len(plan.errors) == 1 and "1 MB" in plan.errors[0].reason
    assert "1 MB" in department_service.import_file("d.csv", b"x" * (1024 * 1024 + 1)).errors[0].reason

