"""The questionnaire builder pages: edit, reorder, conditions, publish, immutability, diff, preview, import/export."""
import copy
import html
import io
import json
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import (
    PublishedVersionImmutable,
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
    document_hash,
)
from questionnaire.defaults import default_questionnaire
from questionnaire.schema import normalize_document, validate_document
from questionnaire.xlsform import export_xlsform

BASE = "/admin/questionnaires"


@pytest.fixture
def designer(client, make_user, login):
    user = make_user("designer")
    login(user)
    return user


def default_version() -> QuestionnaireVersion:
    return db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()


def new_draft(client) -> QuestionnaireVersion:
    """A draft started from the published default questionnaire, through the page."""
    base = default_version()
    response = client.post_form(f"{BASE}/versions/{base.id}/draft")
    assert response.status_code == 302
    return db.session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.status == VersionStatus.draft)).one()


def reload(version: QuestionnaireVersion) -> dict:
    db.session.expire_all()
    return db.session.get(QuestionnaireVersion, version.id).document


def keys(document: dict, in_block: bool = False) -> list[str]:
    if in_block:
        block = next(i for i in document["items"] if i["type"] == "department_block")
        return [i["key"] for i in block["items"]]
    return [i["key"] for i in document["items"]]


def item_form(client, version, loc) -> dict:
    """The item page's form fields as a browser would send them (text inputs, checked boxes, textareas, selects)."""
    page = client.get(f"{BASE}/versions/{version.id}/items/{loc}").get_data(as_text=True)
    data = {}
    for tag in re.findall(r"<input [^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        kind = re.search(r'type="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        if kind == "checkbox":
            if "checked" in tag:
                data[name.group(1)] = "y"
        elif kind in ("text", "number"):
            data[name.group(1)] = value.group(1) if value else ""
    for name, text in re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>\s*(.*?)</textarea>', page, re.S):
        data[name] = text
    for name, options in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        if chosen:
            data[name] = chosen.group(1) or chosen.group(2)
    return {k: html.unescape(v) for k, v in data.items()}


# ------------------------------------------------------------------------------ fresh database

def test_a_fresh_database_has_the_default_questionnaire_published(app):
    version = default_version()
    assert version.status == VersionStatus.published and version.number == 1
    assert version.questionnaire.name == "营商环境“背靠背”评价"
    assert validate_document(version.document) == []
    assert version.document == normalize_document(default_questionnaire())
    assert version.document_hash == document_hash(version.document) and version.hash_matches()


def test_the_list_shows_questionnaires_and_versions(client, designer):
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "营商环境“背靠背”评价" in page and "v1" in page and "已发布" in page


# ------------------------------------------------------------------------------ roles

PAGES = ["/", "/import", "/versions/1", "/versions/1/preview", "/1/diff", "/versions/1/export/json",
         "/versions/1/items/1"]


@pytest.mark.parametrize("role", ["operator", "hr", "liaison", "complaints", "auditor"])
def test_other_roles_get_403(client, make_user, login, role):
    login(make_user(role))
    for path in PAGES:
        assert client.get(BASE + path).status_code == 403, path
    assert client.post_form(f"{BASE}/versions/1/draft").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


@pytest.mark.parametrize("role", ["designer", "admin"])
def test_designers_and_admins_may_open_the_builder(client, make_user, login, role):
    login(make_user(role))
    for path in PAGES:
        assert client.get(BASE + path).status_code in (200, 302), path
    assert "问卷管理" in client.get("/").get_data(as_text=True)


def test_anonymous_is_redirected_to_login(client):
    response = client.get(f"{BASE}/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post_form(f"{BASE}/versions/1/draft").status_code == 302


# ------------------------------------------------------------------------------ drafts and editing

def test_create_a_questionnaire_starts_a_draft(client, designer):
    response = client.post_form(f"{BASE}/new", {"name": "窗口服务评价"})
    assert response.status_code == 302
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.name == "窗口服务评价"))
    (version,) = questionnaire.versions
    assert version.is_draft and version.number == 1 and version.created_by_id == designer.id
    assert validate_document(version.document) == []
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "questionnaire.create")) == 1


def test_new_draft_from_a_published_version_and_only_one_draft(client, designer):
    draft = new_draft(client)
    assert draft.number == 2 and draft.based_on_id == default_version().id
    assert draft.document == default_version().document
    response = client.post_form(f"{BASE}/versions/{default_version().id}/draft", follow_redirects=True)
    assert "已有草稿" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 2
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "questionnaire.draft" in actions


