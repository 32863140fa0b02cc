"""Regenerate the README's screenshots (docs/images/*.png) from a running demo.

    make run                                   # or: flask db upgrade && flask demo && flask run
    .venv/bin/python tools/screenshots.py --base-url http://127.0.0.1:5000

Needs Playwright for Python and a Chromium (`--chromium`, default /usr/bin/chromium; the script never
downloads a browser). It logs in with the demo accounts `flask demo` prints, opens one respondent link
of the open round (which marks that invitation as opened, as any visit does) and looks up a demo
complaint with the demo query code. Nothing else in the demo changes.

The interface is Chinese: on a machine without a CJK font (`fc-list :lang=zh` prints nothing) pass
`--font-dir DIR` with a font such as Noto Sans CJK SC in DIR; the browser then finds it through a
fontconfig file of its own, and nothing is installed.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# The demo accounts' passwords, as `flask demo` prints them (app/demo/__init__.py, ACCOUNTS).
PASSWORDS = {"admin": "Guanli-2026-demo", "operator": "Yunying-2026-demo", "hr": "Kaohe-2026-demo",
             "complaints": "Tousu-2026-demo"}
QUERY_CODE = "DEMO-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def login(browser: Browser, base: str, user: str, viewport=DESKTOP) -> Page:
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORDS[user])
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def shot(page: Page, out: Path, name: str, *, full_page: bool = False, selector: str | None = None,
         max_height: int | None = None) -> None:
    path = out / f"{name}.png"
    if selector and max_height:  # the top of an element that may be long
        box = page.locator(selector).first.bounding_box()
        page.screenshot(path=str(path), full_page=True, animations="disabled",
                        clip={"x": box["x"], "y": box["y"], "width": box["width"],
                              "height": min(box["height"], max_height)})
    elif selector:
        page.locator(selector).first.screenshot(path=str(path), animations="disabled")
    else:
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")


def open_round(page: Page, base: str) -> int:
    """The id of a round that is open (its page offers reminders): the demo's round of this month."""
    page.goto(f"{base}/admin/rounds/")
    for round_id in sorted({int(m) for m in re.findall(r'href="/admin/rounds/(\d+)"', page.content())}):
        page.goto(f"{base}/admin/rounds/{round_id}")
        if f"/admin/rounds/{round_id}/remind" in page.content():
            return round_id
    sys.exit("no open round: run `flask demo` first")


def fontconfig_env(font_dir: Path | None) -> dict[str, str] | None:
    """An environment whose fontconfig sees the system's fonts and those in ``font_dir``."""
    if font_dir is None:
        return None
    conf = Path(tempfile.mkdtemp()) / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{font_dir.resolve()}</dir>
  <cachedir>{conf.parent / "cache"}</cachedir>
</fontconfig>
""", encoding="utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--font-dir", type=Path, help="a folder with a CJK font, when the system has none")
    args = parser.parse_args()
    base, out = args.base_url.rstrip("/"), args.out
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS,
                                    env=fontconfig_env(args.font_dir))

        # The staff home of the administrator (every tile).
        admin = login(browser, base, "admin")
        shot(admin, out, "staff-home")

        # The open round: progress by stratum and the operator's actions.
        operator = login(browser, base, "operator")
        round_id = open_round(operator, base)
        operator.goto(f"{base}/admin/rounds/{round_id}")
        shot(operator, out, "round-progress")

        # A respondent on a phone: the first link in the outbox that has not been used yet.
        operator.goto(f"{base}/admin/rounds/{round_id}/outbox")
        links = re.findall(r"https?://[^\s<\"]+/s/[A-Za-z0-9_-]{22}", operator.content())
        phone = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True,
                                    locale="zh-CN").new_page()
        for link in links:
            phone.goto(base + "/s/" + link.rsplit("/s/", 1)[1])
            if phone.url.endswith("/s/survey"):
                break
        else:
            sys.exit("no unused respondent link in the outbox")
        phone.click("a.btn")                       # 开始
        phone.wait_for_url(re.compile(r"/s/survey/\d+$"))
        if phone.locator("input[name=departments]").count() == 0:
            phone.click("button[value=next]")       # past the introduction page
        boxes = phone.locator("input[name=departments]")
        for i in (0, 19):
            boxes.nth(i).check()
        phone.evaluate("window.scrollTo(0, 0)")
        shot(phone, out, "survey-picker-phone")
        phone.click("button[value=next]")
        phone.locator("input[type=radio]").first.wait_for()
        phone.evaluate("window.scrollTo(0, 0)")
        shot(phone, out, "survey-phone")

        # The assessment office: the ranking with intervals, and the trend over the published rounds.
        hr = login(browser, base, "hr")
        hr.goto(f"{base}/admin/assessment/")
        ids = [int(m) for m in re.findall(r'href="/admin/assessment/(\d+)"', hr.content())]
        hr.goto(f"{base}/admin/assessment/{max(ids)}")
        hr.locator("#score-chart canvas, #score-chart svg").first.wait_for()
        hr.locator("#trend-chart canvas, #trend-chart svg").first.wait_for()
        hr.wait_for_timeout(800)                    # let the charts finish their first paint
        shot(hr, out, "assessment", selector="section:has(#score-chart)", max_height=900)
        shot(hr, out, "assessment-trend", selector="section:has(#trend-chart)")

        # A complainant tracks a demo complaint with its number and query code.
        operator.goto(f"{base}/admin/realtime/points")
        poster_ids = re.findall(r'href="/admin/realtime/points/(\d+)/poster"', operator.content())
        complaints = login(browser, base, "complaints")
        complaints.goto(f"{base}/admin/complaints/?status=closed")
        numbers = re.findall(r"TS\d{8}-\d{4}", complaints.content())
        tracker = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                      locale="zh-CN").new_page()
        tracker.goto(f"{base}/complaints/track")
        tracker.fill("input[name=tracking_number]", numbers[-1])
        tracker.fill("input[name=code]", QUERY_CODE)
        tracker.click("main form button[type=submit]")
        tracker.wait_for_load_state()
        shot(tracker, out, "complaint-tracking", full_page=True)

        # The complaints centre's list, every state.
        complaints.goto(f"{base}/admin/complaints/")
        shot(complaints, out, "complaints")

        # A service point's A4 poster with its QR code.
        poster = login(browser, base, "operator", viewport={"width": 820, "height": 1160})
        poster.goto(f"{base}/admin/realtime/points/{poster_ids[0]}/poster")
        shot(poster, out, "qr-poster")
        browser.close()


if __name__ == "__main__":
    main()
