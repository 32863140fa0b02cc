"""Staff sessions end: on logout everywhere (a copied cookie included), after 30 idle minutes, 12 hours after the
login; a login starts a clean session. Logins, failures and logouts are audited with the client's address."""
import json

from sqlalchemy import select

from app.accounts.sessions import LOGIN_AT, SEEN_AT
from app.audit.models import AuditEntry
from app.config import TestConfig
from app.extensions import db
from tests.conftest import PASSWORD, Client

CLIENT_ADDRESS = "203.0.113.7"


def logged_in(app, user, address: str = CLIENT_ADDRESS):
    """A separate browser, logged in as ``user`` from ``address`` (English UI, so that messages can be read)."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address  # every request (the session is bound to the address)
    browser.set_cookie("lang", "en")
    response = browser.post_form("/login", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "login failed"
    return browser


def age_session(browser, *, idle_seconds: int = 0, since_login_seconds: int = 0) -> None:
    """Move the session's own clock back, as if the browser had been idle, or logged in, that long ago."""
    with browser.session_transaction() as session:
        session[SEEN_AT] -= idle_seconds
        session[LOGIN_AT] -= since_login_seconds


def session_cookie_set(response) -> bool:
    return any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))


def audit_entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --------------------------------------------------------------------------- logout

def test_a_session_cookie_copied_before_logout_is_refused_after_it(app, make_user):
    user = make_user("hr", username="khb")
    browser = logged_in(app, user)
    other_device = logged_in(app, user)
    copied = browser.get_cookie("session").value
    assert browser.get("/admin/assessment/").status_code == 200
    response = browser.post_form("/logout", follow_redirects=True)
    assert "Every session of this account has ended" in response.get_data(as_text=True)
    replay = app.test_client()
    replay.set_cookie("session", copied)
    refused = replay.get("/admin/assessment/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert other_device.get("/admin/assessment/").status_code == 302  # the account's other sessions end too
    assert logged_in(app, user).get("/admin/assessment/").status_code == 200  # a new login works


# --------------------------------------------------------------------------- timeouts

def test_a_session_idle_for_longer_than_the_limit_ends(app, make_user):
    browser = logged_in(app, make_user("hr", username="khb"))
    age_session(browser, idle_seconds=29 * 60)
    assert browser.get("/admin/assessment/").status_code == 200  # 29 minutes: still there, and seen again now
    age_session(browser, idle_seconds=31 * 60)
    response = browser.get("/admin/assessment/?round=3")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/assessment/?round%3D3"
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were logged out after 30 minutes without activity" in page
    assert browser.get("/admin/assessment/").headers["Location"].startswith("/login")  # and stays out


def test_a_form_sent_after_the_session_expired_brings_the_user_back_to_its_page_after_login(app, make_user):
    def send_late(browser, referer):
        token = browser.csrf_token()  # the form was loaded while the session was alive
        age_session(browser, idle_seconds=31 * 60)
        return browser.post("/admin/assessment/schemes/new", data={"csrf_token": token, "name": "x"},
                            headers={"Referer": referer})

    sent = send_late(logged_in(app, make_user("hr", username="khb")), "http://localhost/admin/assessment/schemes")
    assert sent.headers["Location"] == "/login?next=/admin/assessment/schemes"
    foreign = send_late(logged_in(app, make_user("operator", username="yy")), "https://evil.example/admin/")
    assert foreign.headers["Location"] == "/login"  # only this site's pages are a way back


def test_the_idle_limit_is_configurable_and_json_clients_get_401(app, make_user):
    app.config["STAFF_IDLE_MINUTES"] = 1
    browser = logged_in(app, make_user("hr", username="khb"))
    age_session(browser, idle_seconds=61)
    response = browser.get("/admin/assessment/", headers={"Accept": "application/json"})
    assert response.status_code == 401  # with the reason, which the admin pages' scripts show as it is
    assert response.get_json() == {"error": "You were logged out after 1 minutes without activity: please log in again."}


def test_a_session_ends_twelve_hours_after_the_login_however_busy(app, make_user):
    browser = logged_in(app, make_user("hr", username="khb"))
    age_session(browser, since_login_seconds=12 * 3600 - 60)
    assert browser.get("/admin/assessment/").status_code == 200
    age_session(browser, since_login_seconds=120)  # now 12 hours and a minute ago, though seen a moment ago
    response = browser.get("/admin/assessment/", follow_redirects=True)
    assert "You were logged in for more than 12 hours" in response.get_data(as_text=True)
    assert browser.get("/admin/assessment/").headers["Location"].startswith("/login")


def test_a_logged_in_session_without_its_times_is_ended(app, make_user):
    """A session from before these limits (or otherwise without its login time) is not trusted for ever."""
    browser = logged_in(app, make_user("hr", username="khb"))
    with browser.session_transaction() as session:
        del session[LOGIN_AT]
    response = browser.get("/admin/assessment/", follow_redirects=True)
    assert "Your session has ended. Please log in again." in response.get_data(as_text=True)


def test_the_last_seen_time_is_rewritten_at_most_once_a_minute(app, make_user):
    browser = logged_in(app, make_user("hr", username="khb"))
    browser.get("/")
    assert not session_cookie_set(browser.get("/"))  # the cookie is not sent anew with every page
    age_session(browser, idle_seconds=90)
    assert session_cookie_set(browser.get("/"))  # more than a minute: the activity is noted
    with browser.session_transaction() as session:
        assert session[SEEN_AT] >= session[LOGIN_AT]
    assert not session_cookie_set(browser.get("/"))


def test_a_visitor_page_leaves_a_staff_session_alone_even_an_expired_one(app, make_user):
    browser = logged_in(app, make_user("complaints", username="handler"))
    browser.get("/admin/complaints/")
    age_session(browser, idle_seconds=3600)
    page = browser.get("/complaints/new")
    assert page.status_code == 200 and page.headers.getlist("Set-Cookie") == []
    assert browser.get("/admin/complaints/").headers["Location"].startswith("/login")  # ended on a staff page


# --------------------------------------------------------------------------- login

def test_a_login_starts_a_clean_session(app, make_user):
    """Nothing planted in the session before the login survives it (session fixation); the language does."""
    user = make_user("hr", username="khb")
    browser = app.test_client()
    browser.set_cookie("lang", "en")
    browser.get("/login")
    with browser.session_transaction() as session:
        session["planted"] = "by somebody who had the browser before"
        old_csrf_secret = session["csrf_token"]
    assert browser.post_form("/login", {"username": "khb", "password": PASSWORD}).status_code == 302
    with browser.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf_token"] != old_csrf_secret
        assert session["_user_id"].startswith(f"{user.id}:")
    assert "Assessment" in browser.get("/").get_data(as_text=True)  # still in English


# --------------------------------------------------------------------------- audit

def audit_text() -> str:
    return json.dumps([[e.actor_name, e.action, e.target, e.details] for e in db.session.scalars(select(AuditEntry))],
                      ensure_ascii=False)


def test_logins_failures_and_logouts_are_audited_with_the_address_never_the_password(app, make_user, runner,
                                                                                       caplog):
    user = make_user("hr", username="khb")
    browser = app.test_client()
    wrong = browser.post_form("/login", {"username": "KHB", "password": "Typed-Wrong-Secret-1"},
                              environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert wrong.status_code == 200
    # A name no account has may be a password typed into the wrong field: it is written nowhere.
    unknown = browser.post_form("/login", {"username": "My-Password-Typed-Here-1", "password": "Some-Password-1"})
    assert unknown.status_code == 200
    assert "my-password-typed-here-1" not in caplog.text.lower()
    browser = logged_in(app, user)
    browser.post_form("/logout")
    [failed] = audit_entries("auth.login_failed")
    assert (failed.actor_name, failed.actor_id, failed.target) == ("anonymous", None, f"user:{user.id}")
    assert failed.details == {"username": "khb", "reason": "password", "ip": "198.51.100.9"}
    [login] = audit_entries("auth.login")
    assert (login.actor_name, login.target, login.details) == ("khb", f"user:{user.id}",
                                                               {"username": "khb", "ip": CLIENT_ADDRESS})
    [logout] = audit_entries("auth.logout")
    assert logout.actor_name == "khb" and logout.details["ip"] == CLIENT_ADDRESS
    text = audit_text()
    assert "Typed-Wrong-Secret-1" not in text and PASSWORD not in text and "My-Password-Typed-Here-1" not in text
    # The new entries are part of the chain, which still verifies (the fixture's entry, from the shell, has no
    # address), and the auditor's page shows them with the address.
    [created] = audit_entries("user.create")
    assert created.actor_name == "cli" and "ip" not in created.details
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    auditor = logged_in(app, make_user("auditor", username="jjw"))
    page = auditor.get("/admin/audit/").get_data(as_text=True)
    row = next(r for r in page.split("<tr") if 'title="auth.login_failed"' in r)  # the entry, by its code's name
    assert "198.51.100.9" in row


def test_a_staff_members_actions_carry_the_address(app, make_user, make_department):
    department = make_department()
    browser = logged_in(app, make_user("admin", username="root"))
    assert browser.post_form(f"/admin/departments/{department.id}/active", {"active": "0"}).status_code == 302
    [entry] = audit_entries("department.deactivate")
    assert entry.actor_name == "root" and entry.details["ip"] == CLIENT_ADDRESS


def test_behind_a_proxy_the_audit_log_has_the_clients_address(app, make_user):
    user = make_user("hr", username="khb")
    proxied = __import__("app").create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                           PROXY_FIX_X_FOR=1)
    proxied.test_client_class = Client
    browser = proxied.test_client()
    response = browser.post_form("/login", {"username": "khb", "password": PASSWORD},
                                 headers={"X-Forwarded-For": "198.51.100.23"})
    assert response.status_code == 302
    db.session.expire_all()
    [login] = audit_entries("auth.login")
    assert login.target == f"user:{user.id}" and login.details["ip"] == "198.51.100.23"
