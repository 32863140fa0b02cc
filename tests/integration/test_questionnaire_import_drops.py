"""Importing a form from another tool: what cannot be imported is listed, and the draft is created only once the
designer confirms (the import page's checkbox, the CLI's --allow-drops); an .xls workbook is read too."""
import html
import io
import re
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.questionnaires.models import QuestionnaireVersion
from tests.integration.test_questionnaire_builder import item_form

BASE = "/admin/questionnaires"
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "interop" / "xlsform"


@pytest.fixture
def designer(client, make_user, login):
    user = make_user("designer")
    login(user)
    return user


def kobo_form() -> bytes:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label::English (en)", "label::中文 (zh)"], ["start", "start", None, None],
                ["deviceid", "deviceid", None, None], ["select one yn", "satisfied", "Satisfied?", "满意吗"],
                ["image", "receipt", "Photo of the receipt", "收据照片"], ["text", "why", "Why?", "原因"]):
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in (["list name", "name", "label::English (en)", "label::中文 (zh)"], ["yn", "yes", "Yes", "是"],
                ["yn", "no", "No", "否"]):
        choices.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionnaireVersion))


def upload(client, data: bytes, name: str, **extra):
    return client.post_form(f"{BASE}/import", {"file": (io.BytesIO(data), name), "questionnaire": "new", **extra},
                            content_type="multipart/form-data")


def test_the_import_page_lists_what_is_left_out_and_imports_only_once_confirmed(client, designer):
    before = versions()
    response = upload(client, kobo_form(), "kobo.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and versions() == before
    assert "略去无法导入的内容" in page and "略去的内容及原因" in page
    for row in (2, 3, 5):
        assert f"第 {row} 行" in page
    # The reasons in the designer's language: no device data is collected, a photo cannot be answered.
    # (the file's own words, the types, are marked as literals: no text to translate)
    assert '本平台不收集答题人设备或答题过程的任何信息（题型 <span translate="no">start</span>）' in page
    assert '本平台无法回答照片或图片类题目（题型 <span translate="no">image</span>）' in page

    response = upload(client, kobo_form(), "kobo.xlsx", allow_drops="y")
    assert response.status_code == 302 and versions() == before + 1
    draft = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())).first()
    assert [(i["type"], i["key"]) for i in draft.document["items"]] == [("single", "satisfied"), ("text", "why")]
    assert draft.document["items"][0]["label"] == {"zh": "满意吗", "en": "Satisfied?"}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.import")).one()
    assert entry.details["left_out"] == 3


def test_an_xls_workbook_is_imported_through_the_page(client, designer):
    before = versions()
    response = upload(client, (CORPUS / "pyxform-text_and_integer.xls").read_bytes(), "text_and_integer.xls",
                      allow_drops="y")
    assert response.status_code == 302 and versions() == before + 1
    draft = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())).first()
    assert draft.source == "text_and_integer.xls"
    assert {i["type"] for i in draft.document["items"]} >= {"text", "number"}


def test_cli_prints_the_list_and_imports_only_with_allow_drops(runner, tmp_path):
    path = tmp_path / "kobo.xlsx"
    path.write_bytes(kobo_form())
    before = versions()
    result = runner.invoke(args=["questionnaire", "import", str(path)])
    assert result.exit_code == 2 and versions() == before
    assert "survey row 3, column type: left out" in result.output and "--allow-drops" in result.output
    result = runner.invoke(args=["questionnaire", "import", "--allow-drops", str(path)])
    assert result.exit_code == 0 and versions() == before + 1
    assert "survey row 5, column type: left out: a photo" in result.output
    draft = db.session.get(QuestionnaireVersion, int(result.output.strip().splitlines()[-1]))
    assert [i["key"] for i in draft.document["items"]] == ["satisfied", "why"]


def test_cli_help_names_allow_drops_and_xls(runner):
    result = runner.invoke(args=["questionnaire", "import", "--help"])
    assert "--allow-drops" in result.output and ".xls" in result.output


def test_a_structurally_broken_file_is_refused_even_with_allow_drops(runner, tmp_path):
    book = Workbook()
    book.active.title = "questions"
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / "broken.xlsx"
    path.write_bytes(out.getvalue())
    result = runner.invoke(args=["questionnaire", "import", "--allow-drops", str(path)])
    assert result.exit_code == 1 and "no 'survey' sheet" in result.output


def test_editing_an_imported_question_keeps_its_written_names_until_renamed(client, designer):
    survey = {"pages": [{"name": "p", "elements": [
        {"type": "radiogroup", "name": "favoriteSigner", "title": "签署人", "choices": ["John Hancock", "Sam"]}]}]}
    upload(client, json.dumps(survey).encode(), "signers.surveyjs.json")
    draft = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())).first()
    data = item_form(client, draft, "1")
    data["label_zh"] = "您最欣赏的签署人"
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/1", data).status_code == 302
    db.session.expire_all()
    item = db.session.get(QuestionnaireVersion, draft.id).document["items"][1]
    assert item["label"]["zh"] == "您最欣赏的签署人"
    assert item["source_name"] == "favoriteSigner" and item["options"][0]["source_value"] == "John Hancock"
    data["key"] = "signer"
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/1", data).status_code == 302
    db.session.expire_all()
    item = db.session.get(QuestionnaireVersion, draft.id).document["items"][1]
    assert item["key"] == "signer" and "source_name" not in item
    assert item["options"][0]["source_value"] == "John Hancock"


def faulty_form() -> bytes:
    """An XLSForm with four problems, each of a different kind."""
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label", "relevant"],
                ["select_one colour", "colour", "最喜欢的颜色", None],    # row 2: no such choice list
                [None, "orphan", "没有题型的一行", None],                  # row 3: no type
                ["text", "why", "原因", "${later} = 'x'"],                # row 4: a question asked later
                ["text", "later", "后面的问题", None],
                ["end_group", None, None, None]):                        # row 6: no group to end
        survey.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_refused_xlsform_lists_every_problem_in_chinese(client, designer):
    before = versions()
    page = upload(client, faulty_form(), "faulty.xlsx").get_data(as_text=True)
    assert versions() == before and "文件无法导入" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", page, re.S)
    said = [(re.sub(r"<[^>]+>", "", where), html.unescape(re.sub(r"<[^>]+>", "", what))) for where, what in rows]
    assert said == [
        ("工作表 survey 第 2 行 type 列", "choices 工作表中没有选项列表 'colour'"),
        ("工作表 survey 第 2 行", "没有选项：至少需要 1 个"),
        ("工作表 survey 第 3 行 type 列", "该行没有填写 type"),
        ("工作表 survey 第 4 行", "{later} 在后面才出现：条件只能使用在它之前提问的题目"),
        ("工作表 survey 第 6 行 type 列", "end_group 没有对应的 begin_group"),
    ], said
    client.set_cookie("lang", "en")
    page = upload(client, faulty_form(), "faulty.xlsx").get_data(as_text=True)
    assert 'the row has no <span translate="no">type</span>' in page and "该行" not in page
