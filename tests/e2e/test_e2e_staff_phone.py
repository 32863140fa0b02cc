"""Every staff page of the demo city on a 390×844 phone: no sideways scrolling of the page, and a navigation
that folds behind one button (no taller than 15% of the screen) and opens without JavaScript."""
from __future__ import annotations

from app.demo import ACCOUNTS, seed_demo
from app.models import Campaign
from app.platform.roles import Role
from tests.e2e.support import expect, log_in, zh
from tests.staff_pages import crawl

SCREEN_HEIGHT = 844
HEADER_SHARE = 0.15

# The outermost elements reaching past the screen's right edge; a box that scrolls on its own (a table in its
# .table-wrap) is not looked into.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth, out = [];
  const walk = (element) => {
    for (const child of element.children) {
      const box = child.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1) {
        out.push(child.tagName.toLowerCase() + (child.className ? '.' + child.className : '') + ': '
                 + (child.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60));
        continue;
      }
      const overflow = getComputedStyle(child).overflowX;
      if (overflow !== 'auto' && overflow !== 'scroll' && overflow !== 'hidden') walk(child);
    }
  };
  walk(document.body);
  return {scrollWidth: document.documentElement.scrollWidth, width: width, culprits: out.slice(0, 5)};
}"""


def staff_pages(app, account) -> list[str]:
    client = app.test_client()
    response = client.post_form("/login", {"username": account.username, "password": account.password})
    assert response.status_code == 302, account.username
    return [found.path for found in crawl(app, client) if found.is_page]


def test_every_staff_page_fits_a_phone_and_its_menu_folds(app, session):
    seed_demo(session.server.url)
    problems, visited = [], 0
    for account in ACCOUNTS:
        paths = staff_pages(app, account)
        assert len(paths) >= 5, f"{account.username} reaches only {paths}"
        page = session.phone(javascript=False)
        log_in(page, account.username, account.password)
        for path in paths:
            page.goto(path)
            visited += 1
            header = page.locator("header.site-header")
            if header.count():  # printable pages (posters) have none
                height = header.bounding_box()["height"]
                if height > HEADER_SHARE * SCREEN_HEIGHT:
                    problems.append(f"{account.username} {path}: the header is {height:.0f} px tall")
            layout = page.evaluate(OVERFLOWING)
            if layout["scrollWidth"] > layout["width"]:
                problems.append(f"{account.username} {path}: the page is {layout['scrollWidth']} px wide "
                                f"({'; '.join(layout['culprits']) or 'no element found'})")
        page.context.close()
    assert visited > 60
    assert not problems, "\n".join(problems)


def test_the_menu_opens_on_a_phone_without_javascript_and_stays_open_on_a_desktop(app, session, make_user):
    make_user("operator", username="operator")
    phone = session.phone(javascript=False)
    log_in(phone, "operator")
    rounds_link = phone.locator("header nav a[href='/admin/rounds/']")
    expect(rounds_link).to_be_hidden()
    phone.locator("header details.menu > summary").click()
    expect(rounds_link).to_be_visible()
    rounds_link.click()
    expect(phone.locator("h1")).to_have_text(zh("Monthly rounds"))

    # The accessibility check runs axe in the page, which needs JavaScript: the same opened menu, with it.
    scripted = session.phone()
    log_in(scripted, "operator")
    scripted.locator("header details.menu > summary").click()
    expect(scripted.locator("header nav a[href='/admin/rounds/']")).to_be_visible()
    session.a11y.check(scripted, "the opened menu on a phone")

    desktop = session.desktop()
    log_in(desktop, "operator")
    expect(desktop.locator("header details.menu > summary")).to_be_hidden()
    expect(desktop.locator("header nav a[href='/admin/rounds/']")).to_be_visible()
    session.screenshot(phone)


def test_a_long_hash_wraps_in_its_card_and_its_button_copies_it_whole(app, session):
    seed_demo(session.server.url)
    with app.app_context():
        campaign = Campaign.query.filter(Campaign.draws.any()).order_by(Campaign.id.desc()).first()
        commitment = campaign.current_draw.commitment
    operator = next(a for a in ACCOUNTS if a.role == Role.operator)
    page = session.phone()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, operator.username, operator.password)
    page.goto(f"/admin/rounds/{campaign.id}/draw")
    code = page.locator("#commitment")
    expect(code).to_have_text(commitment)
    assert code.bounding_box()["x"] + code.bounding_box()["width"] <= 390
    button = page.locator("#commitment + button.copy")
    expect(button).to_have_text(zh("Copy"))
    button.click()
    expect(button).to_have_text(zh("Copied"))
    assert page.evaluate("navigator.clipboard.readText()") == commitment

    without_script = session.phone(javascript=False)
    log_in(without_script, operator.username, operator.password)
    without_script.goto(f"/admin/rounds/{campaign.id}/draw")
    expect(without_script.locator("#commitment + button.copy")).to_be_hidden()
