"""The builder's checks as a designer types (#25 point 5): a condition naming a question or an option that does
not exist is refused on the spot, in the draft check's words; a new question's placeholder blocks publishing."""
from __future__ import annotations

import copy
import re

from sqlalchemy import select

from app.extensions import db
from app.questionnaires import service
from app.questionnaires.models import QuestionnaireVersion, VersionStatus
from tests.e2e.support import expect, log_in, zh

VISIT = {"type": "single", "key": "visit", "label": {"zh": "近期是否去过大厅？"},
         "options": [{"value": "yes", "label": {"zh": "去过"}}, {"value": "no", "label": {"zh": "没去过"}}]}
HALL = {"type": "textarea", "key": "hall", "label": {"zh": "大厅哪里需要改进？"}}


def test_the_live_check_refuses_an_unknown_question_and_option(session, make_user):
    make_user("designer", username="designer")
    published = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)).first()
    draft = service.start_draft(published)
    document = copy.deepcopy(draft.document)
    document["items"] += [VISIT, HALL]
    service.save_document(draft, document)
    db.session.commit()
    loc = len(document["items"]) - 1

    page = session.desktop()
    log_in(page, "designer")
    page.goto(f"/admin/questionnaires/versions/{draft.id}/items/{loc}")
    condition, live = page.locator("#show_if"), page.locator("#show_if-live")
    condition.press_sequentially("{visitt} = 'no'")
    expect(live).to_have_text("{visitt} 没有对应任何题目")  # as the draft's list says it, in Chinese
    expect(live).to_have_class(re.compile(r"\bbad\b"))
    expect(condition).to_have_attribute("aria-invalid", "true")
    condition.fill("")
    condition.press_sequentially("{visit} = 'maybe'")
    expect(live).to_have_text("'maybe' 不是 {visit} 的选项（选项有：yes, no）")
    condition.fill("")
    condition.press_sequentially("{visit} = 'no'")
    expect(live).to_have_text("✓")
    expect(condition).not_to_have_attribute("aria-invalid", "true")
    session.a11y.check(page, "builder: a condition checked against the draft", blocking=False)

    # A new question keeps its placeholder: the draft does not read "ready", and publishing is refused.
    page.goto(f"/admin/questionnaires/versions/{draft.id}")
    page.select_option("select[name=type]", "yes_no")
    page.select_option("select[name=where]", "end")
    page.locator("form[action$='/items'] button[type=submit]").click()
    page.goto(f"/admin/questionnaires/versions/{draft.id}")
    expect(page.locator("#problems.errors")).to_contain_text("仍是占位文字 '新题目'：请填写正式内容")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/publish'] button[type=submit]").click()
    expect(page.locator("main > div.flash-error").first).to_contain_text(
        zh("Not published: %(num)d problem to fix first.", num=1))
    db.session.expire_all()
    assert db.session.get(QuestionnaireVersion, draft.id).status == VersionStatus.draft
    session.screenshot(page)
