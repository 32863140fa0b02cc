"""Staff account administration: create, role changes, deactivation, password resets, own password; all audited."""
import json

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.audit.models import AuditEntry
from app.extensions import db
from app.platform.roles import Role
from tests.conftest import PASSWORD

NEW_PASSWORD = "Brand-New-Passphrase-9"
OWN_PASSWORD = "My-Own-Choice-2026"


def user_named(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def entries(action: str) -> list[AuditEntry]:
    """Entries written through the web pages (the fixtures' own accounts are created from the shell, as `cli`)."""
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                            AuditEntry.actor_name != "cli").order_by(AuditEntry.id)))


def browser(app, user=None, password=PASSWORD):
    """A separate browser, logged in as ``user`` (English UI so that messages can be read)."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    if user is not None:
        response = client.post_form("/login", {"username": user.username, "password": password})
        assert response.status_code == 302, "login failed"
    return client


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="root")


@pytest.fixture
def office(app, admin):
    return browser(app, admin)


def create(office, **fields):
    data = {"username": "zhang", "display_name": "张三", "role": "operator", "department_id": "0",
            "password": NEW_PASSWORD, **fields}
    return office.post_form("/admin/users/new", data)


# --------------------------------------------------------------------------- create

def test_admin_creates_accounts_and_sees_them_listed(app, office, make_department):
    department = make_department(code="SCJG", name="市场监管局")
    assert create(office).status_code == 302
    assert create(office, username="li", role="liaison", department_id=str(department.id)).status_code == 302
    zhang, li = user_named("zhang"), user_named("li")
    assert zhang.role == Role.operator and zhang.department_id is None and zhang.display_name == "张三"
    assert li.role == Role.liaison and li.department_id == department.id
    assert zhang.check_password(NEW_PASSWORD)
    listing = office.get("/admin/users/").get_data(as_text=True)
    for text in ('data-username="zhang"', 'data-username="li"', "市场监管局", "Department liaison", "never"):
        assert text in listing
    created = entries("user.create")
    assert [e.details["username"] for e in created] == ["zhang", "li"]
    assert created[1].details["department"] == "SCJG" and created[1].actor_name == "root"
    # The new account can log in with its initial password (and is asked to choose its own first).
    assert browser(app, zhang, NEW_PASSWORD).get("/").headers["Location"] == "/account/password"


@pytest.mark.parametrize("fields,message", [
    ({"role": "liaison"}, "A department liaison needs a department."),
    ({"password": "short"}, "at least 10 characters"),
    ({"password": "Zhang-Secret-2026"}, "The password must not contain the username."),
    ({"password": "Password123!"}, "This password is too easy to guess"),
    ({"password": "Woaini1314@520"}, "This password is too easy to guess"),
    ({"username": "has space"}, "Letters, digits"),
    ({"username": "ROOT"}, "already exists"),
])
def test_create_refuses_bad_input_and_changes_nothing(app, office, fields, message):
    before = db.session.scalar(select(func.count(User.id)))
    response = create(office, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before
    assert entries("user.create") == []


def test_a_non_liaison_cannot_be_given_a_department(office, make_department):
    response = create(office, role="hr", department_id=str(make_department().id))
    assert "Only a department liaison belongs to a department." in response.get_data(as_text=True)
    assert user_named("zhang") is None


# --------------------------------------------------------------------------- roles

def test_role_and_department_changes_are_audited_with_old_and_new(office, make_user, make_department):
    target = make_user("operator", username="wang")
    department = make_department(code="ZJJ")
    response = office.post_form(f"/admin/users/{target.id}", {"display_name": "王五", "role": "liaison",
                                                               "department_id": str(department.id)})
    assert response.status_code == 302
    wang = user_named("wang")
    assert wang.role == Role.liaison and wang.department_id == department.id and wang.display_name == "王五"
    office.post_form(f"/admin/users/{target.id}", {"display_name": "王五", "role": "hr", "department_id": "0"})
    wang = user_named("wang")
    assert wang.role == Role.hr and wang.department_id is None  # a department is only a liaison's
    changes = [(e.details["old_role"], e.details["new_role"], e.details["old_department"],
                e.details["new_department"]) for e in entries("user.role_change")]
    assert changes == [("operator", "liaison", None, "ZJJ"), ("liaison", "hr", "ZJJ", None)]
    # Saving the same values again records nothing.
    office.post_form(f"/admin/users/{target.id}", {"display_name": "王五", "role": "hr", "department_id": "0"})
    assert len(entries("user.role_change")) == 2


def test_a_role_change_takes_effect_in_the_open_session(app, office, make_user):
    target = make_user("operator", username="wang")
    theirs = browser(app, target)
    assert theirs.get("/admin/pool/").status_code == 200
    office.post_form(f"/admin/users/{target.id}", {"display_name": "", "role": "auditor", "department_id": "0"})
    assert theirs.get("/admin/pool/").status_code == 403
    assert theirs.get("/admin/audit/").status_code == 200


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app, office, admin, make_user):
    demote = office.post_form(f"/admin/users/{admin.id}", {"display_name": "", "role": "hr", "department_id": "0"})
    assert demote.status_code == 200 and "last active administrator" in demote.get_data(as_text=True)
    assert user_named("root").role == Role.admin
    # With a second admin, root may step down — but an inactive admin does not count.
    spare = make_user("admin", username="spare")
    spare.active = False
    db.session.commit()
    office.post_form(f"/admin/users/{admin.id}", {"display_name": "", "role": "hr", "department_id": "0"})
    assert user_named("root").role == Role.admin
    spare = user_named("spare")
    spare.active = True
    db.session.commit()
    second = browser(app, spare)
    assert second.post_form(f"/admin/users/{admin.id}/active", {"active": "0"}).status_code == 302
    assert not user_named("root").active
    # spare is now the only active admin and cannot be deactivated or demoted (not even by itself).
    second.post_form(f"/admin/users/{spare.id}", {"display_name": "", "role": "hr", "department_id": "0"})
    assert user_named("spare").role == Role.admin and user_named("spare").active
    assert [e.details["username"] for e in entries("user.deactivate")] == ["root"]
    assert entries("user.role_change") == []


# --------------------------------------------------------------------------- deactivation

def test_nobody_deactivates_their_own_account(office, admin, make_user):
    make_user("admin", username="spare")  # not the last admin: the refusal is about oneself
    response = office.post_form(f"/admin/users/{admin.id}/active", {"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert user_named("root").active and entries("user.deactivate") == []


def test_a_deactivated_account_is_logged_out_and_cannot_log_in_until_reactivated(app, office, make_user):
    target = make_user("hr", username="khb")
    theirs = browser(app, target)
    stolen = browser(app, target)  # a session left open on a lost laptop
    assert theirs.get("/").status_code == 200 and stolen.get("/").status_code == 200
    assert office.post_form(f"/admin/users/{target.id}/active", {"active": "0"}).status_code == 302
    response = theirs.get("/admin/assessment/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    refused = theirs.post_form("/login", {"username": "khb", "password": PASSWORD})
    assert refused.status_code == 200 and theirs.get("/").status_code == 302
    listing = office.get("/admin/users/").get_data(as_text=True)
    assert "Deactivated" in listing
    office.post_form(f"/admin/users/{target.id}/active", {"active": "1"})
    assert browser(app, target).get("/").status_code == 200
    assert stolen.get("/").status_code == 302  # sessions opened before the deactivation never come back
    trail = list(db.session.scalars(select(AuditEntry).where(AuditEntry.target == f"user:{target.id}")
                                    .order_by(AuditEntry.id)))
    assert [e.action for e in trail] == ["user.create", "auth.login", "auth.login", "user.deactivate",
                                         "auth.login_failed", "user.reactivate", "auth.login"]
    assert trail[4].details["reason"] == "inactive"  # the right password, on a deactivated account


# --------------------------------------------------------------------------- passwords

def all_audit_text() -> str:
    return json.dumps([[e.action, e.target, e.details] for e in db.session.scalars(select(AuditEntry))],
                      ensure_ascii=False)


def test_admin_resets_a_password_and_ends_the_accounts_sessions(app, office, make_user):
    target = make_user("designer", username="sjs")
    theirs = browser(app, target)
    short = office.post_form(f"/admin/users/{target.id}/password", {"password": "short"}, follow_redirects=True)
    assert "at least 10 characters" in short.get_data(as_text=True)
    assert user_named("sjs").check_password(PASSWORD)
    assert office.post_form(f"/admin/users/{target.id}/password", {"password": NEW_PASSWORD}).status_code == 302
    assert user_named("sjs").check_password(NEW_PASSWORD) and user_named("sjs").must_change_password
    assert theirs.get("/admin/questionnaires/").headers["Location"].startswith("/login")  # the old session ended
    # The owner logs in with the password the administrator chose, and must choose their own first.
    assert browser(app, target, NEW_PASSWORD).get("/admin/questionnaires/").headers["Location"] == "/account/password"
    assert office.get("/admin/users/").status_code == 200  # the admin's own session goes on
    [entry] = entries("user.password_reset")
    assert entry.target == f"user:{target.id}" and entry.actor_name == "root"
    assert NEW_PASSWORD not in all_audit_text() and "scrypt" not in all_audit_text()


def test_every_account_changes_its_own_password_with_the_current_one(app, make_user):
    user = make_user("liaison", username="lly")
    mine, other_session = browser(app, user), browser(app, user)
    form = {"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    wrong = mine.post_form("/account/password", form)
    assert wrong.status_code == 200 and "The current password is wrong." in wrong.get_data(as_text=True)
    mismatch = mine.post_form("/account/password", {**form, "current": PASSWORD, "confirm": "something else"})
    assert "The two new passwords differ." in mismatch.get_data(as_text=True)
    assert user_named("lly").check_password(PASSWORD) and entries("user.password_change") == []
    done = mine.post_form("/account/password", {**form, "current": PASSWORD})
    assert done.status_code == 302
    assert user_named("lly").check_password(NEW_PASSWORD)
    assert mine.get("/").status_code == 200  # this session goes on
    assert other_session.get("/").status_code == 302  # the others end
    [entry] = entries("user.password_change")
    assert entry.actor_name == "lly" and NEW_PASSWORD not in all_audit_text()


def test_guessing_the_current_password_is_throttled(app, make_user):
    user = make_user("hr", username="khb")
    mine = browser(app, user)
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    form = {"current": "guess", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    statuses = [mine.post_form("/account/password", form).status_code for _ in range(limit + 1)]
    assert statuses == [200] * limit + [429]


@pytest.mark.parametrize("password,message", [
    ("Short-1a", "at least 10 characters"),
    ("Aa-1" + "x" * 253, "at most 256 characters"),
    ("Xx-WangWei-2026", "must not contain the username"),
])
def test_the_password_policy_refuses_with_its_reason(app, password, message):
    with force_locale("en"), pytest.raises(accounts.AccountError, match=message):
        accounts.check_password_policy(password, "wangwei")


# issue 24, finding 5: the passwords the review found accepted, then Chinese-keyboard favourites.
@pytest.mark.parametrize("password", [
    "Password123!", "P@ssw0rd2024", "Qwerty12345!", "Admin12345!", "1234567890Aa", " " * 10 + "Aa1", "Welcome2026!",
    "Woaini1314!!", "Aa123456789", "Qq123456789!", "Zhangwei1988!", "1qaz2wsx3EDC", "A1b2c3d4e5f6",
    # refused under the old rule too, and still refused
    "UPPERCASE12345", "1234567890!@#", "p@ssw0rd1234", "qWER1234!@#$", "ADMIN@12345",
])
def test_guessable_passwords_are_refused_with_a_chinese_reason(app, password):
    with force_locale("zh"), pytest.raises(accounts.AccountError, match="密码太容易被猜中"):
        accounts.check_password_policy(password, "wangwei")


@pytest.mark.parametrize("password,username", [
    ("Beikaobei-2026!", "wangwei"),  # the platform's name
    ("背靠背评价2026!", "wangwei"),
    ("Designer#2026x", "wangwei"),  # another account's username
    ("Xiaoming-1990", "zwy"),  # the account's own display name (小明 → xiaoming)
])
def test_passwords_built_on_the_sites_own_words_are_refused(app, make_user, password, username):
    make_user("designer", username="designer")
    with force_locale("zh"), pytest.raises(accounts.AccountError, match="包含本平台或本市的名称、某个用户名或您自己的名字"):
        accounts.check_password_policy(password, username, "xiaoming")


def test_the_city_named_in_the_settings_counts_as_a_site_word(app):
    app.config["PASSWORD_SITE_WORDS"] += ",jiangcheng"
    with force_locale("zh"), pytest.raises(accounts.AccountError, match="本平台或本市的名称"):
        accounts.check_password_policy("Jiangcheng2026!", "wangwei")


@pytest.mark.parametrize("password,username", [
    ("Correct-Horse-7", "wangwei"),
    ("水电煤气paid2026", "wangwei"),  # Chinese characters are characters like others
    ("Three-hr-Shifts", "hr"),  # a two-letter username would refuse too many good passwords
    ("tide lantern orchard velvet", "wangwei"),  # a passphrase needs no upper case, digit or symbol
])
def test_the_password_policy_accepts_good_passwords(app, password, username):
    accounts.check_password_policy(password, username)


def test_an_account_whose_password_an_admin_chose_must_change_it_first(app, office):
    assert create(office).status_code == 302
    assert user_named("zhang").must_change_password
    # Logging out works before the change.
    first = browser(app, user_named("zhang"), NEW_PASSWORD)
    assert first.post_form("/logout").headers["Location"] == "/login"
    zhang = browser(app, user_named("zhang"), NEW_PASSWORD)
    for path in ("/", "/admin/pool/", "/admin/rounds/", "/admin/users/"):
        response = zhang.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    assert zhang.get("/admin/pool/", headers={"Accept": "application/json"}).status_code == 403
    assert zhang.get("/static/css/admin.css").status_code == 200
    page = zhang.get("/account/password").get_data(as_text=True)
    assert "Your password was set by an administrator: choose your own before you go on." in page
    # The new password follows the policy too.
    form = {"current": NEW_PASSWORD, "password": "Zhang-Own-2026", "confirm": "Zhang-Own-2026"}
    refused = zhang.post_form("/account/password", form)
    assert refused.status_code == 200 and "must not contain the username" in refused.get_data(as_text=True)
    assert user_named("zhang").must_change_password
    done = zhang.post_form("/account/password", {**form, "password": OWN_PASSWORD, "confirm": OWN_PASSWORD})
    assert done.headers["Location"] == "/"
    assert zhang.get("/admin/pool/").status_code == 200
    assert "must-change-password" not in zhang.get("/account/password").get_data(as_text=True)
    assert not user_named("zhang").must_change_password and user_named("zhang").password_changed_at is not None


def test_a_reset_refuses_a_weak_password_and_an_admin_resetting_their_own_goes_on(app, office, admin):
    weak = office.post_form(f"/admin/users/{admin.id}/password", {"password": "root-Secret-2026"},
                            follow_redirects=True)
    assert "The password must not contain the username." in weak.get_data(as_text=True)
    assert user_named("root").check_password(PASSWORD)
    assert office.post_form(f"/admin/users/{admin.id}/password", {"password": NEW_PASSWORD}).status_code == 302
    assert not user_named("root").must_change_password  # the administrator chose it for themselves
    assert office.get("/admin/users/").status_code == 200


def test_an_account_made_at_the_shell_changes_its_password_only_when_asked(app, runner):
    for name, flags in (("mine", []), ("theirs", ["--must-change-password"])):
        result = runner.invoke(args=["users", "create", name, "--role", "hr", "--password", NEW_PASSWORD, *flags])
        assert result.exit_code == 0, result.output
    assert not user_named("mine").must_change_password and user_named("theirs").must_change_password
    assert "theirs               hr (must change password)" in runner.invoke(args=["users", "list"]).output
    weak = runner.invoke(args=["users", "create", "weak", "--role", "hr", "--password", "Password123!"])
    assert weak.exit_code != 0 and "too easy to guess" in weak.output and user_named("weak") is None


# --------------------------------------------------------------------------- who may

@pytest.mark.parametrize("role", [r.value for r in Role if r != Role.admin])
def test_only_admins_administer_accounts_but_everybody_has_a_password_page(app, make_user, role):
    user = make_user(role)
    theirs = browser(app, user)
    assert theirs.get("/admin/users/").status_code == 403
    assert theirs.post_form(f"/admin/users/{user.id}/password", {"password": NEW_PASSWORD}).status_code == 403
    assert theirs.get("/account/password").status_code == 200
    home = theirs.get("/").get_data(as_text=True)
    assert 'id="tile-password"' in home and 'id="tile-users"' not in home


def test_the_home_page_links_the_admin_to_accounts_and_the_audit_log(office):
    home = office.get("/").get_data(as_text=True)
    assert 'href="/admin/users/"' in home and 'href="/admin/audit/"' in home
