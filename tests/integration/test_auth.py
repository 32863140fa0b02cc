"""Logging in and out, throttling, and safe redirects."""
import pytest

from app.accounts.models import User


def test_login_success_lands_on_home_with_name(client, make_user):
    make_user("operator", username="wang")
    response = client.post_form("/login", {"username": "wang", "password": "correct horse battery"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "wang" in page


def test_username_is_case_insensitive(client, make_user, app):
    make_user("hr", username="LiHua")
    response = client.post_form("/login", {"username": " lihua ", "password": "correct horse battery"})
    assert response.status_code == 302
    assert app.extensions["sqlalchemy"].session.get(User, 1).last_login_at is not None


@pytest.mark.parametrize("username,password", [("wang", "wrong password"), ("nobody", "correct horse battery")])
def test_login_failure_stays_on_page_with_the_same_message(client, make_user, username, password):
    make_user("operator", username="wang")
    response = client.post_form("/login", {"username": username, "password": password})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous


def test_inactive_account_cannot_log_in(client, make_user, app):
    user = make_user("operator", username="gone")
    user.active = False
    app.extensions["sqlalchemy"].session.commit()
    response = client.post_form("/login", {"username": "gone", "password": "correct horse battery"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("operator", username="wang")
    response = client.post("/login", data={"username": "wang", "password": "correct horse battery"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_is_throttled_per_client(client, make_user, app):
    make_user("operator", username="wang")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for i in range(limit):
        response = client.post_form("/login", {"username": f"guess{i}", "password": "x"})
        assert response.status_code == 200
    response = client.post_form("/login", {"username": "wang", "password": "correct horse battery"})
    assert response.status_code == 429
    assert "尝试次数过多" in response.get_data(as_text=True)


def test_login_backs_off_per_account_across_addresses(client, make_user, app):
    """Wrong passwords from many addresses hold up the account's logins from unknown devices (this client never
    logged in); tests/integration/test_login_backoff.py has the known devices that go on."""
    make_user("operator", username="wang")
    limit = app.config["LOGIN_BACKOFF_FREE_FAILURES"]
    for i in range(limit):
        response = client.post_form("/login", {"username": "wang", "password": "wrong"},
                                    environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        assert response.status_code == 200
    response = client.post_form("/login", {"username": "wang", "password": "correct horse battery"},
                                environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 429 and "该账号近期被多次输错密码" in response.get_data(as_text=True)


def test_login_follows_a_local_next(client, make_user):
    make_user("admin", username="boss")
    response = client.post_form("/login?next=/admin/departments/", {
        "username": "boss", "password": "correct horse battery", "next": "/admin/departments/"})
    assert response.headers["Location"] == "/admin/departments/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_ignores_a_foreign_next(client, make_user, target):
    make_user("admin", username="boss")
    response = client.post_form("/login", {"username": "boss", "password": "correct horse battery", "next": target})
    assert response.headers["Location"] == "/"


def test_logout_needs_a_post_with_csrf(client, make_user, login):
    login(make_user("hr"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(make_user):
    user = make_user("hr")
    assert user.password_hash.startswith("scrypt:")
    assert "correct horse battery" not in user.password_hash


def test_only_refused_credentials_count_against_the_account_back_off(client, make_user, app):
    """Six logins in a minute are a busy morning, not a guessing attack; six wrong passwords are."""
    make_user("operator", username="wang")
    limit = app.config["LOGIN_BACKOFF_FREE_FAILURES"]
    for _ in range(limit + 1):
        login = client.post_form("/login", {"username": "wang", "password": "correct horse battery"})
        assert login.status_code == 302
        assert client.post_form("/logout").status_code == 302
    guesser = app.test_client()
    statuses = [guesser.post_form("/login", {"username": "wang", "password": "Wrong-Guess-1"},
                                  environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"}).status_code
                for i in range(limit + 1)]
    assert statuses == [200] * limit + [429]
    owner = app.test_client()
    right = owner.post_form("/login", {"username": "wang", "password": "correct horse battery"},
                            environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert right.status_code == 429 and owner.get("/").status_code == 302  # held up: not logged in


def test_the_day_cap_stops_one_address_without_locking_the_owner_out(app, client, make_user):
    """Guesses at one account from one address stop for the day; the owner, elsewhere, still logs in."""
    make_user("hr", username="wang")
    app.config.update(LOGIN_RATE_LIMIT="100 per minute", LOGIN_BACKOFF_FREE_FAILURES=100,
                      LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="3 per day")
    statuses = [client.post_form("/login", {"username": "wang", "password": "Wrong-Guess-1"},
                                 environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.post_form("/login", {"username": "wang", "password": "correct horse battery"},
                            environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code == 429
    owner = app.test_client()
    assert owner.post_form("/login", {"username": "wang", "password": "correct horse battery"},
                           environ_base={"REMOTE_ADDR": "10.9.0.2"}).status_code == 302


def test_a_throttled_login_is_audited_for_an_existing_account_only(client, make_user, app):
    from sqlalchemy import select

    from app.audit.models import AuditEntry
    from app.extensions import db

    wang = make_user("operator", username="wang")
    limit = app.config["LOGIN_BACKOFF_FREE_FAILURES"]
    for name in ("wang", "nobody-here"):
        for i in range(limit + 3):
            client.post_form("/login", {"username": name, "password": "Wrong-Guess-1"},
                             environ_base={"REMOTE_ADDR": f"10.0.{len(name)}.{i + 1}"})
    throttled = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.login_throttled")).all()
    # Three refusals within the minute, one entry; none for the unknown name.
    assert [(e.target, e.actor_name, e.details["username"]) for e in throttled] == [
        (f"user:{wang.id}", "anonymous", "wang")]
    assert "nobody-here" not in " ".join(str(e.details) + e.target for e in db.session.scalars(select(AuditEntry)))


def test_what_was_typed_as_a_username_reaches_no_log(client, make_user, app, caplog):
    """Somebody may type their password into the username field: throttling must not log it."""
    import logging

    caplog.set_level(logging.DEBUG)
    app.config.update(LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="3 per day")
    for _ in range(4):
        client.post_form("/login", {"username": "My-Secret-Pass-42", "password": "x"})
    assert any("exceeded" in record.getMessage() for record in caplog.records)  # the limiter did log the refusal
    assert "my-secret-pass-42" not in caplog.text.lower()
