"""The builder offers the newer question types: each is added, edited through its page and saved as the model
expects (date bounds, yes/no texts and scores, "other", ranked items as keys, the text boxes of short texts)."""
import pytest

from questionnaire.schema import validate_document
from tests.integration.test_questionnaire_builder import BASE, designer, item_form, new_draft, reload  # noqa: F401


def add(client, draft, qtype: str) -> str:
    response = client.post_form(f"{BASE}/versions/{draft.id}/items", {"type": qtype, "where": "end"})
    assert response.status_code == 302
    return str(len(reload(draft)["items"]) - 1)


def save(client, draft, loc, **changes):
    data = {**item_form(client, draft, loc), "label_zh": "真实的题目", "label_en": "", **changes}
    data = {name: value for name, value in data.items() if value is not None}  # None: a box left unticked
    return client.post_form(f"{BASE}/versions/{draft.id}/items/{loc}", data)


@pytest.mark.parametrize("qtype, label", [("note", "说明文字（仅显示，无需作答）"), ("date", "日期"), ("dropdown", "下拉选择"),
                                          ("yes_no", "是/否"), ("ranking", "排序"), ("multi_text", "多项填空")])
def test_each_newer_type_can_be_added_from_the_list(client, designer, qtype, label):
    draft = new_draft(client)
    page = client.get(f"{BASE}/versions/{draft.id}").get_data(as_text=True)
    assert f'<option value="{qtype}">{label}</option>' in page
    loc = add(client, draft, qtype)
    assert reload(draft)["items"][int(loc)]["type"] == qtype
    assert validate_document(reload(draft)) == []
    assert client.get(f"{BASE}/versions/{draft.id}/items/{loc}").status_code == 200


def test_a_date_keeps_its_bounds_and_refuses_a_written_out_date(client, designer):
    draft = new_draft(client)
    loc = add(client, draft, "date")
    assert save(client, draft, loc, earliest="2024-01-01", latest="2024-12-31").status_code == 302
    item = reload(draft)["items"][int(loc)]
    assert (item["min"], item["max"]) == ("2024-01-01", "2024-12-31")
    refused = save(client, draft, loc, earliest="2024年1月1日")
    assert refused.status_code == 200 and "请按“年-月-日”填写" in refused.get_data(as_text=True)


def test_yes_no_texts_and_scores(client, designer):
    draft = new_draft(client)
    loc = add(client, draft, "yes_no")
    saved = save(client, draft, loc, yes_zh="已解决", no_zh="否", yes_score="100", no_score="0", scored="y")
    assert saved.status_code == 302
    item = reload(draft)["items"][int(loc)]
    assert item["yes_label"] == {"zh": "已解决"} and "no_label" not in item  # an unchanged text stays the default
    assert (item["yes_score"], item["no_score"], item["scored"]) == (100, 0, True)


def test_other_on_a_choice_and_ranked_items_as_keys(client, designer):
    draft = new_draft(client)
    loc = add(client, draft, "single")
    english = {"options-0-label_en": "A", "options-1-label_en": "B"}
    assert save(client, draft, loc, other="y", **english).status_code == 302
    assert reload(draft)["items"][int(loc)]["other"] is True
    assert save(client, draft, loc, other=None).status_code == 302  # unticked: the key goes
    assert "other" not in reload(draft)["items"][int(loc)]
    rank = add(client, draft, "ranking")
    page = client.get(f"{BASE}/versions/{draft.id}/items/{rank}").get_data(as_text=True)
    assert 'name="options-0-score"' not in page  # ranked items have no score
    refused = save(client, draft, rank, **{"options-0-value": "Speed-1"})
    assert refused.status_code == 200 and "只能使用小写字母" in refused.get_data(as_text=True)


def test_several_short_texts_edit_their_boxes(client, designer):
    draft = new_draft(client)
    loc = add(client, draft, "multi_text")
    page = client.get(f"{BASE}/versions/{draft.id}/items/{loc}").get_data(as_text=True)
    assert "填写框" in page and 'name="rows-0-weight"' not in page
    boxes = {"rows-0-key": "name", "rows-0-label_zh": "姓名", "rows-0-label_en": "", "rows-1-key": "unit",
             "rows-1-label_zh": "单位", "rows-1-label_en": ""}
    assert save(client, draft, loc, max_length="30", **boxes).status_code == 302
    item = reload(draft)["items"][int(loc)]
    assert item["fields"] == [{"key": "name", "label": {"zh": "姓名"}}, {"key": "unit", "label": {"zh": "单位"}}]
    assert item["max_length"] == 30 and "rows" not in item


def test_the_preview_shows_every_newer_type(client, designer):
    from app.questionnaires import service
    from questionnaire.examples import new_types_questionnaire

    draft = new_draft(client)
    service.save_document(draft, new_types_questionnaire())
    from app.extensions import db

    db.session.commit()
    page = client.get(f"{BASE}/versions/{draft.id}/preview")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "以下问题约需两分钟。" in html and 'type="date"' in html and '<option value="">请选择</option>' in html
    assert 'id="q__reason__other"' in html and 'id="q__priorities__clarity"' in html
    assert 'max="2030-12-31" min="2024-01-01" name="q__visited_on" type="date"' in html  # the phone's own check
