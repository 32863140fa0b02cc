"""Issue 24, finding 8: no long-lived device identifier on real-time ratings.

The one-rating-a-day rule holds without a lasting identifier (the device cookie lives until the end of the local
day; the server keeps a daily-keyed mark per device and point, apart from the rating, purged with the day), and
limits by client address do not rely on the cookie at all.

"The next day" is reached by moving the city's calendar: the app's timezone goes from UTC−12 to UTC+14, which puts
local_today() a calendar day (or two) later without touching any code, and the ratings made so far are dated a
day earlier.
"""
import re
from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import inspect, select, text

from app.extensions import db
from app.platform.calendar import day_bounds, local_today
from app.platform.columns import utcnow
from app.realtime import service as realtime
from app.realtime.models import RealtimeRating, RealtimeSeenDevice
from tests.integration.test_realtime import make_point, point, rate  # noqa: F401 (fixtures)

EARLY_ZONE, LATE_ZONE = "Etc/GMT+12", "Etc/GMT-14"  # UTC−12 and UTC+14: the second's today is a later day


def rating_rows() -> list[dict]:
    """The ratings as the database holds them, every column."""
    return [dict(row) for row in db.session.execute(text("SELECT * FROM realtime_ratings")).mappings()]


def device_cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(realtime.DEVICE_COOKIE + "=")]
    return header


def test_a_rating_row_holds_no_device_identifier(app, point):
    browser = app.test_client()
    assert rate(browser, point).status_code == 302
    columns = {column["name"] for column in inspect(db.engine).get_columns("realtime_ratings")}
    assert not [name for name in columns if "device" in name]
    (row,) = rating_rows()
    device_id = realtime.load_device(browser.get_cookie(realtime.DEVICE_COOKIE).value).device_id
    assert not [value for value in row.values() if isinstance(value, str) and device_id in value]


def test_the_device_cookie_expires_the_same_day(app, point):
    response = rate(app.test_client(), point)
    assert response.status_code == 302
    header = device_cookie_header(response)
    end_of_day = day_bounds(local_today())[1]
    max_age = int(re.search(r"Max-Age=(\d+)", header).group(1))
    assert 0 < max_age <= (end_of_day - utcnow()).total_seconds() + 1
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", header).group(1))
    assert expires <= end_of_day


def next_day(app) -> None:
    """Move the city's calendar a day on, and what happened "today" with it: the ratings made so far are a day
    older (the database's clock), and local_today() is a later date (the app's timezone)."""
    db.session.execute(text("UPDATE realtime_ratings SET created_at = :at"), {"at": utcnow() - timedelta(days=1)})
    db.session.commit()
    app.config["BABEL_DEFAULT_TIMEZONE"] = LATE_ZONE


def test_the_same_phone_rates_a_window_once_a_day_again_the_next_day_and_the_two_cannot_be_linked(app, point):
    browser = app.test_client()
    app.config["BABEL_DEFAULT_TIMEZONE"] = EARLY_ZONE
    assert rate(browser, point, ip="10.8.0.1").status_code == 302
    again = rate(browser, point, ip="10.8.0.1")
    assert again.status_code == 200 and "今天已评价" in again.get_data(as_text=True)
    assert len(rating_rows()) == 1
    next_day(app)  # the same phone, the same cookie jar, another address (a phone's address changes)
    assert "今天已评价" not in browser.get(f"/r/{point.slug}").get_data(as_text=True)
    yesterdays_mark = db.session.scalars(select(RealtimeSeenDevice.mark)).one()
    assert rate(browser, point, ip="10.8.0.2").status_code == 302
    assert rate(browser, point, ip="10.8.0.2").status_code == 200  # and once only on that day too
    first, second = rating_rows()
    # Nothing in the two rows says "the same phone": no hash they share, no device column at all.
    shared = {name for name, value in first.items()
              if isinstance(value, str) and value and value == second[name] and name.endswith("hash")}
    assert shared == set()
    assert {name for name in first if name.endswith("hash")} == {"client_hash"}  # the address's, nothing else
    assert not [name for name in first if "device" in name or "phone" in name]
    # The one-a-day rule's memory holds today's mark only: yesterday's went with the next rating, and the same
    # device's mark of today shares nothing with it.
    assert db.session.scalars(select(RealtimeSeenDevice.day)).all() == [local_today()]
    assert db.session.scalars(select(RealtimeSeenDevice.mark)).one() != yesterdays_mark


