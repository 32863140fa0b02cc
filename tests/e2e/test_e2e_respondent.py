"""Respondents answer on a phone from the SMS link: one with JavaScript (the one-page survey, four requests),
one without (the paged flow); each submits once, and what is stored cannot tell the two apart."""
from __future__ import annotations

import re
from urllib.parse import urlparse

from sqlalchemy import func, select

from app.extensions import db
from app.questionnaires import service as questionnaires
from app.responses.models import Response, ResponseAnswer
from app.rounds.models import Invitation, InvitationSubmission, SurveyDraft
from questionnaire.defaults import default_questionnaire
from tests.e2e.support import expect, import_pool, log_in, sent_round, zh

DIMENSIONS = ("attitude", "efficiency", "policy", "law", "integrity")
SCREEN = 844
THANKS = "已提交，感谢参与"


def version_with_a_condition():
    """The demo's questionnaire, with a question shown only for one answer of another (show-if)."""
    document = default_questionnaire()
    document["items"] += [
        {"type": "single", "key": "visited", "label": {"zh": "近期您是否去过政务服务大厅？"},
         "options": [{"value": "yes", "label": {"zh": "去过"}}, {"value": "no", "label": {"zh": "没去过"}}]},
        {"type": "textarea", "key": "hall", "label": {"zh": "大厅哪些地方需要改进？"}, "show_if": "{visited} = 'yes'"},
    ]
    version = questionnaires.create("含条件题的问卷", document)
    questionnaires.publish(version)
    db.session.commit()
    return version


