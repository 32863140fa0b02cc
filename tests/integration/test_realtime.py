"""Real-time ratings: posters, the rating page and its rules, abuse resistance, follow-up, the channel's numbers."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.calendar import add_workdays, local_today
from app.platform.columns import utcnow
from app.realtime import service as realtime
from app.realtime.models import FollowUpStatus, FollowUpTask, RealtimeRating, ServicePoint
from app.sms.models import SmsOutbox


@pytest.fixture
def make_point(app, make_department):
    counter = iter(range(1, 1000))

    def make(department=None, require_sms_code=False, items=""):
        n = next(counter)
        point = realtime.create_point(department or make_department(), code=f"W{n:02d}", name=f"{n}号窗口",
                                      kind="window", location="市民中心二楼", service_items=items,
                                      require_sms_code=require_sms_code)
        db.session.commit()
        return point

    return make


@pytest.fixture
def point(make_point):
    return make_point()


def rate(client, point, ip="10.0.0.1", **levels):
    data = {"overall": 5, "efficiency": 5, "competence": 4, "attitude": 5}
    data.update(levels)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post_form(f"/r/{point.slug}", data, environ_base={"REMOTE_ADDR": ip})


def ratings():
    return db.session.scalars(select(RealtimeRating)).all()


# --------------------------------------------------------------------------- posters

@pytest.mark.parametrize("role,expected", [("operator", 200), ("admin", 200), ("hr", 403), ("complaints", 403)])
def test_posters_are_for_operators(client, make_user, login, point, role, expected):
    login(make_user(role))
    assert client.get(f"/admin/realtime/points/{point.id}/poster").status_code == expected


def test_poster_shows_the_department_the_point_and_its_qr_code(client, make_user, login, point):
    login(make_user("operator"))
    html = client.get(f"/admin/realtime/points/{point.id}/poster").get_data(as_text=True)
    url = f"http://localhost/r/{point.slug}"
    assert point.department.name in html and point.name in html and url in html
    assert f"/admin/realtime/points/{point.id}/qr.svg" in html
    assert "<script" not in html and "style=" not in html
    svg = client.get(f"/admin/realtime/points/{point.id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert svg.data == realtime.qr_svg(url)  # encodes the public rating URL
    png = client.get(f"/admin/realtime/points/{point.id}/qr.png?download=1")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "attachment" in png.headers["Content-Disposition"]
    assert realtime.qr_code(url).designator  # a real QR symbol (version-level), not a micro code
    assert client.get(f"/admin/realtime/points/{point.id}/qr.gif").status_code == 404


def test_a_liaison_prints_only_its_own_departments_posters(client, make_user, login, make_point, make_department):
    own = make_department()
    liaison = make_user("liaison", department=own)
    login(liaison)
    assert client.get(f"/admin/realtime/points/{make_point(own).id}/poster").status_code == 200
    assert client.get(f"/admin/realtime/points/{make_point().id}/poster").status_code == 403


def test_admin_adds_a_service_point(client, make_user, login, make_department):
    department = make_department()
    login(make_user("admin"))
    response = client.post_form("/admin/realtime/points/new", {
        "department_id": department.id, "code": "zw-01", "name": "政务大厅1号窗口", "kind": "window",
        "service_items": "营业执照\n食品经营许可", "active": "y"})
    assert response.status_code == 302
    point = db.session.scalar(select(ServicePoint))
    assert point.code == "ZW-01" and point.item_list == ["营业执照", "食品经营许可"]
    assert len(point.slug) >= 12
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "realtime.point.create"))


# --------------------------------------------------------------------------- the rating page

def test_the_rating_page_is_public_phone_first_and_script_free(client, point):
    html = client.get(f"/r/{point.slug}").get_data(as_text=True)
    assert point.name in html and point.department.name in html
    assert "整体满意度" in html and "服务效率" in html and "服务水平" in html and "服务态度" in html
    assert "非常满意" in html and "非常不满意" in html
    assert "<script" not in html and "style=" not in html
    assert 'name="viewport"' in html


def test_an_unknown_or_inactive_point_is_404(client, point):
    assert client.get("/r/nope").status_code == 404
    point.active = False
    db.session.commit()
    assert client.get(f"/r/{point.slug}").status_code == 404


def test_a_good_rating_needs_no_comment(client, point):
    response = rate(client, point, efficiency=None, competence=None, attitude=None)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/r/{point.slug}/thanks")
    (rating,) = ratings()
    assert rating.overall == 5 and rating.efficiency is None and rating.score == 100.0
    assert rating.follow_up is None
    assert point.name in client.get(response.headers["Location"]).get_data(as_text=True)


def test_overall_satisfaction_is_required(client, point):
    response = rate(client, point, overall=None)
    assert response.status_code == 200 and ratings() == []


def test_a_dissatisfied_rating_needs_a_comment_and_opens_a_follow_up(client, point):
    refused = rate(client, point, overall=2)
    assert refused.status_code == 200 and ratings() == []
    assert "请说明" in refused.get_data(as_text=True)
    done = rate(client, point, overall=4, attitude=1, comment="窗口人员态度恶劣，推诿不办")
    assert done.status_code == 302
    (rating,) = ratings()
    assert rating.is_bad
    task = rating.follow_up
    assert task.status == FollowUpStatus.open
    assert task.due_on == add_workdays(local_today(), 5)
    assert task.department_id == point.department_id


def test_the_follow_up_deadline_is_configurable(app, client, point):
    app.config["REALTIME_FOLLOW_UP_WORKDAYS"] = 10
    rate(client, point, overall=1, comment="等了两个小时没人处理")
    assert ratings()[0].follow_up.due_on == add_workdays(local_today(), 10)


def test_service_item_must_be_one_of_the_points_items(client, make_point):
    point = make_point(items="营业执照\n食品经营许可")
    rate(client, point, service_item="营业执照")
    assert ratings()[0].service_item == "营业执照"


# --------------------------------------------------------------------------- abuse resistance

def test_one_rating_per_device_per_point_per_day(client, point, make_point):
    assert rate(client, point).status_code == 302
    again = rate(client, point)
    assert again.status_code == 200 and "今天已评价" in again.get_data(as_text=True)
    assert "今天已评价" in client.get(f"/r/{point.slug}").get_data(as_text=True)
    assert len(ratings()) == 1
    # Another point is fine for the same device.
    assert rate(client, make_point()).status_code == 302


def test_the_device_rule_survives_a_tampered_cookie_only_as_a_new_device(app, point):
    first = app.test_client()
    rate(first, point)
    cookie = first.get_cookie(realtime.DEVICE_COOKIE)
    assert cookie is not None and cookie.http_only
    second = app.test_client()
    second.set_cookie(realtime.DEVICE_COOKIE, cookie.value[:-3] + "abc")
    page = second.get(f"/r/{point.slug}").get_data(as_text=True)
    assert "今天已评价" not in page  # forged marks are ignored: the cookie is signed


def test_the_server_also_remembers_the_device(app, point):
    """Replaying an old cookie (from before the rating) does not allow a second rating."""
    browser = app.test_client()
    browser.get(f"/r/{point.slug}")
    device = realtime.Device("fixed-device", {})
    browser.set_cookie(realtime.DEVICE_COOKIE, device.dumps())
    assert rate(browser, point).status_code == 302
    browser.set_cookie(realtime.DEVICE_COOKIE, device.dumps())  # the cookie as it was before rating
    assert rate(browser, point).status_code == 200
    assert len(ratings()) == 1


def test_rate_limit_per_client(app, point, make_point):
    app.config["REALTIME_CLIENT_RATE_LIMIT"] = "3 per hour"
    statuses = [rate(app.test_client(), make_point()).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_rate_limit_per_service_point(app, point):
    app.config["REALTIME_POINT_RATE_LIMIT"] = "2 per minute"
    statuses = [rate(app.test_client(), point, ip=f"10.0.1.{i}").status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_bursts_from_one_client_are_flagged(app, point, make_point):
    app.config["REALTIME_BURST_CLIENT_COUNT"] = 3
    for _ in range(2):
        rate(app.test_client(), make_point())
    assert not any(r.flagged for r in ratings())
    rate(app.test_client(), make_point())
    assert [r.flag_reason for r in ratings()] == ["client_burst"] * 3
    rate(app.test_client(), point, ip="10.9.9.9")
    assert sum(r.flagged for r in ratings()) == 3  # another client is not part of the burst


def test_bursts_at_one_point_are_flagged(app, point):
    app.config["REALTIME_BURST_POINT_COUNT"] = 3
    for i in range(3):
        rate(app.test_client(), point, ip=f"10.0.2.{i}")
    assert {r.flag_reason for r in ratings()} == {"point_burst"}


def test_admins_review_flags_and_exclude_with_a_reason(app, client, make_user, login, point, make_point):
    app.config["REALTIME_BURST_CLIENT_COUNT"] = 2
    for _ in range(2):
        rate(app.test_client(), make_point(point.department), overall=5)
    login(make_user("admin"))
    listing = client.get("/admin/realtime/ratings?flagged=1").get_data(as_text=True)
    assert "同一来源大量评价" in listing
    first, second = ratings()
    refused = client.post_form(f"/admin/realtime/ratings/{first.id}/exclude", {"reason": ""})
    assert refused.status_code == 302
    db.session.expire_all()
    assert not db.session.get(RealtimeRating, first.id).excluded
    client.post_form(f"/admin/realtime/ratings/{first.id}/exclude", {"reason": "同一手机连续刷分"})
    client.post_form(f"/admin/realtime/ratings/{second.id}/keep")
    db.session.expire_all()
    first, second = db.session.get(RealtimeRating, first.id), db.session.get(RealtimeRating, second.id)
    assert first.excluded and first.excluded_reason == "同一手机连续刷分" and first.excluded_by_id is not None
    assert second.reviewed and not second.excluded
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "realtime.exclude"))
    assert entry.details["reason"] == "同一手机连续刷分"
    today = local_today()
    assert realtime.channel_scores(today, today)[point.department_id].count == 1
    assert realtime.pending_review_count() == 0


def test_flagged_ratings_count_only_once_reviewed(app, client, make_user, login, point, make_point):
    app.config["REALTIME_BURST_CLIENT_COUNT"] = 2
    for _ in range(2):
        rate(app.test_client(), make_point(point.department), overall=5)
    today = local_today()
    assert point.department_id not in realtime.channel_scores(today, today)  # both flagged, none reviewed
    login(make_user("admin"))
    for rating in ratings():
        client.post_form(f"/admin/realtime/ratings/{rating.id}/keep")
    db.session.expire_all()
    assert realtime.channel_scores(today, today)[point.department_id].count == 2


@pytest.mark.parametrize("role", ["operator", "hr", "liaison", "complaints", "auditor"])
def test_only_admins_review_ratings(client, make_user, login, role):
    login(make_user(role))
    assert client.get("/admin/realtime/ratings").status_code == 403


def test_sms_verification_when_the_point_requires_it(client, make_point):
    point = make_point(require_sms_code=True)
    page = client.get(f"/r/{point.slug}").get_data(as_text=True)
    assert "发送验证码" in page
    refused = rate(client, point, phone="13800138000", code="000000")
    assert refused.status_code == 200 and ratings() == []
    sent = client.post_form(f"/r/{point.slug}/code", {"phone": "13800138000"})
    assert sent.status_code == 302
    outbox = db.session.scalar(select(SmsOutbox).where(SmsOutbox.kind == "rating_code"))
    assert outbox.phone_masked == "138****8000"
    code = re.search(r"\d{6}", outbox.text).group(0)
    assert rate(client, point, phone="13800138000", code=code).status_code == 302
    assert len(ratings()) == 1  # the rating keeps nothing of the phone: test_realtime_daily_device.py
    # What remembers the phone today cannot be joined to the pool's (or the complaints') phone hashes.
    from app.platform.phones import current_vault
    from app.realtime.models import RealtimeSeenDevice

    pool_hash = current_vault().lookup_hash("+8613800138000")
    assert realtime.rater_phone_hash(point, "+8613800138000") != pool_hash
    assert pool_hash not in db.session.scalars(select(RealtimeSeenDevice.mark)).all()
    # The same phone cannot rate the point again today, even from another device.
    other = client.application.test_client()
    other.post_form(f"/r/{point.slug}/code", {"phone": "13800138000"})
    code = re.search(r"\d{6}", db.session.scalars(select(SmsOutbox).order_by(SmsOutbox.id.desc())).first().text).group(0)
    assert rate(other, point, ip="10.3.3.3", phone="13800138000", code=code).status_code == 200
    assert len(ratings()) == 1


# --------------------------------------------------------------------------- follow-up

def _bad_rating(app, point, comment="办事等候时间过长，无人解释"):
    rate(app.test_client(), point, ip="10.7.7.7", overall=1, comment=comment, callback_phone="13900139000")
    return db.session.scalars(select(FollowUpTask).order_by(FollowUpTask.id.desc())).first()


def test_the_department_records_its_follow_up(app, client, make_user, login, point):
    task = _bad_rating(app, point)
    liaison = make_user("liaison", department=point.department)
    login(liaison)
    listing = client.get("/admin/realtime/follow-ups").get_data(as_text=True)
    assert "办事等候时间过长" in listing
    page = client.get(f"/admin/realtime/follow-ups/{task.id}").get_data(as_text=True)
    assert "139****9000" in page and "13900139000" not in page  # masked until someone calls back
    revealed = client.post_form(f"/admin/realtime/follow-ups/{task.id}/callback").get_data(as_text=True)
    assert "13900139000" in revealed  # the rater asked to be called back
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "realtime.callback_reveal"))
    response = client.post_form(f"/admin/realtime/follow-ups/{task.id}", {
        "action_taken": "已电话联系办事人并当场办结，对窗口人员进行批评教育", "contacted": "yes", "rectified": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    task = db.session.get(FollowUpTask, task.id)
    assert task.status == FollowUpStatus.done and task.contacted and task.rectified and task.on_time
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "realtime.follow_up.complete"))
    today = local_today()
    stats = realtime.follow_up_stats(today, today)[point.department_id]
    assert (stats.total, stats.done, stats.rectification_rate, stats.on_time_rate) == (1, 1, 1.0, 1.0)


def test_another_departments_liaison_cannot_see_or_complete_the_follow_up(app, client, make_user, login, point):
    task = _bad_rating(app, point)
    login(make_user("liaison"))
    assert client.get(f"/admin/realtime/follow-ups/{task.id}").status_code == 403
    assert "办事等候时间过长" not in client.get("/admin/realtime/follow-ups").get_data(as_text=True)
    assert client.post_form(f"/admin/realtime/follow-ups/{task.id}", {
        "action_taken": "xxxxxxxxxx", "contacted": "yes", "rectified": "yes"}).status_code == 403
    assert client.post_form(f"/admin/realtime/follow-ups/{task.id}/callback").status_code == 403


def test_overdue_follow_ups_are_highlighted_and_counted(app, client, make_user, login, point):
    task = _bad_rating(app, point)
    task.due_on = local_today() - timedelta(days=1)
    db.session.commit()
    login(make_user("hr"))
    page = client.get("/admin/realtime/follow-ups?overdue=1").get_data(as_text=True)
    assert 'class="overdue"' in page and "已逾期" in page
    today = local_today()
    stats = realtime.follow_up_stats(today, today)[point.department_id]
    assert stats.overdue == 1 and stats.on_time_rate == 0.0
    overview = client.get("/admin/realtime/").get_data(as_text=True)
    assert point.department.name in overview


# --------------------------------------------------------------------------- the channel's numbers

def _rating(point, days_ago=0, **levels):
    rating = RealtimeRating(service_point=point, department_id=point.department_id, client_hash="x",
                            created_at=utcnow() - timedelta(days=days_ago), **levels)
    db.session.add(rating)
    return rating


def test_channel_scores_mean_count_and_shrinkage(app, make_point, make_department):
    a, b = make_point(), make_point()
    for _ in range(4):
        _rating(a, overall=5, efficiency=5)            # 100
    _rating(a, overall=1, attitude=3)                  # (20 + 60) / 2 = 40
    _rating(b, overall=3)                              # 60
    _rating(b, overall=3, days_ago=40)                 # outside the period
    excluded = _rating(b, overall=1)
    excluded.excluded = True
    db.session.commit()
    today = local_today()
    start = today - timedelta(days=7)
    scores = realtime.channel_scores(start, today, prior_weight=2)
    city = (4 * 100 + 40 + 60) / 6
    assert scores[a.department_id].count == 5 and scores[a.department_id].mean == pytest.approx(88.0)
    assert scores[b.department_id].count == 1 and scores[b.department_id].mean == pytest.approx(60.0)
    assert scores[b.department_id].shrunk_mean == pytest.approx((1 * 60 + 2 * city) / 3, abs=1e-3)
    assert scores[a.department_id].shrunk_mean == pytest.approx((5 * 88 + 2 * city) / 7, abs=1e-3)
    assert realtime.city_mean(start, today) == pytest.approx(city, abs=1e-3)
    unshrunk = realtime.channel_scores(start, today, prior_weight=0)
    assert unshrunk[b.department_id].shrunk_mean == pytest.approx(60.0)
    assert make_department().id not in scores


def test_channel_scores_default_prior_weight_comes_from_config(app, point):
    _rating(point, overall=5)
    db.session.commit()
    today = local_today()
    app.config["REALTIME_PRIOR_WEIGHT"] = 3
    only = realtime.channel_scores(today, today)[point.department_id]
    assert only.shrunk_mean == pytest.approx(100.0)  # alone, the department is the city mean
    with pytest.raises(ValueError):
        realtime.channel_scores(today, today, prior_weight=-1)


def test_the_channel_export_is_csv_with_bom(client, make_user, login, point):
    _rating(point, overall=4)
    db.session.commit()
    login(make_user("hr"))
    response = client.get("/admin/realtime/channel.csv")
    assert response.data.startswith("\ufeff".encode()) and "80.00".encode() in response.data


@pytest.mark.parametrize("path,allowed", [
    ("/admin/realtime/", {"admin", "operator", "hr", "auditor"}),
    ("/admin/realtime/points", {"admin", "operator", "hr", "auditor", "liaison"}),
    ("/admin/realtime/points/new", {"admin"}),
    ("/admin/realtime/follow-ups", {"admin", "hr", "auditor", "liaison"}),
    ("/admin/realtime/channel.csv", {"admin", "hr", "auditor"}),
])
@pytest.mark.parametrize("role", ["admin", "designer", "operator", "hr", "liaison", "complaints", "auditor"])
def test_realtime_staff_pages_by_role(client, make_user, login, path, allowed, role):
    login(make_user(role))
    assert client.get(path).status_code == (200 if role in allowed else 403)


def test_the_rating_pages_leave_the_cookies_alone_once_the_session_is_set(client, point):
    client.get(f"/r/{point.slug}")
    for path in (f"/r/{point.slug}", f"/r/{point.slug}/thanks"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.getlist("Set-Cookie") == [], path
