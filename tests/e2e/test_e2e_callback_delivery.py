"""兑现回访 in the browser: the policy officer creates a delivery check, draws and sends; an enterprise answers on a
phone without JavaScript that it did not receive it and asks to be contacted; the officer finds its application on
the follow-up list. axe-core checks the new pages."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.platform.calendar import local_today
from app.policy_window.models import Stage
from app.sms.models import SmsOutbox
from tests.e2e.support import expect, log_in, zh
from tests.integration.test_callback_delivery import application


def test_a_delivery_check_from_the_draw_to_the_follow_up_list(session, make_user, make_department):
    department = make_department("SCJG", "市市场监管局")
    cases = [application(department, stage) for stage in (Stage.paid, Stage.delivered, Stage.paid)]
    make_user("policy", username="officer")
    a11y = session.a11y

    page = session.desktop()
    log_in(page, "officer")
    page.goto("/admin/callbacks/")
    today = local_today().isoformat()
    expect(page.locator("input[name=purpose]")).to_have_count(1)  # the officer's one purpose: delivery
    page.fill("#period_start", today)
    page.fill("#period_end", today)
    page.fill("#minimum", "1")
    page.fill("#maximum", "3")
    a11y.check(page, "delivery check: the list and the new check's form")
    page.locator("form[action$='/admin/callbacks/new'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(zh("Delivery check of policy applications paid or delivered "
                                                  "%(start)s to %(end)s", start=today, end=today))
    page.fill("#seed", "福彩3D 第2026331期 518")
    page.locator("form[action$='/seed'] button[value=typed]").click()
    page.locator("form[action$='/draw'] button[type=submit]").click()
    expect(page.locator("strong.ok")).to_have_text(zh("Recomputed: the commitment and the selection match."))
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[action$='/send'] button[type=submit]").click()
    expect(page.locator("form[action$='/send']")).to_have_count(0)

    by_phone = {case.phone_masked: case for case in cases}
    sent = {by_phone[masked].tracking_number: re.search(r"(/c/[A-Za-z0-9_-]+)", text).group(1)
            for masked, text in db.session.execute(select(SmsOutbox.phone_masked, SmsOutbox.text)
                                                   .where(SmsOutbox.kind == "callback"))}
    assert len(sent) == 3
    first, second = cases[0].tracking_number, cases[1].tracking_number

    checked = session.phone(javascript=True)
    checked.goto(sent[second])
    a11y.check(checked, "delivery check: the enterprise's page")
    phone = session.phone(javascript=False)
    phone.goto(sent[first])
    expect(phone.locator("h1")).to_have_text(zh("Did you receive the policy benefit?"))
    phone.locator("input[name=received][value=no]").check()
    phone.locator("input[name=amount_right][value=not_money]").check()
    phone.locator("input[name=visits][value='2']").check()
    phone.locator("input[name=satisfied][value=not_satisfied]").check()
    phone.locator("input[name=follow_up]").check()
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text(zh("Thank you"))
    session.screenshot(phone, "-enterprise")

    page.reload()
    follow = page.locator("main table").last
    expect(follow.locator("tbody tr")).to_have_count(1)
    expect(follow.locator("tbody tr")).to_contain_text(first)
    expect(page.locator("main")).not_to_contain_text(second)
    a11y.check(page, "delivery check: the officer's page with the follow-up list")
