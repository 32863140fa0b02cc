"""The enterprise's personal page of a pushed item (/p/<token>): its own item and reasons only, expiring, never in a
log, with the opt-out that later pushes respect."""
from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta

from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.platform.columns import utcnow
from app.policy import matching, push
from app.policy.models import DeliveryMode, PolicyNotice
from app.sms.models import SmsOutbox
from tests.integration.test_policy_match import TODAY, world  # noqa: F401  (a fixture)

LINK = re.compile(r"/p/([A-Za-z0-9_-]{32})")


def sent_links(world, criteria=None) -> dict[str, str]:
    """Push the item; the personal path of each enterprise, by its masked number."""
    run = matching.run(world.version, today=TODAY)
    db.session.commit()
    push.send(run, criteria or push.Criteria(ask_missing=True))
    return {m.phone_masked: LINK.search(m.text).group(0) for m in db.session.scalars(select(SmsOutbox))}


def test_the_page_shows_what_the_enterprise_gets_why_what_to_bring_and_where(client, world):
    links = sent_links(world)
    response = client.get(links["138****0001"])  # 甲科技: eligible, revenue 2500 in 高新区
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "高新技术企业研发奖补" in page and "甲科技有限公司" in page and "符合" in page
    # What it gets: 1% of revenue, at most 50 万元, with the estimate from its own revenue.
    assert "按贵企业上年营业收入的1%计算，最高50 万元" in page
    assert "约25 万元" in page
    # Why: the trace in plain words, with the values read and the articles.
    assert "上年营业收入2000万元以上" in page and "第三条第一款" in page and "2,500 万元" in page
    assert "有效期内的高新技术企业" in page
    # What to bring, how it is delivered, the promised time, the windows of its district and of the city.
    assert "营业执照复印件" in page and "上年度财务审计报告" in page
    assert "申报审核" in page and "开始申请" in page and "15个工作日" in page
    assert "高新区政务服务中心惠企专窗" in page and "市政务服务中心惠企政策兑现专窗" in page
    assert "城关区政务服务中心惠企专窗" not in page
    assert "0571-88881111" in page and "科技大道8号" in page
    assert "<script" not in page and len(response.data) < 30_000
    assert 'name="viewport"' in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    notice = db.session.scalars(select(PolicyNotice).where(
        PolicyNotice.profile_id == world.profiles["eligible"].id)).one()
    assert notice.opened_at is not None


def test_a_missing_data_notice_names_the_fields_and_how_to_update(client, world):
    links = sent_links(world)
    page = client.get(links["138****0004"]).get_data(as_text=True)  # 丁服务: revenue out of date
    assert "缺少信息" in page and "需补充或更新的信息" in page and "上年营业收入" in page
    assert "已过期" in page  # the trace says why the rule is undecided
    assert "联系下方的惠企政策兑现专窗" in page


def test_a_page_reveals_nothing_of_another_enterprise(client, world):
    links = sent_links(world)
    own, other = client.get(links["138****0001"]).get_data(as_text=True), \
        client.get(links["139****0001"]).get_data(as_text=True)
    assert "甲科技有限公司" in own and "己电子有限公司" not in own and "4,000" not in own
    assert "己电子有限公司" in other and "甲科技有限公司" not in other and "2,500" not in other
    # The address holds the token only: no id, no code, no name.
    for path in links.values():
        token = path.removeprefix("/p/")
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    for profile in world.profiles.values():
        assert all(profile.uscc not in path for path in links.values())


def test_an_unknown_or_expired_link_is_refused(client, world):
    links = sent_links(world)
    response = client.get("/p/" + "x" * 32)
    assert response.status_code == 404 and "链接无效" in response.get_data(as_text=True)
    notice = db.session.scalars(select(PolicyNotice)).first()
    notice.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    expired = [path for path in links.values() if push.find(path.removeprefix("/p/")).id == notice.id][0]
    response = client.get(expired)
    page = response.get_data(as_text=True)
    assert response.status_code == 410 and "链接已过期" in page
    assert "高新技术企业研发奖补" not in page
    assert db.session.get(PolicyNotice, notice.id).opened_at is None


def test_links_expire_after_the_configured_days(app, world):
    app.config["POLICY_LINK_DAYS"] = 7
    sent_links(world)
    notice = db.session.scalars(select(PolicyNotice)).first()
    assert notice.expires_at - notice.sent_at == timedelta(days=7)


def test_the_enterprise_opts_out_and_later_pushes_skip_it(client, world, make_department):
    links = sent_links(world, push.Criteria())
    path = links["138****0001"]
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(path + "/opt-out", data={}).status_code == 400  # no CSRF token
    response = client.post(path + "/opt-out", data={"csrf_token": token}, follow_redirects=True)
    assert "贵企业将不再接收政策推送" in response.get_data(as_text=True)
    db.session.expire_all()
    assert world.profiles["eligible"].push_opted_out_at is not None
    # A new version is pushed: the enterprise that opted out is skipped.
    from tests.integration.test_policy_match import add_version
    version = add_version(world.item, world.version.department, "高新技术企业研发奖补（修订）",
                          mode=DeliveryMode.automatic)
    db.session.commit()
    run = matching.run(version, today=TODAY)
    db.session.commit()
    sent = push.send(run, push.Criteria())
    assert sent.counts["sent"] == 1 and sent.counts["opted_out"] == 2


def test_the_link_never_reaches_the_server_log(app, world, caplog):
    """A real request through Werkzeug's server: its request log shows /p/***, not the token."""
    links = sent_links(world)
    path = links["138****0001"]
    token = path.removeprefix("/p/")
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for url in (path, path + "/opt-out"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{url}", timeout=10).read()
                except urllib.error.HTTPError:
                    pass  # GET on the opt-out is not allowed
    finally:
        server.shutdown()
        thread.join(10)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert token not in logged
    assert "GET /p/*** HTTP/1.1" in logged and "GET /p/***/opt-out HTTP/1.1" in logged


def test_opening_links_is_rate_limited(app, client, world):
    app.config["POLICY_LINK_RATE_LIMIT"] = "3 per minute"
    statuses = [client.get("/p/" + "y" * 32).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
