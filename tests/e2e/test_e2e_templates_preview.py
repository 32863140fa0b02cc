"""A designer starts a questionnaire from a template and previews the draft on a 390×844 phone: the preview is the
respondent's one-page survey (the same pages as a round's), marked 预览, fits the screen, checks the answers, and
sends nothing."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.questionnaires import service as questionnaires
from app.responses.models import Response, SealedResponse
from tests.e2e.support import expect, log_in, zh
from tests.e2e.test_e2e_staff_phone import OVERFLOWING
from tests.integration.survey_helpers import issue_secrets, open_round

NAME = "2026年企业营商环境调查"
PAGE_KINDS = "() => Array.from(document.querySelectorAll('#pages > .pg')).map(p => p.dataset.kind + ':' + (p.dataset.section || ''))"


def fits(page) -> None:
    layout = page.evaluate(OVERFLOWING)
    assert layout["scrollWidth"] <= layout["width"], layout


def test_a_draft_from_a_template_previews_as_the_respondents_page_on_a_phone(session, make_user, make_department):
    # A round's survey of the same template, to compare with: what a respondent's phone shows.
    version = questionnaires.create("企业调查", template="enterprise")
    questionnaires.publish(version)
    db.session.commit()
    token = issue_secrets(open_round(make_department, version=version))[0][1]
    make_user("designer", username="designer")

    desk = session.desktop()
    log_in(desk, "designer")
    desk.goto("/admin/questionnaires/")
    desk.get_by_role("link", name=zh("New questionnaire")).click()
    desk.fill("#name", NAME)
    desk.get_by_role("radio", name=zh("Enterprise survey")).check()
    desk.get_by_role("button", name=zh("Create")).click()
    expect(desk.locator("h1")).to_contain_text(f"{NAME} · v1")
    draft_id = int(re.search(r"/versions/(\d+)", desk.url).group(1))
    expect(desk.locator("li.builder-item[data-key=priorities]")).to_be_visible()  # the template's ranking
    desk.context.close()

    phone = session.phone(javascript=True)
    log_in(phone, "designer")
    phone.goto(f"/admin/questionnaires/versions/{draft_id}/preview")
    banner = phone.locator(".preview-banner")
    expect(banner).to_be_visible()
    expect(banner.locator("strong")).to_have_text("预览")
    expect(phone.locator("form#survey")).to_be_visible()
    expect(phone.locator("h1:visible")).to_have_text("企业营商环境调查")
    fits(phone)
    session.a11y.check(phone, "preview: the introduction", blocking=False)
    preview_pages = phone.evaluate(PAGE_KINDS)

    respondent = session.phone(javascript=True)
    respondent.goto(f"/s/{token}")
    expect(respondent).to_have_url(re.compile(r"/s/survey$"))
    expect(respondent.locator("#js-nav")).to_be_visible()
    assert respondent.evaluate(PAGE_KINDS) == preview_pages  # the same pages, in the same order
    assert respondent.locator(".preview-banner").count() == 0
    respondent.context.close()

    # Answered as a respondent would: checked on each page, and at the end nothing is sent.
    phone.click("#next")
    expect(phone.get_by_text("企业类型")).to_be_visible()
    phone.click("#next")
    expect(phone.locator(".bad").first).to_be_visible()  # 企业类型 is required
    phone.locator("input[name=q__ownership][value=private]").check(force=True)
    phone.fill("#q__last_visit", "2026-10-15")
    fits(phone)
    phone.click("#next")
    phone.locator("label.opt", has_text="市市场监督管理局").click()
    phone.click("#next")
    for key in ("approvals", "inspections", "policy", "overall"):
        phone.locator(f"input[name=d__SCJG__{key}][value='4']").check(force=True)
    fits(phone)
    phone.click("#next")
    phone.locator("input[name=q__needs_credit][value=yes]").check(force=True)
    expect(phone.get_by_text("融资中遇到的主要困难")).to_be_visible()  # shown by its condition
    fits(phone)
    phone.click("#next")
    expect(phone.locator("dl.review")).to_contain_text("民营企业")
    phone.click("#submit")
    notice = phone.locator("#submit-notice")
    expect(notice).to_have_text(zh("Preview: these answers would be accepted. Nothing was sent."))
    expect(phone).to_have_url(re.compile(rf"/versions/{draft_id}/preview$"))
    assert db.session.scalar(select(func.count()).select_from(SealedResponse)) == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert phone.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('beikaobei:survey:'))") == []
    session.screenshot(phone)
