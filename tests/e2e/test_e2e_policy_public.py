"""The public policy catalogue in the browser: on a 390×844 phone without JavaScript, a visitor searches, filters,
opens an item and checks an enterprise against it; nothing overflows the screen; axe-core checks the pages."""
from __future__ import annotations

from tests.e2e.support import expect, zh
from tests.integration.test_policy_public import catalogue  # noqa: F401  (a fixture)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def test_a_visitor_finds_an_item_and_checks_an_enterprise_on_a_phone_without_javascript(session, catalogue):
    phone = session.phone(javascript=False)
    phone.goto("/policies")
    expect(phone.locator("h1")).to_have_text(zh("Policy catalogue"))
    no_sideways_scroll(phone)
    phone.fill("#f-q", "高新技术")
    phone.locator("form[role=search] summary").click()  # <details>: opens without a script
    phone.select_option("#f-size", "中型")
    phone.locator("form[role=search] button[type=submit]").click()
    items = phone.locator("ol.ledger > li h2 a")
    expect(items).to_have_count(1)
    items.first.click()
    expect(phone.locator("h1")).to_have_text("高新技术企业认定奖励")
    no_sideways_scroll(phone)
    phone.fill("#revenue", "2500")
    phone.fill("#registered_on", "2019-03-15")
    phone.locator("input[name=qualifications][value='高新技术企业']").check()
    phone.locator("#check button[type=submit]").click()
    expect(phone.locator("#result h3")).to_have_text(zh("Likely eligible"))
    expect(phone.locator("#result .trace li")).to_have_count(4)  # three rules and the review condition
    no_sideways_scroll(phone)
    session.screenshot(phone)

    checked = session.phone(javascript=True)
    checked.goto("/policies")
    session.a11y.check(checked, "policy catalogue")
    checked.goto("/policies/ZC-2026-012-01")
    session.a11y.check(checked, "policy item")
    checked.fill("#revenue", "800")
    checked.locator("#check button[type=submit]").click()
    expect(checked.locator("#result h3")).to_have_text(zh("Not eligible"))
    session.a11y.check(checked, "policy self-check result")
    no_sideways_scroll(checked)