def outbox_links(session, campaign) -> list[str]:
    """The links of the invitations, as the operator reads them in the console outbox."""
    page = session.desktop()
    log_in(page, "operator")
    page.goto(f"/admin/rounds/{campaign.id}/outbox")
    texts = page.locator("td.sms-text").all_inner_texts()
    page.context.close()
    return [re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", text).group(0) for text in texts]


class WithoutScript:
    """axe-core needs JavaScript, which the page under test has off: each of its steps is checked as a copy of
    its HTML in a page of the same site where the survey's script is blocked (so it renders the same)."""

    def __init__(self, session, base_url: str):
        self.session = session
        self.page = session.phone(javascript=True)
        self.page.route("**/assets/js/**", lambda route: route.abort())
        self.page.goto(base_url + "/s/thanks")

    def check(self, page, label: str) -> None:
        self.page.set_content(page.content())
        self.session.a11y.check(self.page, label)


def rate(page, code: str, levels: dict[str, str]) -> None:
    for key, value in levels.items():
        page.locator(f"input[name=d__{code}__{key}][value='{value}']").check(force=True)  # the label is the button


def next_page(page) -> None:
    page.locator("form button[name=nav][value=next]").click()


def test_respondents_answer_on_a_phone_with_and_without_javascript(session, live_server, make_user,
                                                                   make_department):
    import_pool({"sme": 12})
    scjg, swj = make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局")
    campaign = sent_round(live_server.url, [scjg, swj], size=12, version=version_with_a_condition())
    make_user("operator", username="operator")
    first, second = outbox_links(session, campaign)[:2]
    a11y = session.a11y

    # ---- with JavaScript: the whole questionnaire in one document, paged in the browser
    page = session.phone(javascript=True)
    served: list[tuple[str, str]] = []
    page.on("requestfinished", lambda r: served.append((r.method, urlparse(r.url).path)) if not (
        r.resource_type == "fetch" and r.redirected_from is not None) else None)
    page.goto(first)
    expect(page).to_have_url(re.compile(r"/s/survey$"))  # the token left the address bar
    expect(page.locator("main h1:visible")).to_have_text(campaign.title)
    expect(page.locator("#start-paged")).to_be_hidden()
    expect(page.locator("#back")).to_be_hidden()  # no "back" on the first page
    a11y.check(page, "one page: introduction")
    page.click("#next")  # the questionnaire's explanation stands above the picker: one screen, not two
    expect(page.locator("main h1:visible").first).to_have_text("评价说明")
    page.locator("label.opt", has_text=scjg.name).click()
    page.fill("#department-search", "税务")  # the picker's search box narrows the list
    expect(page.locator("label.opt:visible", has_text="市市场监督管理局")).to_have_count(0)
    page.locator("label.opt", has_text=swj.name).click()
    page.fill("#department-search", "")
    expect(page.locator("#picked-count")).to_contain_text("2")
    a11y.check(page, "one page: the department picker")
    page.click("#next")
    expect(page.locator("main h1:visible")).to_have_text(scjg.name)
    expect(page.locator("#progress")).to_have_text(zh("Department %(n)s of %(total)s", n=1, total=2))
    block = page.locator("section[data-kind=department]:visible").bounding_box()
    assert block["height"] <= 1.3 * SCREEN, block  # a department fits on about one screen
    rate(page, "SCJG", {**{key: "5" for key in DIMENSIONS}, "overall": "2"})
    page.click("#next")
    # 不满意 overall: the reason is now required; the page says so, keeps the answers and moves the focus.
    expect(page.locator("p.err[role=alert]")).to_be_visible()
    expect(page.locator("#d__SCJG__comment")).to_be_focused()
    expect(page.locator("input[name=d__SCJG__overall][value='2']")).to_be_checked()
    a11y.check(page, "one page: a department page with an error")
    page.fill("#d__SCJG__comment", "窗口只开了一个，排队两个小时。")
    page.click("#next")
    expect(page.locator("main h1:visible")).to_have_text(swj.name)
    rate(page, "SWJ", {**{key: "4" for key in DIMENSIONS}, "integrity": "na", "overall": "4"})
    a11y.check(page, "one page: the second department")
    page.click("#next")
    hall = page.locator("#q__hall")
    expect(hall).to_be_hidden()  # shown only when the respondent went to the hall
    page.locator("input[name=q__visited][value=yes]").check()
    expect(hall).to_be_visible()
    hall.fill("取号机经常坏。")
    page.fill("#q__general_comment", "希望推行更多网上办理。")
    a11y.check(page, "one page: the closing questions")
    page.click("#next")
    review = page.locator("dl.review")
    expect(review.locator("dt.dept")).to_have_text([scjg.name, swj.name])
    expect(review).to_contain_text("窗口只开了一个，排队两个小时。")
    expect(review).to_contain_text("取号机经常坏。")
    a11y.check(page, "one page: check and submit")
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/s/thanks$"))
    expect(page.locator("h1")).to_have_text(THANKS)
    a11y.check(page, "one page: thanks")
    session.screenshot(page, "-javascript")

    # Four page requests (a redirect that the script does not follow is not fetched: the page goes to the
    # thanks page itself), and three static files on the first load.
    first_load = served[:served.index(("POST", "/s/survey/submit"))]
    statics = [path for _method, path in first_load if path.startswith("/assets/")]
    assert [r for r in served if not r[1].startswith("/assets/")] == [
        ("GET", urlparse(first).path), ("GET", "/s/survey"), ("POST", "/s/survey/submit"), ("GET", "/s/thanks")]
    assert len(statics) <= 3, statics
    # nothing kept on the phone once the submission is acknowledged
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('beikaobei:')).length") == 0
    page.reload()
    expect(page.locator("h1")).to_have_text(THANKS)
    page.goto(first)
    expect(page.locator("h1")).to_have_text(THANKS)

    # ---- without JavaScript: the same address, paged by the server
    page = session.phone(javascript=False)
    plain = WithoutScript(session, live_server.url)
    page.goto(second)
    expect(page).to_have_url(re.compile(r"/s/survey$"))
    plain.check(page, "paged: introduction")
    page.locator("#start-paged").click()
    expect(page.locator("form button[name=nav][value=back]")).to_have_count(0)  # no "back" on the first page
    next_page(page)
    page.locator("input[name=departments][value=SWJ]").check()
    plain.check(page, "paged: the department picker")
    next_page(page)
    expect(page.locator("p.progress")).to_have_text(zh("Department %(n)s of %(total)s", n=1, total=1))
    form = page.locator("main form").bounding_box()
    assert form["height"] <= 1.3 * SCREEN, form
    rate(page, "SWJ", {**{key: "5" for key in DIMENSIONS}, "overall": "5"})
    plain.check(page, "paged: a department")
    next_page(page)
    page.locator("input[name=q__visited][value=no]").check()
    next_page(page)
    expect(review := page.locator("dl.review")).to_be_visible()
    expect(review.locator("dt.dept")).to_have_text([swj.name])
    plain.check(page, "paged: check and submit")
    page.locator("form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(THANKS)
    page.go_back()
    page.reload()
    expect(page.locator("h1")).to_have_text(THANKS)
    session.screenshot(page)

    # Two anonymous responses with what was answered, two used invitations, and no draft left anywhere.
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Response).where(
        Response.campaign_id == campaign.id)) == 2
    overall = sorted(db.session.scalars(select(ResponseAnswer.value).where(
        ResponseAnswer.question == "overall", ResponseAnswer.department_id == scjg.id)))
    assert overall == [2]
    assert sorted(db.session.scalars(select(ResponseAnswer.value).where(
        ResponseAnswer.question == "overall", ResponseAnswer.department_id == swj.id))) == [4, 5]
    assert db.session.scalar(select(ResponseAnswer.value).where(ResponseAnswer.question == "hall")) == "取号机经常坏。"
    assert db.session.scalar(select(func.count()).select_from(SurveyDraft)) == 0
    used = db.session.scalars(select(InvitationSubmission.invitation_id)).all()
    assert len(used) == 2
    assert all(invitation.opened for invitation in db.session.scalars(
        select(Invitation).where(Invitation.id.in_(used))))
