"""The entrepreneurs' forum end to end: the organiser plans a meeting and draws its invitations; an enterprise on a
phone answers and submits a problem through its link; the organiser assigns it; the department's liaison finds it
in the one inbox, posts progress and answers it; the enterprise rates the answer on its tracking page, which
closes it; the public ledger and the meeting report show it. The new pages pass axe-core, and the enterprise's
pages stay light (≤30 KB transferred each)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from app.casework import labels as case_labels
from app.casework.models import CaseStatus, Confirmation, Outcome
from app.extensions import db
from app.forum import labels as forum_labels
from app.forum.models import ForumMeeting, ForumProblem, MeetingStatus
from app.platform.calendar import local_today
from app.sms.models import SmsOutbox
from tests.e2e.support import expect, import_pool, log_in, zh

BUDGET = 30 * 1024
PROBLEM = "新厂房的不动产权证办理已超过半年，银行因此不能办理抵押贷款，影响扩产。"
ENTERPRISE = "瑞丰精密机械有限公司"


def click(page, action: str) -> None:
    """Press the submit button of the form posting to ``action`` (the end of its URL)."""
    page.locator(f"form[action$='{action}'] button[type=submit]").first.click()


def confirm(page, action: str) -> None:
    """Press a button that asks first (templates/_confirm.html): the script's dialog is accepted."""
    expect(page.locator(f"form[action$='{action}'] label.confirm-box")).to_be_hidden()  # the dialog replaces it
    page.once("dialog", lambda dialog: dialog.accept())
    click(page, action)


class Weighed:
    """What a page's loads transfer (headers and bodies of every response), page by page."""

    def __init__(self, page):
        self.requests: list = []
        page.on("requestfinished", lambda request: self.requests.append(request))

    def load(self, page, action) -> int:
        """The bytes transferred while ``action`` loads a page (a redirect and the page after it included)."""
        self.requests.clear()
        action()
        page.wait_for_load_state("networkidle")
        sizes = [request.sizes() for request in self.requests]
        assert any(request.resource_type == "document" for request in self.requests)
        return sum(size["responseHeadersSize"] + size["responseBodySize"] for size in sizes)


