"""The second factor of staff accounts (TOTP): enrolment with a real authenticator code, the login's code step,
replays and wrong codes refused and audited, recovery codes, roles that must enrol, resets by an
administrator and from the shell, the enrolment QR code, the 5-minute pending login, the secret encrypted."""
import re
import time

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.accounts.models import RecoveryCode, User
from app.accounts.sessions import PENDING
from app.audit.models import AuditEntry
from app.config import STAFF_ROLES, ProductionConfig, role_list
from app.extensions import db
from tests.conftest import PASSWORD

SECRET_ON_PAGE = re.compile(r'id="two-factor-secret">([A-Z2-7 ]+)</code>')
RECOVERY_CODE_ON_PAGE = re.compile(r"<li><code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code></li>")
WRONG_CODE = "The code is wrong or has expired"


def browser(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    return client


def logged_in(app, user):
    client = browser(app)
    response = client.post_form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/", "login failed"
    return client


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def shown_secret(client) -> str:
    """Start the set-up and read the key the page shows for typing by hand."""
    assert client.post_form("/account/two-factor/start").headers["Location"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    match = SECRET_ON_PAGE.search(page)
    assert match, "no key on the set-up page"
    grouped = match.group(1)
    assert all(len(group) == 4 for group in grouped.split()[:-1])  # groups of four for typing
    return grouped.replace(" ", "")


def enrol(client, password: str = PASSWORD) -> tuple[pyotp.TOTP, list[str]]:
    """Set the second factor up as its owner would: scan (here: read) the key, type the password and the app's
    code."""
    totp = pyotp.TOTP(shown_secret(client))
    response = client.post_form("/account/two-factor/confirm", {"password": password, "code": totp.now()})
    assert response.status_code == 200
    codes = RECOVERY_CODE_ON_PAGE.findall(response.get_data(as_text=True))
    assert len(codes) == 8
    return totp, codes


def a_wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are none of the codes accepted around now."""
    accepted = {totp.at(time.time() + 30 * k) for k in range(-2, 4)}
    return next(code for code in ("123456", "654321", "111111", "222222", "333333", "444444", "555555")
                if code not in accepted)


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (accepted one step early): the current one was used to enrol."""
    return totp.at(time.time() + 30)


def move_pending_back(client, seconds: int) -> None:
    """As if the password had been given ``seconds`` earlier."""
    with client.session_transaction() as session:
        session[PENDING] = {**session[PENDING], "at": session[PENDING]["at"] - seconds}


def password_step(app, user):
    """A browser that gave the right password of ``user``, now asked for the code."""
    client = browser(app)
    response = client.post_form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    return client


# --------------------------------------------------------------------------- enrolment and login

def test_enrolment_with_the_apps_code_turns_it_on_and_shows_the_recovery_codes_once(app, make_user):
    user = make_user("operator", username="wang")
    client = logged_in(app, user)
    secret = shown_secret(client)
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data
    wrong = client.post_form("/account/two-factor/confirm",
                             {"password": PASSWORD, "code": a_wrong_code(pyotp.TOTP(secret))})
    assert WRONG_CODE in wrong.get_data(as_text=True) and not fresh(user).two_factor_enabled
    done = client.post_form("/account/two-factor/confirm", {"password": PASSWORD, "code": pyotp.TOTP(secret).now()})
    assert "Two-factor authentication is on." in done.get_data(as_text=True)
    assert len(RECOVERY_CODE_ON_PAGE.findall(done.get_data(as_text=True))) == 8
    assert fresh(user).two_factor_enabled
    [enabled] = entries("user.two_factor_enabled")
    assert enabled.actor_name == "wang" and enabled.target == f"user:{user.id}"
    later = client.get("/account/two-factor").get_data(as_text=True)
    assert "Recovery codes left: 8." in later
    assert not RECOVERY_CODE_ON_PAGE.search(later) and secret not in later.replace(" ", "")  # shown once only
    assert client.get("/account/two-factor/qr.svg").status_code == 404  # no QR of a confirmed secret
    # The recovery codes are stored only as digests.
    stored = [r.code_hash for r in db.session.scalars(select(RecoveryCode))]
    assert len(stored) == 8 and not any(c.replace("-", "") in h for c in
                                        RECOVERY_CODE_ON_PAGE.findall(done.get_data(as_text=True)) for h in stored)


def test_after_enrolment_a_login_needs_the_code(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    client = password_step(app, user)
    assert client.get("/admin/assessment/").headers["Location"].startswith("/login")  # nobody logged in yet
    assert client.get("/admin/assessment/", headers={"Accept": "application/json"}).status_code == 401
    assert entries("auth.login")[-1].details.get("factor") is None  # the enrolling login, password only
    logins_before = len(entries("auth.login"))
    page = client.get("/login/code").get_data(as_text=True)
    assert "type the 6-digit code" in page
    done = client.post_form("/login/code", {"code": next_code(totp)})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/admin/assessment/").status_code == 200
    assert len(entries("auth.login")) == logins_before + 1  # the login is audited once, when complete
    assert entries("auth.login")[-1].details["factor"] == "totp"


def test_the_login_goes_on_to_the_page_asked_for(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    client = browser(app)
    client.post_form("/login?next=/admin/assessment/", {"username": "khb", "password": PASSWORD,
                                                        "next": "/admin/assessment/"})
    assert client.post_form("/login/code", {"code": next_code(totp)}).headers["Location"] == "/admin/assessment/"


def test_a_wrong_code_is_refused_audited_and_counts_against_the_login_limits(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    client = password_step(app, user)
    wrong = a_wrong_code(totp)
    refused = client.post_form("/login/code", {"code": wrong})
    assert refused.status_code == 200 and WRONG_CODE in refused.get_data(as_text=True)
    assert client.get("/admin/assessment/").headers["Location"].startswith("/login")
    [failed] = entries("auth.login_failed")
    assert failed.details["reason"] == "code" and failed.target == f"user:{user.id}"
    assert wrong not in str(failed.details)
    # The account's limit (5 refusals a minute) counts the wrong password above and wrong codes alike.
    assert browser(app).post_form("/login", {"username": "khb", "password": "wrong-Password-1"}).status_code == 200
    for _attempt in range(3):
        assert client.post_form("/login/code", {"code": wrong}).status_code == 200
    assert client.post_form("/login/code", {"code": next_code(totp)}).status_code == 429
    assert entries("auth.login_throttled")


def test_the_same_code_cannot_be_used_twice(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    code = next_code(totp)
    first = password_step(app, user)
    assert first.post_form("/login/code", {"code": code}).headers["Location"] == "/"
    second = password_step(app, user)  # somebody who saw the code and knows the password
    replay = second.post_form("/login/code", {"code": code})
    assert replay.status_code == 200 and WRONG_CODE in replay.get_data(as_text=True)
    assert second.get("/admin/assessment/").headers["Location"].startswith("/login")
    assert entries("auth.login_failed")[-1].details["reason"] == "code"


def test_a_recovery_code_logs_in_once(app, make_user):
    user = make_user("hr", username="khb")
    _totp, codes = enrol(logged_in(app, user))
    client = password_step(app, user)
    assert client.post_form("/login/code", {"code": codes[3].upper().replace("-", " ")}).headers["Location"] == "/"
    assert client.get("/admin/assessment/").status_code == 200
    assert entries("auth.login")[-1].details["factor"] == "recovery"
    assert "Recovery codes left: 7." in client.get("/account/two-factor").get_data(as_text=True)
    again = password_step(app, user)
    assert WRONG_CODE in again.post_form("/login/code", {"code": codes[3]}).get_data(as_text=True)
    assert password_step(app, user).post_form("/login/code", {"code": codes[4]}).headers["Location"] == "/"


def test_a_pending_login_expires_after_five_minutes(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    client = password_step(app, user)
    move_pending_back(client, 5 * 60 + 1)
    expired = client.post_form("/login/code", {"code": next_code(totp)})
    assert "the password was given more than 5 minutes ago" in expired.get_data(as_text=True)
    assert client.get("/admin/assessment/").headers["Location"].startswith("/login")
    # Within the 5 minutes, it works.
    client = password_step(app, user)
    move_pending_back(client, 4 * 60)
    assert client.post_form("/login/code", {"code": next_code(totp)}).headers["Location"] == "/"


# --------------------------------------------------------------------------- roles that must use it

def test_a_required_role_is_sent_to_enrolment_until_enrolled(app, make_user):
    app.config["TWO_FACTOR_ROLES"] = frozenset({"hr"})
    user = make_user("hr", username="khb", must_change_password=True)
    client = logged_in(app, user)
    # The password first, then the second factor.
    assert client.get("/admin/assessment/").headers["Location"] == "/account/password"
    form = {"current": PASSWORD, "password": "Own-Choice-2026!", "confirm": "Own-Choice-2026!"}
    assert client.post_form("/account/password", form).status_code == 302
    for path in ("/", "/admin/assessment/", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/two-factor", path
    assert client.get("/admin/assessment/", headers={"Accept": "application/json"}).status_code == 403
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Your role requires two-factor authentication: set it up before you go on." in page
    enrol(client, "Own-Choice-2026!")
    assert client.get("/admin/assessment/").status_code == 200
    # And it cannot be turned off.
    assert "it cannot be turned off" in client.get("/account/two-factor").get_data(as_text=True)
    assert fresh(user).two_factor_enabled
    # Another role is not asked.
    assert logged_in(app, make_user("operator", username="yy")).get("/admin/pool/").status_code == 200


def test_an_account_may_turn_a_voluntary_second_factor_off_with_its_password_and_a_code(app, make_user):
    user = make_user("operator", username="wang")
    client = logged_in(app, user)
    totp, codes = enrol(client)
    refused = client.post_form("/account/two-factor/disable", {"password": "wrong-Password-1", "code": codes[0]})
    assert "The current password is wrong." in refused.get_data(as_text=True) and fresh(user).two_factor_enabled
    done = client.post_form("/account/two-factor/disable", {"password": PASSWORD, "code": next_code(totp)})
    assert done.headers["Location"] == "/account/two-factor"
    assert not fresh(user).two_factor_enabled and fresh(user).totp_secret is None
    assert entries("user.two_factor_disabled")
    assert logged_in(app, user)  # the password alone again


# --------------------------------------------------------------------------- resets

def test_an_admin_reset_forces_re_enrolment_and_is_audited(app, make_user):
    app.config["TWO_FACTOR_ROLES"] = frozenset({"hr", "admin"})
    admin = make_user("admin", username="root")
    admin_browser = logged_in(app, admin)
    admin_totp, _admin_codes = enrol(admin_browser)
    user = make_user("hr", username="khb")
    owner = logged_in(app, user)
    enrol(owner)
    page = admin_browser.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "reset-two-factor-form" in page
    done = admin_browser.post_form(f"/admin/users/{user.id}/two-factor/reset", follow_redirects=True)
    assert "they set it up again at their next login" in done.get_data(as_text=True)
    assert fresh(user).totp_secret is None and db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id)).first() is None
    [reset] = entries("user.two_factor_reset")
    assert reset.actor_name == "root" and reset.target == f"user:{user.id}"
    assert owner.get("/admin/assessment/").headers["Location"].startswith("/login")  # its sessions ended
    again = logged_in(app, user)  # the password alone: the lost phone is no longer asked for …
    assert again.get("/admin/assessment/").headers["Location"] == "/account/two-factor"  # … but a new one is
    # Nobody resets their own this way.
    assert "reset-two-factor-form" not in admin_browser.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    own = admin_browser.post_form(f"/admin/users/{admin.id}/two-factor/reset", follow_redirects=True)
    assert "You cannot reset your own two-factor authentication." in own.get_data(as_text=True)
    assert fresh(admin).two_factor_enabled and len(entries("user.two_factor_reset")) == 1
    # Only administrators may.
    assert logged_in(app, make_user("operator", username="yy")).post_form(
        f"/admin/users/{admin.id}/two-factor/reset").status_code == 403
    assert fresh(admin).two_factor_enabled


def test_the_shell_resets_the_last_administrators_second_factor(app, make_user, runner):
    admin = make_user("admin", username="root")
    enrol(logged_in(app, admin))
    db.session.expire_all()  # the shell would read the account afresh
    result = runner.invoke(args=["users", "reset-two-factor", "ROOT"])
    assert result.exit_code == 0, result.output
    assert "reset" in result.output
    assert fresh(admin).totp_secret is None
    [reset] = entries("user.two_factor_reset")
    assert reset.actor_name == "cli"
    assert logged_in(app, admin).get("/admin/users/").status_code == 200  # the password alone again
    unknown = runner.invoke(args=["users", "reset-two-factor", "nobody"])
    assert unknown.exit_code != 0 and "no account is named 'nobody'" in unknown.output
    nothing = runner.invoke(args=["users", "reset-two-factor", "root"])
    assert nothing.exit_code != 0 and "has no two-factor authentication to reset" in nothing.output


# --------------------------------------------------------------------------- the QR code and the stored secret

def test_the_qr_code_is_served_to_its_own_account_only_while_pending_and_never_cached(app, make_user):
    assert browser(app).get("/account/two-factor/qr.svg").headers["Location"].startswith("/login")
    assert browser(app).get("/account/two-factor/qr.svg",
                            headers={"Accept": "application/json"}).status_code == 401
    owner = logged_in(app, make_user("operator", username="wang"))
    other = logged_in(app, make_user("hr", username="khb"))
    assert owner.get("/account/two-factor/qr.svg").status_code == 404  # nothing being set up
    shown_secret(owner)
    qr = owner.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.headers["Cache-Control"] == "no-store"
    assert other.get("/account/two-factor/qr.svg").status_code == 404  # the other account has nothing pending
    shown_secret(other)
    assert other.get("/account/two-factor/qr.svg").data != qr.data  # its own secret, not the owner's
    # The page shows it as an image of this site (the CSP refuses data: images), with no inline style.
    page = owner.get("/account/two-factor").get_data(as_text=True)
    assert 'src="/account/two-factor/qr.svg"' in page and "data:" not in page and "style=" not in page


def test_the_secret_is_stored_encrypted_when_the_phone_key_is_set(app, make_user):
    app.config["PHONE_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    stored = fresh(user).totp_secret
    assert stored.startswith("fernet:") and totp.secret not in stored
    assert password_step(app, user).post_form("/login/code", {"code": next_code(totp)}).headers["Location"] == "/"


def test_without_the_key_the_secret_is_stored_as_is(app, make_user):
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    assert fresh(user).totp_secret == totp.secret


# --------------------------------------------------------------------------- configuration

def test_production_requires_it_of_every_staff_role_unless_told_otherwise(app):
    from app.platform.roles import Role

    assert set(STAFF_ROLES) == {role.value for role in Role}  # a role added later is not silently exempt
    assert ProductionConfig.TWO_FACTOR_ROLES == frozenset(STAFF_ROLES) or "TWO_FACTOR_ROLES" in __import__("os").environ
    assert app.config["TWO_FACTOR_ROLES"] == frozenset()
    assert role_list(None, STAFF_ROLES) == frozenset(STAFF_ROLES)
    assert role_list(" HR, auditor ,") == {"hr", "auditor"}
    assert role_list("") == frozenset()
    with pytest.raises(RuntimeError, match="unknown roles: boss"):
        role_list("admin,boss")


# --------------------------------------------------------------------------- what a thief with part of it cannot do

def test_a_session_held_at_enrolment_ends_when_the_owner_enrols(app, make_user):
    """A phished password gives a session held at the enrolment page; the owner's enrolment ends it, so it never
    goes on without a code."""
    app.config["TWO_FACTOR_ROLES"] = frozenset({"hr"})
    user = make_user("hr", username="khb")
    thief = logged_in(app, user)
    assert thief.get("/admin/assessment/").headers["Location"] == "/account/two-factor"
    owner = logged_in(app, user)
    enrol(owner)
    assert thief.get("/admin/assessment/").headers["Location"].startswith("/login")
    assert owner.get("/admin/assessment/").status_code == 200  # the enrolling session goes on


def test_enrolment_needs_the_password_not_only_a_session(app, make_user):
    user = make_user("operator", username="wang")
    stolen_session = logged_in(app, user)
    totp = pyotp.TOTP(shown_secret(stolen_session))
    refused = stolen_session.post_form("/account/two-factor/confirm", {"password": "Not-The-Password-1",
                                                                       "code": totp.now()})
    assert "The current password is wrong." in refused.get_data(as_text=True)
    assert not fresh(user).two_factor_enabled and entries("user.two_factor_enabled") == []


def test_codes_are_capped_per_account_whatever_address_they_come_from(app, make_user):
    """Somebody with the password cannot guess codes for days from many addresses."""
    app.config.update(LOGIN_ACCOUNT_RATE_LIMIT="100 per minute", LOGIN_RATE_LIMIT="100 per minute",
                      LOGIN_ACCOUNT_CLIENT_RATE_LIMIT="100 per day", LOGIN_CODE_ACCOUNT_RATE_LIMIT="3 per day")
    user = make_user("hr", username="khb")
    totp, _codes = enrol(logged_in(app, user))
    wrong = a_wrong_code(totp)
    statuses = []
    for n in range(4):
        client = browser(app)
        client.environ_base["REMOTE_ADDR"] = f"10.7.0.{n + 1}"
        assert client.post_form("/login", {"username": "khb", "password": PASSWORD}).headers["Location"] == "/login/code"
        statuses.append(client.post_form("/login/code", {"code": wrong}).status_code)
    assert statuses == [200, 200, 200, 429]


def test_a_copied_code_page_cookie_is_worthless_once_the_login_is_done(app, make_user):
    user = make_user("hr", username="khb")
    totp, codes = enrol(logged_in(app, user))
    client = password_step(app, user)
    copied = client.get_cookie("session").value
    assert client.post_form("/login/code", {"code": next_code(totp)}).headers["Location"] == "/"
    thief = browser(app)
    thief.set_cookie("session", copied)
    refused = thief.post_form("/login/code", {"code": codes[0]})
    assert refused.status_code == 200 and thief.get("/admin/assessment/").headers["Location"].startswith("/login")