def test_six_ratings_in_a_minute_from_one_client_at_fresh_windows_are_refused(app, make_point):
    statuses, pages = [], []
    for _ in range(6):  # a fresh browser (no cookie) at a window it has not rated: only the address is the same
        response = rate(app.test_client(), make_point(), ip="10.8.2.1")
        statuses.append(response.status_code)
        pages.append(response.get_data(as_text=True))
    assert statuses == [302] * 5 + [429]
    assert "一分钟内来自您所在网络的评价过多" in pages[-1]
    assert len(rating_rows()) == 5
    # Another address is not held up.
    assert rate(app.test_client(), make_point(), ip="10.8.2.2").status_code == 302


def test_an_ipv6_phone_cannot_dodge_the_minute_limit_by_hopping_addresses_in_its_64(app, make_point):
    statuses = [rate(app.test_client(), make_point(), ip=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 7)]
    assert statuses == [302] * 5 + [429]
    assert rate(app.test_client(), make_point(), ip="2001:db8:1:3::1").status_code == 302  # another /64 may


def test_one_client_rates_one_window_only_so_often_a_day_whatever_its_cookies(app, point):
    app.config["REALTIME_CLIENT_POINT_DAILY_MAX"] = 3
    app.config["REALTIME_CLIENT_PER_MINUTE_MAX"] = 100  # this test is about the daily limit alone
    statuses = [rate(app.test_client(), point, ip="10.8.3.1").status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    refused = rate(app.test_client(), point, ip="10.8.3.1")
    assert "今天来自您所在网络的对本服务点的评价过多" in refused.get_data(as_text=True)
    assert len(rating_rows()) == 3
    assert rate(app.test_client(), point, ip="10.8.3.2").status_code == 302  # another address may


def test_the_retention_job_deletes_the_marks_of_past_days(app, point):
    from app.maintenance import retention

    app.config["BABEL_DEFAULT_TIMEZONE"] = EARLY_ZONE
    rate(app.test_client(), point)
    app.config["BABEL_DEFAULT_TIMEZONE"] = LATE_ZONE
    assert retention.purge(dry_run=True).seen_devices == 1
    assert retention.purge().seen_devices == 1
    db.session.commit()
    assert db.session.scalars(select(RealtimeSeenDevice)).all() == []


def test_a_verified_phone_is_not_kept_with_its_rating_nor_beside_it(app, make_point):
    from app.sms.models import SmsOutbox

    point = make_point(require_sms_code=True)
    browser = app.test_client()

    def code_sent() -> str:
        browser.post_form(f"/r/{point.slug}/code", {"phone": "13800138000"})
        outbox = db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc())).first()
        return re.search(r"\d{6}", outbox.text).group(0)

    assert rate(browser, point, phone="13800138000", code=code_sent()).status_code == 302
    (row,) = rating_rows()
    assert not [name for name, value in row.items() if "phone" in name and value]
    # The used code goes too: its phone hash and its time would tie the rating to the phone's others.
    assert db.session.execute(text("SELECT count(*) FROM realtime_sms_codes")).scalar_one() == 0
    # The phone still rates this point once a day, even from another browser.
    other = app.test_client()
    other.post_form(f"/r/{point.slug}/code", {"phone": "13800138000"})
    code = re.search(r"\d{6}", db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc())).first().text)
    assert rate(other, point, ip="10.8.4.4", phone="13800138000", code=code.group(0)).status_code == 200
    assert len(rating_rows()) == 1
