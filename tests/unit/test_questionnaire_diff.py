"""Version diff: what a designer sees when comparing two questionnaire versions."""
from questionnaire.defaults import default_questionnaire
from questionnaire.diff import diff_documents
from questionnaire.types import DEFAULT_SCALE


def block(doc):
    return next(i for i in doc["items"] if i["type"] == "department_block")


def test_identical_and_equivalent_documents_have_no_changes():
    doc = default_questionnaire()
    assert diff_documents(doc, default_questionnaire()) == []
    explicit = default_questionnaire()
    explicit["items"][-1]["required"] = False  # the default, written out
    explicit["items"][1]["items"][-1]["required_if"] = "{overall}<=2"  # same expression, other spacing
    assert diff_documents(doc, explicit) == []


def test_field_changes():
    old, new = default_questionnaire(), default_questionnaire()
    overall = next(q for q in block(new)["items"] if q["key"] == "overall")
    overall["weight"] = 0.25
    overall["label"]["en"] = "Overall"
    new["title"]["zh"] = "新标题"
    found = [str(c) for c in diff_documents(old, new)]
    assert found == [
        "The questionnaire: title.zh changed from '营商环境“背靠背”评价' to '新标题'",
        "'overall': label.en changed from 'Overall satisfaction' to 'Overall'",
        "'overall': weight changed from 0.3 to 0.25",
    ]


def test_added_removed_and_moved_questions():
    old, new = default_questionnaire(), default_questionnaire()
    items = block(new)["items"]
    items.insert(0, items.pop(5))  # overall first
    del items[1]  # attitude removed
    new["items"].append({"type": "nps", "key": "recommend", "label": {"zh": "推荐"}})
    found = [str(c) for c in diff_documents(old, new)]
    assert found == [
        "Removed rating 'attitude' in the department block (服务态度)",
        "Added nps 'recommend' at the top level (推荐) at position 5",
        "Moved 'overall' to position 1 in the department block (was 6)",
    ]


def test_moving_into_the_department_block():
    old, new = default_questionnaire(), default_questionnaire()
    general = new["items"].pop()
    block(new)["items"].append(general)
    changes = diff_documents(old, new)
    assert [str(c) for c in changes] == ["Moved 'general_comment' into the department block"]
    assert (changes[0].kind, changes[0].key) == ("moved", "general_comment")


def test_option_changes():
    old, new = default_questionnaire(), default_questionnaire()
    overall = next(q for q in block(new)["items"] if q["key"] == "overall")
    overall["options"] = [dict(o) for o in DEFAULT_SCALE]
    overall["options"][3] = {**overall["options"][3], "score": 30}
    del overall["options"][4]
    overall["options"].append({"value": 0, "label": {"zh": "极差"}, "score": 0})
    overall["not_familiar"] = False
    found = [str(c) for c in diff_documents(old, new)]
    assert found == [
        "'overall': not_familiar changed from yes to no",
        "'overall': not_familiar_label.en changed from 'Not familiar' to (none)",
        "'overall': not_familiar_label.zh changed from '不了解' to (none)",
        "'overall': option 1 removed (非常不满意)",
        "'overall': option 2 score changed from 40 to 30",
        "'overall': option 0 added (极差)",
    ]
    kinds = [c.kind for c in diff_documents(old, new)][-3:]
    assert kinds == ["option_removed", "option_changed", "option_added"]


def test_reordered_options_and_rows():
    from questionnaire.examples import every_type_questionnaire

    old, new = every_type_questionnaire(), every_type_questionnaire()
    new["items"][2]["options"].reverse()
    matrix = next(q for q in block(new)["items"] if q["type"] == "matrix")
    matrix["rows"].reverse()
    matrix["rows"][0]["weight"] = 1
    found = [str(c) for c in diff_documents(old, new)]
    assert "'kind': options reordered from ['enterprise', 'citizen', 'other'] to ['other', 'citizen', 'enterprise']" in found
    assert "'service': rows reordered from ['speed', 'manner'] to ['manner', 'speed']" in found
    assert "'service': row 'manner' weight changed from 0.4 to 1" in found


def test_every_change_is_a_message_the_chinese_catalog_translates():
    from pathlib import Path

    from babel.messages.pofile import read_po
    from questionnaire.examples import every_type_questionnaire

    old, new = every_type_questionnaire(), every_type_questionnaire()
    new["items"][2]["options"].reverse()
    new["items"][2]["options"].pop()
    new["items"].append({"type": "nps", "key": "recommend_again", "label": {"zh": "推荐"}})
    new["title"]["zh"] = "新标题"
    changes = diff_documents(old, new)
    with open(Path(__file__).parents[2] / "app/translations/zh/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    assert {c.kind for c in changes} >= {"added", "changed", "option_removed"}
    for change in changes:
        assert str(change) == str(change.message)
        entry = catalog.get(change.message.template)
        assert entry is not None and entry.string and not entry.fuzzy, change.message.template
