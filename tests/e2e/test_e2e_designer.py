"""A designer builds a questionnaire with a condition in the builder, and publishes it."""
from __future__ import annotations

import re

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.questionnaires.models import Questionnaire, VersionStatus
from rules.expressions import ExpressionError, parse_expression
from tests.e2e.support import expect, log_in, zh

NAME = "窗口服务满意度调查"


def syntax_error(expression: str) -> str:
    """The message the builder gives for a condition that does not parse."""
    try:
        parse_expression(expression)
    except ExpressionError as exc:
        with force_locale("zh"):  # the parser's reason too, through the catalog
            return gettext("Syntax error at character %(position)d: %(message)s", position=exc.position + 1,
                           message=exc.reason.render(gettext))
    raise AssertionError(f"{expression!r} parses")


def add_question(page, qtype: str, where: str) -> None:
    page.select_option("select[name=type]", qtype)
    page.select_option("select[name=where]", where)
    page.locator("form[action$='/items'] button[type=submit]").click()
    expect(page.locator("form.item-form")).to_be_visible()


def save_item(page) -> None:
    page.locator("form.item-form .actions button.primary").click()
    expect(page.locator("main > div.flash-success")).to_have_text(zh("Saved."))


def test_designer_builds_a_questionnaire_with_a_condition_and_publishes_it(session, make_user):
    make_user("designer", username="designer")
    page = session.desktop()
    log_in(page, "designer")
    page.locator("header nav a[href='/admin/questionnaires/']").click()

    page.get_by_role("link", name=zh("New questionnaire")).click()
    expect(page.get_by_role("radio", name=zh("Blank"))).to_be_checked()  # the other templates are offered beside it
    page.fill("#name", NAME)
    page.locator("form[action$='/admin/questionnaires/new'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(f"{NAME} · v1")
    expect(page.locator("h1 .badge-draft")).to_be_visible()

    # A reason, asked in the department block, required when the overall rating is 2 (不满意) or worse.
    add_question(page, "textarea", "block")
    page.fill("#key", "reason")
    page.fill("#label_zh", "不满意的具体原因")
    page.fill("#label_en", "Why were you dissatisfied?")
    condition, live = page.locator("#required_if"), page.locator("#required_if-live")

    # Checked as you type (questionnaire-builder.js): an unfinished condition is pointed at …
    condition.press_sequentially("{overall} <=")
    expect(live).to_have_class(re.compile(r"\bbad\b"))
    expect(live).to_contain_text(syntax_error("{overall} <="))
    expect(live).to_contain_text("^")
    expect(condition).to_have_attribute("aria-invalid", "true")
    session.a11y.check(page, "builder: condition with a syntax error", blocking=False)
    # … and a finished one is accepted.
    condition.press_sequentially(" 2")
    expect(live).to_have_text("✓")
    expect(live).to_have_class(re.compile(r"\bok\b"))
    expect(condition).not_to_have_attribute("aria-invalid", "true")
    save_item(page)
    reason = page.locator("li.builder-item[data-key=reason]")
    expect(reason.locator(".item-flags code")).to_have_text("{overall} <= 2")

    add_question(page, "rating", "block")
    page.fill("#key", "attitude")
    page.fill("#label_zh", "服务态度")
    expect(page.locator("form.item-form tbody tr")).to_have_count(5)  # the 好差评 scale is filled in
    save_item(page)

    # Drag and drop (progressive enhancement): the attitude question goes first in the block.
    keys = page.locator("li.builder-item > .item-head > code")
    expect(keys).to_have_text(["departments", "overall", "reason", "attitude"])
    page.locator("li.builder-item[data-key=attitude]").drag_to(page.locator("li.builder-item[data-key=overall]"))
    expect(keys).to_have_text(["departments", "attitude", "overall", "reason"])
    expect(page.locator("#problems.flash-success")).to_be_visible()  # nothing to fix before publishing

    expect(page.locator("form[action$='/publish'] label.confirm-box")).to_be_hidden()  # the dialog replaced it
    page.once("dialog", lambda dialog: dialog.accept())  # publishing is confirmed in a dialog
    page.locator("form[action$='/publish'] button[type=submit]").click()
    expect(page.locator("main > div.flash-success")).to_have_text(
        zh("Version %(number)d is published. It can no longer change; rounds can use it now.", number=1))
    expect(page.locator("h1 .badge-published")).to_be_visible()
    expect(page.locator("form[action$='/publish']")).to_have_count(0)
    expect(keys).to_have_text(["departments", "attitude", "overall", "reason"])
    expect(page.locator("li.builder-item").nth(3).locator(".item-flags code")).to_have_text("{overall} <= 2")
    session.a11y.check(page, "builder: published version", blocking=False)
    session.screenshot(page)

    db.session.expire_all()
    questionnaire = db.session.scalar(select(Questionnaire).where(Questionnaire.name == NAME))
    (version,) = questionnaire.versions
    block = version.document["items"][0]
    assert version.status == VersionStatus.published
    assert [item["key"] for item in block["items"]] == ["attitude", "overall", "reason"]
    assert block["items"][2]["required_if"] == "{overall} <= 2" and block["items"][2]["type"] == "textarea"
