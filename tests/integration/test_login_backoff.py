"""Issue 24, finding 4: nobody can keep a staff account locked. Wrong passwords at one account from many addresses
put it in a back-off that holds up unknown devices only; the owner's known device (a full login before) goes on.
"""
import hashlib
import time

import pyotp
from sqlalchemy import func, select

from app.accounts.devices import COOKIE
from app.accounts.models import KnownDevice, User
from app.audit.models import AuditEntry
from app.extensions import db
from tests.conftest import PASSWORD

HELD_UP = "该账号近期被多次输错密码，暂时只接受曾经登录过该账号的设备登录"
WRONG = "用户名或密码错误"


def log_in(app, username: str, password: str = PASSWORD, address: str = "10.50.0.1", client=None):
    client = client or app.test_client()
    client.environ_base["REMOTE_ADDR"] = address  # every request of this browser from now on
    return client, client.post_form("/login", {"username": username, "password": password})


def a_known_device(app, username: str):
    """The owner's browser: it logged in fully once (and logged out again, as at the end of a day)."""
    owner, response = log_in(app, username, address="10.50.0.1")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owner.post_form("/logout").status_code == 302
    return owner


def guess_from_many_addresses(app, username: str, count: int = 5):
    """The review's attack: wrong passwords, each from another address and another browser."""
    for n in range(count):
        _client, response = log_in(app, username, "Wrong-Guess-1", address=f"10.60.{n}.1")
        assert response.status_code == 200 and WRONG in response.get_data(as_text=True)


def failed_logins() -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "auth.login_failed"))


def test_the_owner_on_a_known_device_logs_in_after_five_wrong_passwords_from_five_addresses(app, make_user):
    make_user("designer", username="designer")
    owner = a_known_device(app, "designer")
    guess_from_many_addresses(app, "designer")
    _client, response = log_in(app, "designer", address="10.70.0.1", client=owner)  # a fresh address
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owner.get("/").status_code == 200


def test_an_unknown_device_is_told_to_wait_and_its_password_is_not_checked(app, make_user):
    make_user("designer", username="designer")
    guess_from_many_addresses(app, "designer")
    before = failed_logins()
    _client, right = log_in(app, "designer", address="10.70.0.1")
    _client, wrong = log_in(app, "designer", "Wrong-Guess-2", address="10.70.0.2")
    for response in (right, wrong):  # the same answer: it tells nobody whether the password was right
        page = response.get_data(as_text=True)
        assert response.status_code == 429 and HELD_UP in page and "请在 1 分钟后用本设备重试" in page
        assert WRONG not in page and int(response.headers["Retry-After"]) <= 60
    assert failed_logins() == before  # neither counts as a wrong password
    assert db.session.scalar(select(User.last_login_at).where(User.username == "designer")) is None


def test_an_unknown_username_backs_off_like_an_existing_one(app, make_user):
    """Otherwise the back-off would tell which usernames exist."""
    guess_from_many_addresses(app, "nobody-here")
    _client, response = log_in(app, "nobody-here", address="10.70.0.1")
    assert response.status_code == 429 and HELD_UP in response.get_data(as_text=True)


def test_one_client_is_still_stopped_by_the_account_and_client_cap(app, make_user):
    """A known device does not pass the per (account, client) cap: a thief on the owner's computer is stopped."""
    make_user("designer", username="designer")
    app.config.update(LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="3 per day")
    owner = a_known_device(app, "designer")
    statuses = [log_in(app, "designer", "Wrong-Guess-1", address="10.80.0.1", client=owner)[1].status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert log_in(app, "designer", address="10.80.0.1", client=owner)[1].status_code == 429
    # Another address of the same browser is another client.
    assert log_in(app, "designer", address="10.80.0.2", client=owner)[1].status_code == 302


def test_the_device_token_is_a_locked_down_cookie_kept_only_as_a_hash(app, make_user):
    user = make_user("designer", username="designer")
    client, response = log_in(app, "designer")
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    token = header.split(";")[0].split("=", 1)[1]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    assert "httponly" in attributes and attributes["samesite"] == "SameSite=Strict"
    assert attributes["path"] == "Path=/login" and attributes["max-age"] == f"Max-Age={90 * 24 * 3600}"
    [device] = db.session.scalars(select(KnownDevice).where(KnownDevice.user_id == user.id))
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in device.token_hash


def test_a_known_device_is_forgotten_when_the_password_changes(app, make_user):
    make_user("designer", username="designer")
    owner = a_known_device(app, "designer")
    _c, response = log_in(app, "designer", client=owner)
    assert response.status_code == 302
    new = "Tide-Lantern-47-Orchard"
    form = {"current": PASSWORD, "password": new, "confirm": new}
    assert owner.post_form("/account/password", form).headers["Location"] == "/"
    assert owner.post_form("/logout").status_code == 302
    guess_from_many_addresses(app, "designer")
    _c, response = log_in(app, "designer", new, address="10.70.0.1", client=owner)
    assert response.status_code == 429 and HELD_UP in response.get_data(as_text=True)


def test_a_known_device_is_forgotten_when_the_account_is_deactivated(app, make_user):
    from app.accounts import service as accounts

    user = make_user("designer", username="designer")
    owner = a_known_device(app, "designer")
    accounts.set_active(user, False, actor=None)
    accounts.set_active(user, True, actor=None)
    db.session.commit()
    guess_from_many_addresses(app, "designer")
    _c, response = log_in(app, "designer", address="10.70.0.1", client=owner)
    assert response.status_code == 429 and HELD_UP in response.get_data(as_text=True)


def test_with_a_second_factor_only_the_full_login_makes_a_device_known(app, make_user):
    from app.accounts import two_factor

    user = make_user("hr", username="khb")
    totp = pyotp.TOTP(two_factor.start_enrolment(user))
    two_factor.confirm_enrolment(user, PASSWORD, totp.now())
    db.session.commit()
    owner, password_step = log_in(app, "khb")
    assert password_step.headers["Location"] == "/login/code"
    assert not any(h.startswith(COOKIE + "=") for h in password_step.headers.getlist("Set-Cookie"))
    done = owner.post_form("/login/code", {"code": totp.at(time.time() + 30)})
    assert done.headers["Location"] == "/"
    assert any(h.startswith(COOKIE + "=") for h in done.headers.getlist("Set-Cookie"))
    assert owner.post_form("/logout").status_code == 302
    guess_from_many_addresses(app, "khb")
    # The known device goes on to the code page; an unknown one with the same password waits.
    assert log_in(app, "khb", address="10.70.0.1", client=owner)[1].headers["Location"] == "/login/code"
    assert log_in(app, "khb", address="10.70.0.2")[1].status_code == 429


def test_a_known_device_that_guesses_waits_like_an_unknown_one(app, make_user):
    """A stolen device cookie is worth as many guesses as anybody gets free, not more."""
    make_user("designer", username="designer")
    owner = a_known_device(app, "designer")
    guess_from_many_addresses(app, "designer")
    free = app.config["LOGIN_BACKOFF_FREE_FAILURES"]
    for n in range(free):
        _c, response = log_in(app, "designer", "Wrong-Guess-3", address=f"10.90.{n}.1", client=owner)
        assert response.status_code == 200 and WRONG in response.get_data(as_text=True)  # checked: it is known
    _c, response = log_in(app, "designer", address="10.90.9.1", client=owner)
    assert response.status_code == 429 and HELD_UP in response.get_data(as_text=True)
