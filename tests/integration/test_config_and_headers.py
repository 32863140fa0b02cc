"""Configuration from the environment, production safety, and response headers."""
import re

import pytest
from flask import url_for

from app import create_app
from app.accounts.service import create_user
from app.config import DEV_SECRET_KEY, ProductionConfig, database_url
from app.extensions import db
from app.platform.access import rule_for
from app.platform.roles import Role
from tests.conftest import Client
from tests.integration.test_access_matrix import url_values, world  # noqa: F401  (the fixture world)


# Static files (hashed names, cached for a year) and the icon: the only responses a cache may keep.
CACHEABLE = {"static", "assets.static", "assets.favicon"}

def test_production_refuses_the_development_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=DEV_SECRET_KEY, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_refuses_a_short_secret_key():
    with pytest.raises(RuntimeError, match="32 characters"):
        create_app(ProductionConfig, SECRET_KEY="short", SQLALCHEMY_DATABASE_URI="sqlite://")


PRODUCTION = {"SECRET_KEY": "k" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_BACKEND": "aliyun",
              "PHONE_ENCRYPTION_KEY": "bm90IGEgcmVhbCBrZXksIDMyIGJ5dGVzIGxvbmchISE="}


@pytest.mark.parametrize("missing,message", [
    ({"SESSION_COOKIE_SECURE": False}, "HTTPS"),
    ({"PHONE_ENCRYPTION_KEY": None}, "PHONE_ENCRYPTION_KEY"),
    ({"PHONE_ENCRYPTION_KEY": "not-a-fernet-key"}, "PHONE_ENCRYPTION_KEY"),
    ({"SMS_BACKEND": "console"}, "console SMS backend"),
    ({"DEBUG": True}, "debug"),
])
def test_production_refuses_unsafe_settings(missing, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(ProductionConfig, **{**PRODUCTION, **missing})


def test_production_starts_with_safe_settings_and_sends_hsts():
    app = create_app(ProductionConfig, **PRODUCTION)
    response = app.test_client().get("/login", base_url="https://example.gov.cn")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("raw,expected", [
    (None, "sqlite:///"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_database_url_defaults_and_driver(raw, expected):
    url = database_url(raw)
    assert url.startswith(expected)
    if raw is None:
        assert url.endswith("instance/beikaobei.sqlite3")


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # development runs on plain http
    permissions = response.headers["Permissions-Policy"]
    assert all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation"))
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_database_error_in_the_log_carries_no_personal_data(app, make_department, caplog):
    """A failed statement's message names the statement, never its values (a phone number, a name, an answer)."""
    from sqlalchemy.exc import IntegrityError

    from app.departments.models import Department

    make_department(code="DUP", name="市税务局")
    db.session.add(Department(code="DUP", name="张三 13812345678"))
    with pytest.raises(IntegrityError) as failure:
        db.session.commit()
    db.session.rollback()
    app.logger.error("database error", exc_info=failure.value)
    assert "13812345678" not in str(failure.value) and "13812345678" not in caplog.text
    assert "hidden due to hide_parameters" in str(failure.value)
    # PostgreSQL quotes a failing row in the message itself ("DETAIL: Failing row contains …").
    db.session.add(Department(code=None, name="张三 13812345678"))
    with pytest.raises(IntegrityError) as failure:
        db.session.commit()
    db.session.rollback()
    caplog.clear()
    app.logger.error("database error", exc_info=failure.value)
    assert "IntegrityError" in caplog.text and "13812345678" not in caplog.text


def test_pages_have_no_inline_scripts_or_styles(client, make_user, login):
    login(make_user("admin"))
    for path in ["/", "/admin/departments/", "/admin/departments/new", "/admin/departments/import"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path


def test_static_assets_are_local(client):
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html
    assert client.get("/static/css/admin.css").status_code == 200


def test_health_check(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_oversized_upload_is_rejected(client, make_user, login, app):
    login(make_user("admin"))
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/admin/departments/import", data=big, content_type="application/octet-stream")
    assert response.status_code == 413


def test_behind_a_proxy_rate_limits_count_each_client(app):
    """With PROXY_FIX_X_FOR, the limiter keys on X-Forwarded-For, not on the proxy's address."""
    from app.config import TestConfig
    from tests.conftest import Client

    proxied = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], PROXY_FIX_X_FOR=1)
    proxied.test_client_class = Client
    limit = int(proxied.config["ACCESS_CODE_RATE_LIMIT"].split()[0])
    client = proxied.test_client()
    page = client.get("/s").get_data(as_text=True)
    token = __import__("re").search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)

    def attempt(ip):
        return client.post("/s", data={"csrf_token": token, "code": "AAAAAAAAAA"},
                           headers={"X-Forwarded-For": ip}).status_code

    assert [attempt("203.0.113.1") for _ in range(limit)] == [200] * limit
    assert attempt("203.0.113.1") == 429
    assert attempt("203.0.113.2") == 200  # another respondent behind the same proxy is not blocked


def test_rate_limits_are_shared_through_redis_when_configured(app):
    """With REDIS_URL set (as in CI), every worker counts attempts in the same Redis."""
    from app.extensions import limiter

    expected = "redis" if app.config["REDIS_URL"] else "memory"
    assert type(limiter.storage).__name__.lower().startswith(expected)


# --------------------------------------------------------------------------- headers on every page

EXPECTED_CSP = {"default-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"],
                "frame-ancestors": ["'none'"], "form-action": ["'self'"]}


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = [p.split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_the_content_security_policy_is_exactly_the_strict_one(client):
    csp = csp_directives(client.get("/login").headers["Content-Security-Policy"])
    assert csp == EXPECTED_CSP
    # No script-src of its own: scripts fall back to default-src 'self', so no inline script and no eval.
    assert all("unsafe" not in source for sources in csp.values() for source in sources)


def every_get(app, world, client):
    """(endpoint, response) for every GET route, with the world's real objects in the URLs."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(rule.endpoint, set(rule.arguments), world, real=True))
        yield rule.endpoint, client.get(url)


def test_every_staff_page_carries_the_headers_and_is_never_cached(app, world):
    client = app.test_client()
    admin = world.users["admin"]
    client.post_form("/login", {"username": admin.username, "password": "correct horse battery"})
    problems, blueprints = [], set()
    for endpoint, response in every_get(app, world, client):
        headers = response.headers
        if csp_directives(headers.get("Content-Security-Policy", "")) != EXPECTED_CSP:
            problems.append(f"{endpoint}: CSP {headers.get('Content-Security-Policy')}")
        if headers.get("X-Content-Type-Options") != "nosniff" or headers.get("X-Frame-Options") != "DENY":
            problems.append(f"{endpoint}: nosniff/frame options missing")
        if endpoint not in CACHEABLE and "no-store" not in headers.get("Cache-Control", ""):
            problems.append(f"{endpoint}: Cache-Control {headers.get('Cache-Control')}")
        if headers.get("Referrer-Policy") not in ("same-origin", "no-referrer"):
            problems.append(f"{endpoint}: Referrer-Policy {headers.get('Referrer-Policy')}")
        blueprints.add(endpoint.split(".")[0])
    assert problems == [], "\n".join(problems)
    assert {"assessment", "audit", "complaints", "departments", "pool", "questionnaires", "realtime", "rounds",
            "users", "main"} <= blueprints


def test_public_pages_never_send_their_address_to_another_site(app, world):
    """Respondent, rating and complaint pages: no Referer leaves the site; the token link sends none at all.

    Not no-referrer on pages with forms: over HTTPS Flask-WTF refuses a POST without a same-origin Referer
    (see test_complaint_forms_submit_over_https_with_the_pages_own_referer).
    """
    client = app.test_client()
    seen = set()
    for endpoint, response in every_get(app, world, client):
        if endpoint in CACHEABLE or not rule_for(endpoint).public:
            continue
        seen.add(endpoint)
        assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer"), endpoint
        assert "no-store" in response.headers["Cache-Control"], endpoint
        assert 'name="referrer"' not in response.get_data(as_text=True), endpoint
    assert {"survey.open_link", "survey.enter_code", "realtime.rate", "complaints.new", "complaints.track"} <= seen
    assert client.get("/s/" + "x" * 22).headers["Referrer-Policy"] == "no-referrer"  # the address holds a secret


def test_complaint_forms_submit_over_https_with_the_pages_own_referer(app):
    https = "https://localhost"
    client = app.test_client()
    page = client.get("/complaints/track", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "tracking_number": "TS20000101-0001", "code": "AAAAA-AAAAA"}
    assert client.post("/complaints/track", base_url=https, data=data).status_code == 400  # what no-referrer sends
    sent = client.post("/complaints/track", base_url=https, data=data,
                       headers={"Referer": f"{https}/complaints/track"})
    assert sent.status_code == 200


def test_production_cookies_are_secure_httponly_and_samesite(app):
    production = create_app(ProductionConfig, **{**PRODUCTION,
                                                 "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    production.test_client_class = Client
    with production.app_context():
        create_user("root", "Correct-Horse-Battery-9", Role.admin)
        db.session.commit()
    client = production.test_client()
    https = "https://pj.example.gov.cn"
    page = client.get("/login", base_url=https)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/login", base_url=https, data={"csrf_token": token, "username": "root",
                                                           "password": "Correct-Horse-Battery-9"},
                           headers={"Referer": f"{https}/login"})
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "no session cookie"
    attributes = {a.strip().split("=")[0].lower() for a in cookies[-1].split(";")[1:]}
    assert {"secure", "httponly", "samesite"} <= attributes and "samesite=lax" in cookies[-1].lower()
    # Logging in starts a fresh session with a new CSRF secret: a form from before the login is refused.
    after_login = client.get("/account/password", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', after_login).group(1)
    language = client.post("/language/en", base_url=https, data={"csrf_token": token, "next": "/"},
                           headers={"Referer": f"{https}/"})
    lang_cookie = [c for c in language.headers.getlist("Set-Cookie") if c.startswith("lang=")][0].lower()
    assert "secure" in lang_cookie and "samesite=lax" in lang_cookie
    assert production.config["REMEMBER_COOKIE_SECURE"] and production.config["REMEMBER_COOKIE_HTTPONLY"]


@pytest.mark.parametrize("setting", ["HTTPS", "REMEMBER_COOKIE_SECURE"])
def test_production_refuses_to_start_without_every_https_setting(setting):
    with pytest.raises(RuntimeError, match="HTTPS"):
        create_app(ProductionConfig, **{**PRODUCTION, setting: False})