def test_a_forum_problem_goes_from_the_enterprises_phone_to_the_public_ledger(
        session, live_server, make_user, make_department):
    import_pool({"large_enterprise": 8, "sme": 12})
    lead = make_department("BDC", "市不动产登记中心")
    make_department("ZRZY", "市自然资源和规划局")
    make_user("forum", username="organiser")
    make_user("liaison", username="liaison-bdc", department=lead)
    a11y = session.a11y
    held_on = local_today() + timedelta(days=14)

    # ---- the organiser plans the meeting and draws its invitations (with JavaScript: confirmations are dialogs)
    staff = session.desktop()
    log_in(staff, "organiser")
    staff.goto("/admin/forum/meetings/new")
    a11y.check(staff, "forum: plan a meeting")
    staff.fill("#held_on", held_on.isoformat())
    staff.fill("#venue", "市民中心三楼第一会议室")
    staff.fill("#theme", "不动产登记与融资")
    staff.fill("#draw_size", "4")
    staff.locator("main form button[type=submit]").click()
    expect(staff.locator("h1")).to_contain_text(held_on.isoformat())
    confirm(staff, "/freeze")
    staff.fill("#seed", "2026-12-06 福彩3D 275")
    confirm(staff, "/draw")
    expect(staff.locator("main table").first.locator("tbody tr")).to_have_count(4)
    a11y.check(staff, "forum: the meeting with its draw")
    confirm(staff, "/send")
    meeting = db.session.scalar(select(ForumMeeting))
    db.session.refresh(meeting)
    assert meeting.status == MeetingStatus.invited and meeting.draw_seed == "2026-12-06 福彩3D 275"
    # The enterprise's link, as its SMS carries it.
    text = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "forum_invite")
                              .order_by(SmsOutbox.id)).first()
    link = re.search(re.escape(live_server.url) + r"/f/[A-Za-z0-9_-]+", text).group(0)
    invited = meeting.invitations[0]
    invited.respondent.organisation = ENTERPRISE  # so that the ledger can name it (the pool file had none)
    db.session.commit()

    # ---- the enterprise, on a phone, answers and submits its problem (pages without any script)
    phone = session.phone(javascript=True)
    weighed = Weighed(phone)
    weights = {"home": weighed.load(phone, lambda: phone.goto(link))}
    expect(phone.locator("h1")).to_have_text(zh("Entrepreneurs forum"))
    assert phone.locator("script").count() == 0
    a11y.check(phone, "forum: the enterprise's page")
    phone.locator("input[name=attending][value=yes]").check()
    weights["answered"] = weighed.load(phone, lambda: phone.locator("form[action$='/f/home/rsvp'] button").click())
    expect(phone.locator("main")).to_contain_text(zh("Will attend"))
    weights["new problem"] = weighed.load(phone, lambda: phone.locator("a.btn[href$='/f/problems/new']").click())
    a11y.check(phone, "forum: submit a problem")
    phone.locator("input[name=category][value=land]").check()
    phone.fill("#description", PROBLEM)
    phone.fill("#request", "请协调尽快办结不动产权证。")
    phone.locator("input[name=named_in_ledger]").check()
    weights["submitted"] = weighed.load(phone, lambda: phone.locator("main form button[type=submit]").click())
    number = phone.locator("ul.timeline li a").first.inner_text().strip()
    problem = db.session.scalar(select(ForumProblem).where(ForumProblem.tracking_number == number))
    assert problem.named_in_ledger and problem.invitation_id == invited.id

    # ---- the meeting is held; the organiser assigns the problem to the lead department
    staff.goto(f"/admin/forum/meetings/{meeting.id}")
    confirm(staff, "/held")
    staff.goto(f"/admin/forum/problems/{number}")
    a11y.check(staff, "forum: the organiser's problem page")
    staff.select_option("#lead_id", str(lead.id))
    staff.fill("#workdays", "10")
    staff.fill("#instructions", "请于十个工作日内办结并答复企业。")
    click(staff, "/assign")
    expect(staff.locator("main")).to_contain_text(lead.name)

    # ---- the liaison finds it in the one inbox, posts progress and answers it
    desk = session.desktop()
    log_in(desk, "liaison-bdc")
    desk.goto("/admin/inbox")
    row = desk.locator("#inbox tbody tr").filter(has_text=number)
    expect(row).to_have_count(1)
    a11y.check(desk, "forum: the liaison's inbox")
    row.locator("a").first.click()
    a11y.check(desk, "forum: the liaison's assignment page")
    click(desk, "/acknowledge")
    desk.fill("#text", "已调取档案，正在与自然资源部门核实土地出让手续。")
    click(desk, "/progress")
    expect(desk.locator("main")).to_contain_text("已调取档案")
    desk.fill("#reply", "经核实，不动产权证已于今日办结，企业可随时领取并办理抵押。")
    desk.locator(f"input[name=outcome][value={Outcome.solved.value}]").check()
    click(desk, "/reply")
    expect(desk.locator("#inbox tbody tr").filter(has_text=number)).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(ForumProblem, problem.id).status == CaseStatus.confirming

    # ---- the enterprise reads the progress and the answer on its tracking page and rates it: that closes it
    weights["tracking"] = weighed.load(phone, lambda: phone.goto(f"/f/problems/{number}"))
    expect(phone.locator("ol.timeline")).to_contain_text("已调取档案")
    expect(phone.locator("main")).to_contain_text("不动产权证已于今日办结")
    a11y.check(phone, "forum: the tracking page with the answer to rate")
    phone.locator("input[name=satisfaction][value=satisfied]").check()
    weights["rated"] = weighed.load(phone, lambda: phone.locator("form[action$='/rate'] button").click())
    db.session.expire_all()
    closed = db.session.get(ForumProblem, problem.id)
    assert closed.status == CaseStatus.closed and closed.confirmation == Confirmation.raiser
    assert closed.outcome == Outcome.solved
    session.screenshot(phone, "-enterprise")
    print("transferred per page:", weights)
    over = {page: size for page, size in weights.items() if size > BUDGET}
    assert not over and all(weights.values()), weights

    # ---- the public ledger shows it, named as the enterprise agreed, on a phone without JavaScript
    public = session.phone(javascript=False)
    public.goto("/forum/ledger")
    card = public.locator("ol.ledger li").filter(has_text=number)
    expect(card).to_have_count(1)
    with force_locale("zh"):
        category, outcome = forum_labels.category_label("land"), case_labels.outcome_label("solved")
        status = case_labels.status_label("closed")
    for text in (category, outcome, status, lead.name, ENTERPRISE):
        expect(card).to_contain_text(text)
    expect(public.locator("main")).not_to_contain_text(PROBLEM)  # what was raised stays with the organisers
    session.screenshot(public, "-ledger")
    public.locator("details.filter-box summary").click()  # the filters fold away on a phone (no script needed)
    public.select_option("#f-status", "overdue")
    public.locator("form.filters button").click()
    expect(public.locator("ol.ledger li").filter(has_text=number)).to_have_count(0)
    expect(public.locator("details.filter-box")).to_have_attribute("open", "")  # a narrowed list says so
    # axe-core runs where scripts run: the same page in a phone with JavaScript.
    ledger = session.phone(javascript=True)
    ledger.goto(f"/forum/ledger/{meeting.id}")
    expect(ledger.locator("ol.ledger li").filter(has_text=number)).to_have_count(1)
    a11y.check(ledger, "forum: the public ledger of the meeting")
    ledger.goto("/forum/ledger")
    a11y.check(ledger, "forum: the public ledger")

    # ---- the meeting report shows it; the organiser publishes the report
    staff.goto(f"/admin/forum/meetings/{meeting.id}/report")
    expect(staff.locator("#problems tbody tr").filter(has_text=number)).to_contain_text(outcome)
    category_row = staff.locator("#by-category tbody tr").filter(has_text=category)
    expect(category_row.locator("td")).to_have_text(["1", "1", "0", "0", "0", "0"])
    expect(staff.locator("#attendance tbody tr").first.locator("td").first).to_have_text("4")
    a11y.check(staff, "forum: the meeting report")
    # Printed to A4: no navigation, no buttons, a page per section.
    staff.emulate_media(media="print")
    expect(staff.locator("header.site-header")).to_be_hidden()
    expect(staff.locator("form.confirm")).to_be_hidden()
    sections = staff.locator("article.report section:not(.no-print)").count()
    pdf = staff.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= sections >= 5
    staff.emulate_media(media="screen")
    staff.fill("#summary", "本次恳谈会收集诉求一件，已办结。")
    confirm(staff, "/report/publish")
    expect(staff.locator("main > div.flash-success")).to_have_text(zh("The report is published."))
    db.session.refresh(meeting)
    assert meeting.status == MeetingStatus.reported
    download = staff.request.get(f"/admin/forum/meetings/{meeting.id}/report.xlsx")
    assert download.ok and download.body()[:2] == b"PK"
    staff.goto(f"/admin/forum/meetings/{meeting.id}/agenda")
    a11y.check(staff, "forum: the agenda")
    session.screenshot(staff)
