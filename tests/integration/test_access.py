"""Every page declares who may open it; the declared rules are enforced."""
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Blueprint

from app.platform.access import AccessRule, rule_for
from app.platform.roles import Role

STAFF_ROLES = [r.value for r in Role]


def test_every_endpoint_declares_an_access_rule(app):
    undeclared = [rule.endpoint for rule in app.url_map.iter_rules() if rule_for(rule.endpoint) is None]
    assert undeclared == []


def test_an_endpoint_without_a_rule_is_refused_even_to_admins(app, make_user):
    bp = Blueprint("forgotten", __name__)

    @bp.route("/forgotten")
    def forgotten():
        return "secret"

    app.register_blueprint(bp)
    client = app.test_client()
    client.post_form("/login", {"username": make_user("admin").username, "password": "correct horse battery"})
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_anonymous_browser_is_redirected_to_login_with_next(client):
    response = client.get("/admin/departments/?kind=service")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/admin/departments/?kind=service"]


def test_anonymous_json_client_gets_401(client):
    response = client.get("/admin/departments/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


def test_wrong_role_gets_403_page_and_json(client, make_user, login):
    login(make_user("liaison"))
    page = client.get("/admin/departments/")
    assert page.status_code == 403
    assert "您没有权限" in page.get_data(as_text=True)
    api = client.get("/admin/departments/", headers={"Accept": "application/json"})
    assert api.status_code == 403
    assert api.get_json() == {"error": "forbidden"}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_department_pages_by_role(client, make_user, login, role):
    """The list is for staff who work with departments; changes are for admins only."""
    login(make_user(role))
    list_status = client.get("/admin/departments/").status_code
    new_status = client.get("/admin/departments/new").status_code
    assert list_status == (403 if role == "liaison" else 200)
    assert new_status == (200 if role == "admin" else 403)


def test_admin_holds_every_role(make_user):
    rule = AccessRule(roles=frozenset({Role.auditor}))
    assert rule.allows(make_user("admin", username="root"))
    assert rule.allows(make_user("auditor", username="jjw"))
    assert not rule.allows(make_user("hr", username="khb"))
    assert not AccessRule(roles=frozenset({Role.hr})).allows(make_user("liaison", username="lly"))


@pytest.mark.parametrize("path", ["/complaints/", "/complaints/new", "/complaints/track", "/s"])
def test_visitor_pages_leave_the_cookies_alone_once_the_session_is_set(client, path):
    """The public's pages set the session once (a form's CSRF secret) and then never rewrite it."""
    client.get(path)
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.getlist("Set-Cookie") == []


def test_a_visitor_page_neither_shows_nor_ends_a_staff_login_in_the_same_browser(client, make_user, login):
    handler = make_user("complaints", username="handler-on-a-shared-pc")
    login(handler)
    page = client.get("/complaints/new")
    assert page.status_code == 200 and page.headers.getlist("Set-Cookie") == []
    assert "handler-on-a-shared-pc" not in page.get_data(as_text=True)  # filed as a member of the public
    assert client.get("/admin/complaints/").status_code == 200  # still logged in
