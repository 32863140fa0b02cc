"""An operator runs a monthly round: creates it, sets it up, freezes the frame, sets the seed, draws, sends."""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.rounds.models import Campaign, CampaignStatus, Invitation
from tests.e2e.support import expect, import_pool, invitation_text, log_in, zh


def click(page, action: str) -> None:
    """Press the submit button of the form posting to ``action`` (the end of its URL)."""
    page.locator(f"form[action$='{action}'] button[type=submit]").first.click()


def test_operator_creates_draws_and_sends_a_round(session, live_server, make_user, make_department):
    import_pool({"sme": 20, "citizen": 10})
    departments = [make_department("SCJG", "市市场监督管理局"), make_department("SWJ", "市税务局")]
    make_user("operator", username="operator")
    page = session.desktop()
    log_in(page, "operator")

    page.locator("header nav a[href='/admin/rounds/']").click()
    page.fill("#month", "2026-12")
    page.fill("#title", "十二月营商环境评价")
    click(page, "/admin/rounds/new")
    expect(page.locator("h1")).to_have_text("2026-12 · 十二月营商环境评价")

    # The setup: the default questionnaire, every department (checked by default), the closing date, the SMS.
    expect(page.locator("input[name=department_ids]:checked")).to_have_count(len(departments))
    # Found by its label: the extend form's date field once took its id, and with it this label.
    closes_on = page.locator("form[action$='/setup']").get_by_label(zh("Closes on"), exact=True)
    closes_on.fill((date.today() + timedelta(days=14)).isoformat())
    page.select_option("#link_mode", "link")
    page.fill("#sms_template_code", "SMS_123456789")
    page.fill("#sms_template_text", invitation_text(live_server.url))
    click(page, "/setup")
    expect(page.locator("main > div.flash-success")).to_have_text(zh("Round settings saved."))
    expect(page.locator("blockquote.sms")).to_contain_text(f"{live_server.url}/s/")
    session.a11y.check(page, "operator: round set up", blocking=False)

    # The draw, in its three recorded steps.
    page.locator("nav.subnav a[href$='/draw']").click()
    page.fill("#sample_size", "15")
    page.select_option("#allocation_method", "proportional")
    page.fill("#minimum_per_stratum", "5")
    click(page, "/draw/plan")
    expect(page.locator("main > div.flash-success")).to_have_text(zh("Sample plan saved."))
    click(page, "/draw/freeze")
    expect(page.locator("main > div.flash-success")).to_have_text(
        zh("Frame frozen: %(n)d members. Announce the commitment before setting the seed.", n=30))
    commitment = page.locator("#commitment").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    page.fill("#seed", "2026-12-01 福彩3D 483")
    page.locator("form[action$='/draw/seed'] button[value=typed]").click()
    expect(page.locator("#seed")).to_have_text("2026-12-01 福彩3D 483")
    click(page, "/draw/run")
    expect(page.locator("main > div.flash-success")).to_have_text(zh("%(n)d members drawn and invited.", n=15))
    expect(page.locator("strong.ok")).to_have_text(zh("Recomputed: the commitment and the selection match."))
    expect(page.locator("#commitment")).to_have_text(commitment)

    # Sending: with jobs inline the console backend has "sent" every invitation when the page comes back.
    page.locator("header nav a[href='/admin/rounds/']").click()
    page.locator("main table tbody tr").filter(has_text="2026-12").locator("a").first.click()
    # Sending costs money and cannot be called back: a dialog names the count first; "cancel" sends nothing.
    asked = []
    expect(page.locator("form[action$='/send'] label.confirm-box")).to_be_hidden()  # the dialog replaces the box
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    click(page, "/send")
    assert asked == ["将立即向 15 人发送邀请短信（每个号码每天最多 3 条），发出后无法撤回。"]
    expect(page.locator("main > div.flash-success")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    click(page, "/send")
    expect(page.locator("main > div.flash-success")).to_have_text(
        zh("%(n)d invitations queued for sending.", n=15))
    totals = page.locator("section.card table tfoot td")
    expect(totals.nth(0)).to_have_text("15")  # invited
    expect(totals.nth(1)).to_have_text("15")  # accepted by the gateway

    page.locator("nav.subnav a[href$='/outbox']").click()
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(15)
    # Each message is the approved text with its own link (no empty 【】 sign in front without a sign name).
    texts = page.locator("td.sms-text").all_inner_texts()
    pattern = (r"【市营商办】成员\d+您好，请于\d\d月\d\d日前完成评价：" + re.escape(live_server.url)
               + r"/s/([A-Za-z0-9_-]{22,}) 回复TD退订")
    tokens = [re.fullmatch(pattern, text).group(1) for text in texts]
    assert len(set(tokens)) == 15
    phones = page.locator("main table tbody tr td:nth-child(2)").all_inner_texts()
    assert all(re.fullmatch(r"1\d\d\*{4}\d{4}", p) for p in phones), phones  # masked
    session.a11y.check(page, "operator: SMS outbox", blocking=False)
    session.screenshot(page)

    db.session.expire_all()
    campaign = db.session.scalar(select(Campaign).where(Campaign.month == "2026-12"))
    assert campaign.status == CampaignStatus.open
    assert campaign.current_draw.seed == "2026-12-01 福彩3D 483" and campaign.current_draw.commitment == commitment
    strata = db.session.execute(select(Invitation.stratum).where(Invitation.campaign_id == campaign.id)).scalars()
    counts = {}
    for stratum in strata:
        counts[stratum] = counts.get(stratum, 0) + 1
    assert sorted(counts.values()) == [5, 10]  # proportional to 10 citizens and 20 SMEs
