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


def test_production_refuses_to_run_without_secure_cookies():
    with pytest.raises(RuntimeError, match="HTTPS"):
        create_app(ProductionConfig, SECRET_KEY="x" * 40, SESSION_COOKIE_SECURE=False, SQLALCHEMY_DATABASE_URI="sqlite://")


def test_production_starts_with_a_real_key_and_sends_hsts():
    app = create_app(ProductionConfig, SECRET_KEY="k" * 48, SQLALCHEMY_DATABASE_URI="sqlite://")
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


def test_rate_limits_are_shared_through_redis_when_configured(app):
    """With REDIS_URL set (as in CI), every worker counts attempts in the same Redis."""
    from app.extensions import limiter

    expected = "redis" if app.config["REDIS_URL"] else "memory"
    assert type(limiter.storage).__name__.lower().startswith(expected)
