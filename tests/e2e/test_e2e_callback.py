"""The call-back check (回访抽查) in the browser: a handler draws and sends, a raiser answers on a phone without
JavaScript, once; an auditor reads the report. axe-core checks the pages."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.platform.calendar import local_today
from app.sms.models import SmsOutbox
from tests.e2e.support import expect, log_in, zh
from tests.integration.test_callbacks import closed_case


def test_a_handler_draws_a_raiser_answers_once_and_an_auditor_reads_the_report(session, make_user,
                                                                                make_department):
    department = make_department("SCJG", "市市场监管局")
    for outcome in ("solved", "solved", "explained"):
        closed_case(department, outcome)
    make_user("complaints", username="handler")
    make_user("auditor", username="auditor")
    a11y = session.a11y

    page = session.desktop()
    log_in(page, "handler")
    page.locator("header nav a[href='/admin/callbacks/']").click()
    today = local_today().isoformat()
    page.fill("#period_start", today)
    page.fill("#period_end", today)
    page.fill("#minimum", "1")
    page.fill("#maximum", "3")
    page.locator("form[action$='/admin/callbacks/new'] button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(zh("Call-back check of cases closed %(start)s to %(end)s",
                                                  start=today, end=today))
    page.fill("#seed", "福彩3D 第2026330期 407")
    page.locator("form[action$='/seed'] button[value=typed]").click()
    page.locator("form[action$='/draw'] button[type=submit]").click()
    expect(page.locator("strong.ok")).to_have_text(zh("Recomputed: the commitment and the selection match."))
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("form[action$='/send'] button[type=submit]").click()
    expect(page.locator("form[action$='/send']")).to_have_count(0)
    assert asked and "3" in asked[0]
    a11y.check(page, "call-back check: the handler's page")

    texts = db.session.scalars(select(SmsOutbox.text).where(SmsOutbox.kind == "callback")).all()
    paths = [re.search(r"(/c/[A-Za-z0-9_-]+)", text).group(1) for text in texts]
    assert len(paths) == 3

    # axe-core needs JavaScript: it checks the page on one phone; the raiser answers on another without it.
    checked = session.phone(javascript=True)
    checked.goto(paths[1])
    a11y.check(checked, "call-back check: the raiser's page")
    phone = session.phone(javascript=False)
    phone.goto(paths[0])
    expect(phone.locator("h1")).to_have_text(zh("Was your matter solved?"))
    phone.locator("input[name=solved][value=partly]").check()
    phone.locator("input[name=satisfied][value=basically]").check()
    phone.locator("input[name=returns][value='2']").check()
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text(zh("Thank you"))
    phone.goto(paths[0])
    expect(phone.locator("h1")).to_have_text(zh("Already answered"))
    session.screenshot(phone, "-raiser")

    auditor = session.desktop()
    log_in(auditor, "auditor")
    auditor.locator("header nav a[href='/admin/callbacks/']").click()
    auditor.locator("main table a").first.click()
    expect(auditor.locator("form[action$='/send'], form[action$='/close']")).to_have_count(0)
    row = auditor.locator("main table").last.locator("tbody tr").filter(has_text="市市场监管局")
    expect(row.locator("td").nth(4)).to_have_text("1")  # one link answered (it waits for its batch)
    a11y.check(auditor, "call-back check: the auditor's page")
