"""Respondents answer on a phone from the SMS link: one with JavaScript, one without; each submits once."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Invitation, InvitationSubmission
from tests.e2e.support import expect, import_pool, log_in, sent_round, zh

DIMENSIONS = ("attitude", "efficiency", "policy", "law", "integrity")


def outbox_links(session, campaign) -> list[str]:
    """The links of the invitations, as the operator reads them in the console outbox."""
    page = session.desktop()
    log_in(page, "operator")
    page.goto(f"/admin/rounds/{campaign.id}/outbox")
    texts = page.locator("td.sms-text").all_inner_texts()
    page.context.close()
    return [re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", text).group(0) for text in texts]


def next_page(page) -> None:
    page.locator("form button[name=nav][value=next]").click()


def rate(page, code: str, levels: dict[str, str]) -> None:
    for key, value in levels.items():
        page.locator(f"input[name=d__{code}__{key}][value='{value}']").check()


def test_respondents_answer_on_a_phone_with_and_without_javascript(session, live_server, make_user,
                                                                   make_department):
    import_pool({"sme": 12})
    scjg, swj = make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局")
    campaign = sent_round(live_server.url, [scjg, swj], size=12)
    make_user("operator", username="operator")
    first, second = outbox_links(session, campaign)[:2]
    a11y = session.a11y

    # ---- with JavaScript: two departments, a dissatisfied rating that needs its reason
    page = session.phone(javascript=True)
    page.goto(first)
    expect(page).to_have_url(re.compile(r"/s/survey$"))  # the token left the address bar
    expect(page.locator("h1")).to_have_text(campaign.title)
    a11y.check(page, "respondent: introduction")
    page.locator("main a.btn").click()
    expect(page.locator("p.progress")).to_have_text(zh("Page %(page)d of %(pages)d", page=1, pages=3))
    next_page(page)  # the introduction text
    page.locator("input[name=departments][value=SCJG]").check()
    page.locator("input[name=departments][value=SWJ]").check()
    expect(page.locator("main h1")).to_have_text(campaign.title)  # a page without a section title of its own
    a11y.check(page, "respondent: the department picker")
    next_page(page)
    expect(page.locator("main h1")).to_have_text(scjg.name)
    rate(page, "SCJG", {**{key: "5" for key in DIMENSIONS}, "overall": "2"})
    next_page(page)
    # 不满意 overall: the reason is now required, and the page says so without losing the answers.
    expect(page.locator("p.err.summary[role=alert]")).to_be_visible()
    expect(page.locator("#d__SCJG__comment")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("input[name=d__SCJG__overall][value='2']")).to_be_checked()
    a11y.check(page, "respondent: a department page with an error")
    page.fill("#d__SCJG__comment", "窗口只开了一个，排队两个小时。")
    next_page(page)
    expect(page.locator("main h1")).to_have_text(swj.name)
    rate(page, "SWJ", {**{key: "4" for key in DIMENSIONS}, "integrity": "na", "overall": "4"})
    next_page(page)
    page.fill("#q__general_comment", "希望推行更多网上办理。")
    next_page(page)
    expect(page).to_have_url(re.compile(r"/s/survey/confirm$"))
    review = page.locator("dl.review")
    expect(review.locator("dt.dept")).to_have_text([scjg.name, swj.name])
    expect(review).to_contain_text("窗口只开了一个，排队两个小时。")
    a11y.check(page, "respondent: check and submit")
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(zh("Thank you"))
    a11y.check(page, "respondent: thanks")
    session.screenshot(page, "-javascript")
    page.goto(first)
    expect(page.locator("h1")).to_have_text(zh("Already submitted"))
    a11y.check(page, "respondent: already submitted")

    # ---- without JavaScript: the same survey, one department
    page = session.phone(javascript=False)
    page.goto(second)
    page.locator("main a.btn").click()
    next_page(page)
    page.locator("input[name=departments][value=SWJ]").check()
    next_page(page)
    rate(page, "SWJ", {**{key: "5" for key in DIMENSIONS}, "overall": "5"})
    next_page(page)
    next_page(page)  # no general comment
    expect(review := page.locator("dl.review")).to_be_visible()
    expect(review.locator("dt.dept")).to_have_text([swj.name])
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(zh("Thank you"))
    page.goto(second)
    expect(page.locator("h1")).to_have_text(zh("Already submitted"))
    session.screenshot(page)

    # Two anonymous responses with what was answered, and two used invitations.
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response).where(
        Response.campaign_id == campaign.id)) == 2
    overall = sorted(db.session.scalars(select(ResponseAnswer.value).where(
        ResponseAnswer.question == "overall", ResponseAnswer.department_id == scjg.id)))
    assert overall == [2]
    assert sorted(db.session.scalars(select(ResponseAnswer.value).where(
        ResponseAnswer.question == "overall", ResponseAnswer.department_id == swj.id))) == [4, 5]
    assert db.session.scalar(select(ResponseAnswer.value).where(ResponseAnswer.question == "comment")) == \
        "窗口只开了一个，排队两个小时。"
    used = db.session.scalars(select(InvitationSubmission.invitation_id)).all()
    assert len(used) == 2
    assert all(invitation.opened for invitation in db.session.scalars(
        select(Invitation).where(Invitation.id.in_(used))))