def test_add_edit_and_delete_a_question(client, designer):
    draft = new_draft(client)
    response = client.post_form(f"{BASE}/versions/{draft.id}/items", {"type": "single", "where": "end"})
    assert response.status_code == 302
    doc = reload(draft)
    loc = str(len(doc["items"]) - 1)
    added = doc["items"][-1]
    assert added["type"] == "single" and response.headers["Location"].endswith(f"/items/{loc}")

    data = item_form(client, draft, loc)
    data.update({"key": "identity", "label_zh": "您的身份", "label_en": "You are",
                 "options-0-value": "enterprise", "options-0-label_zh": "企业", "options-0-score": "",
                 "options-1-value": "citizen", "options-1-label_zh": "群众"})
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data)
    assert response.status_code == 302
    item = reload(draft)["items"][int(loc)]
    assert item["key"] == "identity" and item["label"] == {"zh": "您的身份", "en": "You are"}
    assert [o["value"] for o in item["options"]] == ["enterprise", "citizen"]

    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}/delete", {"key": "identity"})
    assert response.status_code == 302
    assert "identity" not in keys(reload(draft))
    ops = [e.details["op"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "questionnaire.edit"))]
    assert ops == ["add", "update", "delete"]


def test_add_and_remove_options_with_the_table_buttons(client, designer):
    draft = new_draft(client)
    client.post_form(f"{BASE}/versions/{draft.id}/items", {"type": "single", "where": "end"})
    loc = str(len(reload(draft)["items"]) - 1)
    data = item_form(client, draft, loc)

    # "Add an option" re-shows the form with an empty third row and saves nothing yet.
    page = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", {**data, "table_op": "options-add"})
    assert page.status_code == 200 and 'name="options-2-value"' in page.get_data(as_text=True)
    assert len(reload(draft)["items"][int(loc)]["options"]) == 2

    data.update({"options-2-value": "c", "options-2-label_zh": "选项三", "options-2-label_en": "",
                 "options-2-score": "60"})
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data).status_code == 302
    options = reload(draft)["items"][int(loc)]["options"]
    assert [o["value"] for o in options] == ["a", "b", "c"] and options[2]["score"] == 60

    # Move option 3 up, then remove option 1, then save.
    data = item_form(client, draft, loc)
    page = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", {**data, "table_op": "options-up-2"})
    assert page.get_data(as_text=True).index('value="c"') < page.get_data(as_text=True).index('value="b"')
    data = {**data, "options-1-value": "c", "options-1-label_zh": "选项三", "options-1-score": "60",
            "options-2-value": "b", "options-2-label_zh": "选项二", "options-2-score": ""}
    page = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", {**data, "table_op": "options-remove-0"})
    assert 'name="options-2-value"' not in page.get_data(as_text=True)
    data = {k: v for k, v in data.items() if not k.startswith("options-")}
    data.update({"options-0-value": "c", "options-0-label_zh": "选项三", "options-0-score": "60",
                 "options-1-value": "b", "options-1-label_zh": "选项二", "options-1-score": ""})
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data).status_code == 302
    assert [o["value"] for o in reload(draft)["items"][int(loc)]["options"]] == ["c", "b"]


def test_edit_a_rating_in_the_department_block_with_weight_and_scores(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    loc = f"{block_at}.1"
    data = item_form(client, draft, loc)
    assert data["key"] == "efficiency" and data["options-0-score"] == "100"
    data.update({"weight": "0.2", "options-4-score": "0", "label_zh": "办事效率（含网办）"})
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data).status_code == 302
    item = reload(draft)["items"][block_at]["items"][1]
    assert item["weight"] == 0.2 and item["options"][4]["score"] == 0 and item["label"]["zh"] == "办事效率（含网办）"


def test_the_designer_chooses_how_a_scale_shows_on_a_phone(client, designer, app):
    """Levels in one row by default (nothing written); "one per line" is kept and renders as a list."""
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    loc = f"{block_at}.0"
    data = item_form(client, draft, loc)
    assert data["layout"] == "row"
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data).status_code == 302
    assert "layout" not in reload(draft)["items"][block_at]["items"][0]
    data.update({"layout": "list"})
    assert client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data).status_code == 302
    item = reload(draft)["items"][block_at]["items"][0]
    assert item["layout"] == "list"
    from flask_wtf import FlaskForm

    from forms.factory import build_form_class, steps
    with app.test_request_context():
        document = reload(draft)
        step = next(st for st in steps(document, ["SCJG"]) if st.kind == "department")
        layout = build_form_class(document, [("SCJG", "市场局")], base=FlaskForm, step=step)(
            formdata=None, meta={"csrf": False}).layout()
    shown = {entry.key: entry.display for entry in layout if entry.kind == "question"}
    assert shown[item["key"]] == "list" and shown["efficiency"] == "row"


