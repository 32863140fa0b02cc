"""Configuration from the environment, production safety, and response headers."""
import pytest

from app import create_app
from app.config import DEV_SECRET_KEY, ProductionConfig, database_url


def test_production_refuses_the_development_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig, SECRET_KEY=DEV_SECRET_KEY, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_refuses_a_short_secret_key():
    with pytest.raises(RuntimeError, match="32 characters"):
        create_app(ProductionConfig, SECRET_KEY="short", SQLALCHEMY_DATABASE_URI="sqlite://")


PRODUCTION = {"SECRET_KEY": "k" * 48, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SMS_BACKEND": "aliyun",
              "PHONE_ENCRYPTION_KEY": "VGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgMzIgYnl0ZXM="}


@pytest.mark.parametrize("missing,message", [
    ({"SESSION_COOKIE_SECURE": False}, "HTTPS"),
    ({"PHONE_ENCRYPTION_KEY": None}, "PHONE_ENCRYPTION_KEY"),
    ({"SMS_BACKEND": "console"}, "console SMS backend"),
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
