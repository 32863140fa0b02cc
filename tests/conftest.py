"""Fixtures shared by the whole suite.

One suite, two databases: SQLite by default; PostgreSQL when TEST_DATABASE_URL
is set (CI runs both). The schema is always built by the Alembic migrations,
never by ``create_all``, so the tests exercise the migrations too.

- SQLite: the migrated database is a template file copied afresh for each test.
- PostgreSQL: migrated once per session; each test ends by truncating the tables
  and restoring the rows the migrations seeded (e.g. the respondent categories).

CSRF protection stays on: ``client.csrf_token()`` reads the token from a page
as a browser would.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.config import TestConfig, database_url
from app.extensions import db, limiter
from tests.seeded_rows import remember_seeded_rows, restore_postgres_tables  # noqa: F401 (tests import it here)

POSTGRES_URL = database_url(os.environ["TEST_DATABASE_URL"]) if os.environ.get("TEST_DATABASE_URL") else None
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def on_postgres() -> bool:
    return POSTGRES_URL is not None


def reset_postgres_schema(url: str) -> None:
    """Drop everything in the test database so that the migrations start from nothing."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """A database URL whose schema is at the newest migration."""
    if on_postgres():
        url = POSTGRES_URL
        reset_postgres_schema(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite3'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        if on_postgres():
            remember_seeded_rows()
        db.engine.dispose()
    return url


@pytest.fixture
def database_url_for_test(migrated_database, tmp_path) -> str:
    """This test's own database: a fresh copy on SQLite, the shared one (truncated after) on PostgreSQL."""
    if on_postgres():
        return migrated_database
    source = Path(migrated_database.removeprefix("sqlite:///"))
    target = tmp_path / "test.sqlite3"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


class Client(FlaskClient):
    """The test client with a helper to read the CSRF token like a browser does.

    Each request runs in an application context of its own, as in production:
    otherwise Flask would reuse the test's context, and ``g`` (the logged-in
    user, the chosen language) and the database session would leak between
    requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        response = self.get("/", follow_redirects=True)
        match = CSRF_INPUT.search(response.get_data(as_text=True))
        assert match, "no CSRF token on the home or login page"
        return match.group(1)

    def post_form(self, path: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token, as the browser would after loading the page."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(path, data=data, **kwargs)


@pytest.fixture
def app(database_url_for_test):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url_for_test)
    app.test_client_class = Client
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        if on_postgres():
            restore_postgres_tables()
        limiter.reset()
        db.engine.dispose()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_department(app):
    """Create a department through the service (as the admin pages do)."""
    from app.departments import service as departments

    counter = iter(range(1, 10_000))

    def make(code: str | None = None, name: str | None = None, kind: str = "service", active: bool = True):
        n = next(counter)
        department = departments.create(code or f"D{n:03d}", name or f"测试部门{n}", kind, sort_order=n, active=active)
        db.session.commit()
        return department

    return make


PASSWORD = "correct horse battery"


@pytest.fixture
def make_user(app, make_department):
    """Create a staff account with a role; a liaison gets a department of its own unless given one.

    The account is made through the service, then given ``password`` directly: the suite's one password
    predates the password policy, whose own tests go through the service and the pages. It need not change
    its password unless asked to.
    """
    from app.accounts.service import create_user
    from app.platform.roles import Role

    def make(role: str = "admin", username: str | None = None, department=None, password: str = PASSWORD,
             must_change_password: bool = False):
        role = Role(role)
        if role == Role.liaison and department is None:
            department = make_department()
        user = create_user(username or f"{role.value}-user", "Q7#k9!Zp2$x", role, department=department,
                           must_change_password=must_change_password)
        user.set_password(password)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """Log the test client in as ``user``."""

    def do_login(user, password: str = PASSWORD):
        response = client.post_form("/login", {"username": user.username, "password": password})
        assert response.status_code == 302, "login failed"
        return response

    return do_login