def test_reorder_questions_up_and_down(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    before = keys(draft.document, in_block=True)
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.1/up", {"key": before[1]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#item-{block_at}.0")
    after = keys(reload(draft), in_block=True)
    assert after[:2] == [before[1], before[0]] and after[2:] == before[2:]
    client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.0/down", {"key": before[1]})
    assert keys(reload(draft), in_block=True) == before
    # Top level: the intro section moves below the block.
    top = keys(reload(draft))
    client.post_form(f"{BASE}/versions/{draft.id}/items/0/down", {"key": top[0]})
    assert keys(reload(draft))[:2] == [top[1], top[0]]


def test_a_stale_page_is_refused(client, designer):
    draft = new_draft(client)
    document = reload(draft)
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/0/delete", {"key": "not_this_one"},
                                follow_redirects=True)
    assert "问卷已被修改" in response.get_data(as_text=True)
    assert reload(draft) == document


def test_duplicate_gives_a_new_key(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.0/duplicate", {"key": "attitude"})
    block_keys = keys(reload(draft), in_block=True)
    assert block_keys[:2] == ["attitude", "attitude_copy"]


def test_a_show_if_syntax_error_is_shown_with_its_position_and_nothing_is_saved(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    loc = f"{block_at}.1"
    document = reload(draft)
    data = item_form(client, draft, loc)
    data.update({"show_if": "{attitude} <= ", "label_zh": "不应保存"})
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "第 15 个字符处有语法错误" in page  # the value is missing after "<= " (14 characters)
    assert '<pre class="expr-pointer">{attitude} &lt;= \n              ^</pre>' in page
    assert reload(draft) == document


def test_a_condition_referring_to_a_later_question_is_saved_but_flagged(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    data = item_form(client, draft, f"{block_at}.0")
    data["show_if"] = "{efficiency} <= 2"
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.0", data)
    assert response.status_code == 200
    assert "在后面才出现：条件只能使用在它之前提问的题目" in response.get_data(as_text=True)
    assert reload(draft)["items"][block_at]["items"][0]["show_if"] == "{efficiency} <= 2"
    # ... and publishing is refused until it is fixed.
    response = client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"}, follow_redirects=True)
    assert "未发布" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, draft.id).is_draft


def test_check_expression_answers_as_you_type(client, designer):
    ok = client.post_form(f"{BASE}/check-expression", {"expression": "{a} = 'x'"}).get_json()
    assert ok == {"ok": True}
    bad = client.post_form(f"{BASE}/check-expression", {"expression": "{a} = "}).get_json()
    assert bad["ok"] is False and bad["position"] == 7 and bad["pointer"].endswith("      ^")


# ------------------------------------------------------------------------------ publish and immutability

def test_publish_freezes_the_draft(client, designer):
    draft = new_draft(client)
    response = client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(QuestionnaireVersion, draft.id)
    assert version.is_published and version.published_by_id == designer.id and version.published_at
    assert version.document_hash == document_hash(version.document)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.publish")).one()
    assert entry.details["hash"] == version.document_hash


def test_an_edit_of_a_published_version_through_the_pages_is_refused(client, designer):
    version = default_version()
    document = copy.deepcopy(version.document)
    block_at = next(i for i, it in enumerate(document["items"]) if it["type"] == "department_block")
    page = client.get(f"{BASE}/versions/{version.id}/items/{block_at}.0", follow_redirects=True)
    assert "已发布，不能再修改" in page.get_data(as_text=True)
    for path, data in [
        (f"/versions/{version.id}/items/{block_at}.0", {"key": "attitude", "label_zh": "改"}),
        (f"/versions/{version.id}/items/{block_at}.0/delete", {"key": "attitude"}),
        (f"/versions/{version.id}/items/{block_at}.0/down", {"key": "attitude"}),
        (f"/versions/{version.id}/items", {"type": "text", "where": "end"}),
        (f"/versions/{version.id}/settings", {"title_zh": "改"}),
        (f"/versions/{version.id}/publish", {"confirm": "y"}),
        (f"/versions/{version.id}/discard", {"confirm": "y"}),
    ]:
        response = client.post_form(BASE + path, data, follow_redirects=True)
        assert response.status_code == 200, path
        assert "已发布，不能再修改" in response.get_data(as_text=True), path
    db.session.expire_all()
    assert default_version().document == document and default_version().hash_matches()


def test_a_direct_orm_change_of_a_published_version_raises(app):
    version = default_version()
    changed = copy.deepcopy(version.document)
    changed["title"]["zh"] = "被篡改"
    version.document = changed
    with pytest.raises(PublishedVersionImmutable):
        db.session.commit()
    db.session.rollback()
    version = default_version()
    version.status = VersionStatus.draft
    with pytest.raises(PublishedVersionImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(default_version())
    with pytest.raises(PublishedVersionImmutable):
        db.session.flush()
    db.session.rollback()
    assert default_version().title() == "营商环境“背靠背”评价"


def test_discard_a_draft(client, designer):
    draft = new_draft(client)
    assert client.post_form(f"{BASE}/versions/{draft.id}/discard", {"confirm": "y"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


# ------------------------------------------------------------------------------ diff

def test_the_diff_page_shows_a_changed_label(client, designer):
    draft = new_draft(client)
    data = item_form(client, draft, "0")
    data["label_zh"] = "填写须知"
    client.post_form(f"{BASE}/versions/{draft.id}/items/0", data)
    page = client.get(f"{BASE}/{draft.questionnaire_id}/diff?old=1&new=2").get_data(as_text=True)
    assert "从 v1 到 v2" in page
    assert "文字（中文）" in page and "评价说明" in page and "填写须知" in page
    assert "改为" in page and "label.zh" not in page
    unchanged = client.get(f"{BASE}/{draft.questionnaire_id}/diff?old=1&new=1").get_data(as_text=True)
    assert "没有差异" in unchanged


def test_the_diff_page_says_each_change_in_chinese_with_the_designers_literals_marked(client, designer):
    from questionnaire.types import DEFAULT_SCALE
    from tests.integration.test_language import foreign_words, visible_text

    draft = new_draft(client)
    document = copy.deepcopy(draft.document)
    document["items"][0]["label"]["zh"] = "填写须知"
    block = next(i for i in document["items"] if i["type"] == "department_block")
    overall = next(q for q in block["items"] if q["key"] == "overall")
    overall["options"] = [dict(o) for o in DEFAULT_SCALE if o["value"] != 1]
    block["items"].insert(0, block["items"].pop(block["items"].index(overall)))
    document["items"].append({"type": "nps", "key": "recommend", "label": {"zh": "是否推荐"}})
    draft.document = document
    db.session.commit()

    page = client.get(f"{BASE}/{draft.questionnaire_id}/diff?old=1&new=2").get_data(as_text=True)
    changes = re.findall(r'<li class="change-(\w+)">(.*?)</li>', page, re.S)
    said = [(kind, html.unescape(re.sub(r"<[^>]+>", "", text))) for kind, text in changes]
    assert ("added", "在顶层第5个位置添加了推荐度（0–10 分）“recommend”（是否推荐）") in said
    assert ("option_removed", "“overall”：删除了选项 1（非常不满意）") in said
    assert ("changed", "“intro”：文字（中文）由 '评价说明' 改为 '填写须知'") in said
    assert ("moved", "将“overall”移到部门评价区块第1个位置（原为第6个）") in said
    assert '<span translate="no">recommend</span>' in page
    assert foreign_words(visible_text(page), {designer.username}) == []  # the header names the user


# ------------------------------------------------------------------------------ preview

def test_the_preview_is_the_respondents_page_with_the_active_departments(client, designer, make_department):
    make_department("SCJG", "市市场监督管理局")
    make_department("SWJ", "市商务局")
    make_department("OLD", "市已撤销局", active=False)
    page = client.get(f"{BASE}/versions/{default_version().id}/preview").get_data(as_text=True)
    # The one-page survey (survey/one_page.html, app/static/js/survey.js), not a staff page …
    assert '<form id="survey"' in page and 'id="survey-spec"' in page and "/assets/js/survey." in page
    assert "近期您与以下哪些部门打过交道？" in page and 'name="departments"' in page
    assert "市市场监督管理局" in page and "市商务局" in page and "市已撤销局" not in page
    # … marked as a preview, with no way to submit: no token, no address to send to, no paged flow.
    assert '<div class="preview-banner" role="note">' in page and "<strong>预览</strong>" in page
    assert "预览：这些答案可以正常提交。" in page  # what the script says instead of sending
    assert 'name="csrf_token"' not in page and "/s/survey" not in page.replace("/s/survey/thanks", "")
    assert 'id="start-paged"' not in page
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_the_preview_of_an_invalid_draft_lists_its_problems(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    data = item_form(client, draft, f"{block_at}.0")
    data["show_if"] = "{nothing} = 1"
    client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.0", data)
    page = client.get(f"{BASE}/versions/{draft.id}/preview").get_data(as_text=True)
    assert "没有对应任何题目" in page


# ------------------------------------------------------------------------------ import / export pages

@pytest.mark.parametrize("fmt, suffix", [("json", ".json"), ("xlsform", ".xlsx"), ("surveyjs", ".surveyjs.json")])
def test_export_and_import_round_trip_through_the_pages(client, designer, fmt, suffix):
    exported = client.get(f"{BASE}/versions/{default_version().id}/export/{fmt}")
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"].endswith(f"questionnaire-1-v1{suffix}")
    response = client.post_form(f"{BASE}/import", {"file": (io.BytesIO(exported.data), f"upload{suffix}"),
                                                   "questionnaire": "new"}, content_type="multipart/form-data")
    assert response.status_code == 302
    imported = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())).first()
    assert imported.is_draft and imported.questionnaire_id != default_version().questionnaire_id
    assert service.diff(default_version(), imported) == []
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.import")).one()
    assert entry.details["format"] == fmt


def test_import_as_a_new_draft_of_an_existing_questionnaire(client, designer):
    exported = client.get(f"{BASE}/versions/{default_version().id}/export/json").data
    response = client.post_form(f"{BASE}/import", {"file": (io.BytesIO(exported), "q.json"), "questionnaire": "1"},
                                content_type="multipart/form-data")
    assert response.status_code == 302
    draft = db.session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.number == 2)).one()
    assert draft.questionnaire_id == 1 and draft.is_draft and draft.source == "q.json"


def bad_xlsform() -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(export_xlsform(default_questionnaire())))
    survey = book["survey"]
    header = [c.value for c in survey[1]]
    survey.cell(row=3, column=header.index("type") + 1, value="geopoint")
    survey.cell(row=5, column=header.index("relevant") + 1, value="${nowhere} = 1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_bad_xlsform_is_reported_by_row_and_nothing_is_imported(client, designer):
    response = client.post_form(f"{BASE}/import", {"file": (io.BytesIO(bad_xlsform()), "bad.xlsx"),
                                                   "questionnaire": "new"}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法导入" in page and "第 3 行" in page
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_broken_json_and_unknown_extensions_are_refused(client, designer):
    for name, data, text in [("q.json", b"{not json", "不是有效的 JSON"),
                             ("q.json", json.dumps({"title": {"zh": "x"}}).encode(), "题目列表"),
                             ("q.csv", b"a,b", ".surveyjs.json")]:
        response = client.post_form(f"{BASE}/import", {"file": (io.BytesIO(data), name), "questionnaire": "new"},
                                    content_type="multipart/form-data")
        assert response.status_code == 200 and text in response.get_data(as_text=True), name
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_drag_and_drop_position_and_title_settings(client, designer):
    draft = new_draft(client)
    block_at = next(i for i, it in enumerate(draft.document["items"]) if it["type"] == "department_block")
    before = keys(draft.document, in_block=True)
    response = client.post_form(f"{BASE}/versions/{draft.id}/items/{block_at}.0/position",
                                {"key": before[0], "position": "2"})
    assert response.get_json() == {"location": f"{block_at}.2"}
    assert keys(reload(draft), in_block=True)[:3] == [before[1], before[2], before[0]]
    response = client.post_form(f"{BASE}/versions/{draft.id}/settings", {"title_zh": "2027 年营商环境评价",
                                                                       "title_en": "", "description_zh": ""})
    assert response.status_code == 302
    document = reload(draft)
    assert document["title"] == {"zh": "2027 年营商环境评价"} and "description" not in document


def test_the_versions_show_the_citys_local_time(client, designer):
    """Staff read Beijing time, as everywhere else; a bare UTC clock reads eight hours wrong."""
    from datetime import datetime, timezone
    draft = new_draft(client)
    assert client.post_form(f"{BASE}/versions/{draft.id}/publish", {"confirm": "y"}).status_code == 302
    db.session.expire_all()
    version = db.session.get(QuestionnaireVersion, draft.id)
    created = datetime(2026, 11, 30, 20, 5, tzinfo=timezone.utc)
    db.session.execute(QuestionnaireVersion.__table__.update().where(QuestionnaireVersion.id == version.id)
                       .values(created_at=created))
    db.session.commit()
    for page in (client.get(f"{BASE}/versions/{version.id}").get_data(as_text=True),
                 client.get(f"{BASE}/").get_data(as_text=True)):
        assert "2026-12-01 04:05" in page and "2026-11-30 20:05" not in page
    assert "UTC" not in client.get(f"{BASE}/versions/{version.id}").get_data(as_text=True)
