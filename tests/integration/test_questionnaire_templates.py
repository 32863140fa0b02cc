"""Starting a questionnaire from a template (the new questionnaire page), the templates' XLSForms, and the preview
as the respondent's own page."""
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import Questionnaire, VersionStatus
from questionnaire.schema import normalize_document
from questionnaire.templates import TEMPLATES, template_document
from questionnaire.xlsform import import_xlsform
from tests.integration.survey_helpers import issue_secrets, open_round

BASE = "/admin/questionnaires"
# The page's own words for each template (the catalog's Chinese), in the order offered.
NAMES = {"department": "部门好差评评价", "service_window": "窗口服务评价", "enterprise": "企业营商环境调查",
         "blank": "空白问卷"}


@pytest.fixture
def designer(client, make_user, login):
    user = make_user("designer")
    login(user)
    return user


def created(name: str) -> Questionnaire:
    return db.session.scalar(select(Questionnaire).where(Questionnaire.name == name))


def test_the_new_questionnaire_page_offers_the_four_templates_in_chinese(client, designer):
    index = client.get(f"{BASE}/").get_data(as_text=True)
    assert f'href="{BASE}/new"' in index
    page = client.get(f"{BASE}/new").get_data(as_text=True)
    offered = re.findall(r'name="template"[^>]*value="([a-z_]+)"|value="([a-z_]+)"[^>]*name="template"', page)
    assert [a or b for a, b in offered] == list(TEMPLATES)
    for key, name in NAMES.items():
        assert f"<strong>{name}</strong>" in page
        assert f'href="{BASE}/templates/{key}.xlsx"' in page
    assert "行政审批、执法检查、惠企政策兑现和融资" in page and "等候时间" in page  # a line about each
    assert "选择模板" in page and "下载 XLSForm 文件" in page
    assert "Enterprise survey" not in page and "Start from" not in page


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_a_questionnaire_started_from_a_template_is_its_document_and_publishes(client, designer, key):
    response = client.post_form(f"{BASE}/new", {"name": f"模板-{key}", "template": key})
    assert response.status_code == 302
    (version,) = created(f"模板-{key}").versions
    assert response.headers["Location"].endswith(f"{BASE}/versions/{version.id}")
    expected = template_document(key)
    if key == "blank":
        expected["title"] = {"zh": f"模板-{key}"}  # the blank one takes the name as its title
    assert version.is_draft and version.document == expected
    editor = client.get(f"{BASE}/versions/{version.id}").get_data(as_text=True)
    assert expected["title"]["zh"] in editor  # the questionnaire's own Chinese texts
    published = client.post_form(f"{BASE}/versions/{version.id}/publish", {"confirm": "y"})
    assert published.status_code == 302
    db.session.expire_all()
    assert version.status == VersionStatus.published
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "questionnaire.create")).one()
    assert entry.details["template"] == key


def test_without_a_choice_the_new_questionnaire_is_blank(client, designer):
    assert client.post_form(f"{BASE}/new", {"name": "专项问卷"}).status_code == 302
    (version,) = created("专项问卷").versions
    assert [i["type"] for i in version.document["items"]] == ["department_block"]
    assert version.document["title"] == {"zh": "专项问卷"}


def test_an_unknown_template_is_refused_on_the_page_and_nothing_is_created(client, designer):
    count = db.session.scalar(select(func.count()).select_from(Questionnaire))
    page = client.post_form(f"{BASE}/new", {"name": "专项问卷", "template": "nope"}, follow_redirects=True)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'class="flash flash-error"[^>]*>\s*选择模板', html), html  # the field named, in Chinese
    assert "<h1>新建问卷</h1>" in html and 'name="template"' in html  # back on the page
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == count
    assert client.get(f"{BASE}/templates/nope.xlsx").status_code == 404


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_each_templates_xlsform_reimports_to_the_same_questionnaire(client, designer, key):
    response = client.get(f"{BASE}/templates/{key}.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"template-{key}.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert {"survey", "choices", "settings"} <= set(workbook.sheetnames)
    assert normalize_document(import_xlsform(response.data)) == normalize_document(template_document(key))


def test_the_template_pages_are_for_designers(client, make_user, login):
    login(make_user("operator"))
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.get(f"{BASE}/templates/enterprise.xlsx").status_code == 403


# ------------------------------------------------------------------------------ the preview

def survey_pages(html: str) -> str:
    """The questionnaire's pages of a one-page survey document, without the introduction (which names the round)."""
    pages = html[html.index('<div id="pages">'):html.index('<p id="submit-notice"')]
    return re.sub(r'<section class="pg" data-kind="intro">.*?</section>', "", pages, count=1, flags=re.S)


def test_the_preview_of_a_draft_has_the_same_pages_as_the_respondents_survey(client, make_department, make_user,
                                                                            login):
    version = service.create("企业调查", template="enterprise")
    service.publish(version)
    db.session.commit()
    campaign = open_round(make_department, version=version)
    token = issue_secrets(campaign)[0][1]
    client.get(f"/s/{token}")
    respondent = client.get("/s/survey").get_data(as_text=True)

    login(make_user("designer"))
    draft = service.start_draft(version)
    db.session.commit()
    preview = client.get(f"{BASE}/versions/{draft.id}/preview").get_data(as_text=True)
    assert survey_pages(preview) == survey_pages(respondent)
    assert 'data-kind="picker"' in preview and 'data-kind="confirm"' in preview
    assert "请按您希望改进的迫切程度排序" in preview and 'id="department-page"' in preview
    assert "<strong>预览</strong>" in preview and "预览" not in respondent
