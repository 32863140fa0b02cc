"""A member of the public rates a service window from its QR code, files a complaint, and tracks it."""
from __future__ import annotations

import re

from flask_babel import force_locale
from sqlalchemy import select

from app.casework import labels as case_labels
from app.complaints import labels
from app.complaints.models import Complaint
from app.extensions import db
from app.realtime import service as realtime
from app.realtime.models import FollowUpTask, RealtimeRating
from tests.e2e.support import expect, log_in, zh

REASON = "窗口工作人员态度生硬，材料要求前后说法不一。"
STORY = "2026年11月20日上午在市民中心一楼办理企业开办，窗口要求补交的材料与网上公布的清单不一致，来回跑了三趟。"


def poster_link(session, point_code: str) -> str:
    """The address the poster's QR code carries, as the operator prints it."""
    page = session.desktop()
    log_in(page, "operator")
    page.locator("header nav a[href='/admin/realtime/']").click()
    page.locator("nav.subnav a[href='/admin/realtime/points']").click()
    page.locator("main table tbody tr").filter(has_text=point_code).locator("a[href$='/poster']").click()
    url = page.locator(".poster-url code").inner_text().strip()
    # The QR code on the poster encodes exactly this address.
    qr = page.request.get(page.locator("img.poster-qr").get_attribute("src"))
    assert qr.ok and qr.body() == realtime.qr_svg(url)
    page.context.close()
    return url


def test_the_public_rates_a_window_from_its_qr_code_and_files_and_tracks_a_complaint(
        session, live_server, make_user, make_department):
    department = make_department("XZSP", "市行政审批服务局")
    point = realtime.create_point(department, code="XZSP-01", name="政务服务大厅 1 号综合窗口", kind="window",
                                  location="市民中心一楼", service_items="企业开办\n营业执照变更")
    db.session.commit()
    make_user("operator", username="operator")
    url = poster_link(session, "XZSP-01")
    assert re.fullmatch(re.escape(live_server.url) + r"/r/[A-Za-z0-9_-]+", url)
    a11y = session.a11y

    # ---- the real-time rating: a dissatisfied one needs its reason
    page = session.phone(javascript=True)
    page.goto(url)
    expect(page.locator("h1")).to_have_text(zh("How were you served?"))
    expect(page.locator(".place strong")).to_have_text(department.name)
    a11y.check(page, "real-time: rating form")
    page.locator("input[name=overall][value='2']").check()
    page.locator("input[name=attitude][value='1']").check()
    page.select_option("#service_item", "企业开办")
    page.locator("main form:not([action]) button[type=submit]").click()
    expect(page.locator("p.err.summary[role=alert]")).to_have_text(zh(
        "Please tell us what went wrong (at least 5 characters): the department must follow "
        "up every dissatisfied rating."))
    expect(page.locator("input[name=overall][value='2']")).to_be_checked()
    a11y.check(page, "real-time: rating refused without a reason")
    page.fill("#comment", REASON)
    page.locator("main form:not([action]) button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(zh("Thank you"))
    a11y.check(page, "real-time: thanks")
    page.goto(url)
    expect(page.locator("h1")).to_have_text(zh("Already rated today"))
    a11y.check(page, "real-time: already rated today")

    # ---- the complaint, from the link on that page
    page.locator("main a.btn[href='/complaints/']").click()
    expect(page.locator("h1")).to_have_text(zh("Business environment complaints centre"))
    a11y.check(page, "complaints: the centre")
    page.locator("main a.btn[href='/complaints/new']").click()
    a11y.check(page, "complaints: the form")
    page.locator("main form button[type=submit]").click()  # nothing filled in
    expect(page.locator("p.err.summary[role=alert]")).to_be_visible()
    # Each refused field says so to a screen reader, and which message is about it.
    expect(page.locator("#subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#subject")).to_have_attribute("aria-describedby", "subject-err")
    expect(page.locator("#description")).to_have_attribute("aria-describedby", "description-help description-err")
    expect(page.locator("fieldset:has(input[name=departments])")).to_have_attribute(
        "aria-describedby", "departments-err")
    a11y.check(page, "complaints: the form with errors")
    page.locator("input[name=category][value=enforcement]").check()
    page.locator(f"input[name=departments][value='{department.id}']").check()
    page.fill("#subject", "企业开办材料要求前后不一")
    page.fill("#description", STORY)
    page.fill("#district", "城关区")
    page.fill("#occurred_on", "2026-11-20")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(zh("Complaint received"))
    number, code = page.locator("dd.big code").all_inner_texts()
    a11y.check(page, "complaints: received (tracking number and query code)")

    page.locator("main a.btn[href='/complaints/track']").click()
    a11y.check(page, "complaints: tracking form")
    page.fill("#tracking_number", number)
    page.fill("#code", "WRONG-CODE")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#code-err")).to_have_text(zh("No complaint matches this tracking number and query code."))
    a11y.check(page, "complaints: tracking refused")
    page.fill("#code", code)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(zh("Complaint %(number)s", number=number))
    with force_locale("zh"):
        status, kind = case_labels.status_label("submitted"), labels.category_label("enforcement")
    review = page.locator("dl.review dd")
    expect(review.nth(0)).to_have_text(status)
    expect(review.nth(1)).to_have_text(kind)
    expect(review.nth(2)).to_have_text("企业开办材料要求前后不一")
    expect(page.locator("ol.timeline li")).to_have_count(1)
    a11y.check(page, "complaints: progress")
    session.screenshot(page)

    db.session.expire_all()
    (rating,) = db.session.scalars(select(RealtimeRating)).all()
    assert (rating.overall, rating.attitude, rating.comment, rating.service_item) == (2, 1, REASON, "企业开办")
    assert rating.service_point_id == point.id
    assert db.session.scalar(select(FollowUpTask).where(FollowUpTask.rating_id == rating.id)) is not None
    complaint = db.session.scalar(select(Complaint).where(Complaint.tracking_number == number))
    assert complaint.anonymous and complaint.description == STORY
    assert [d.id for d in complaint.departments] == [department.id]
