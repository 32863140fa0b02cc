"""Issue 24, finding 6: the development server's request log and Flask's log never hold a secret path."""
from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request

from werkzeug.routing import AnyConverter, IntegerConverter
from werkzeug.serving import make_server

from app.platform.log_masking import mask_secrets

TOKEN = "Zx8kQ2mN4pR7tV1wAbCdEf"


def test_the_development_server_logs_a_link_without_its_token(app, caplog):
    """A real request through Werkzeug's server: its request log shows the path's shape, not the token."""
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in (f"/s/{TOKEN}", "/s/survey"):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=10).read()
                except urllib.error.HTTPError:
                    pass  # an unknown link is a 404 page; a redirect to the code page is followed
    finally:
        server.shutdown()
        thread.join(10)
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "werkzeug")
    assert TOKEN not in logged
    assert "GET /s/*** HTTP/1.1" in logged
    assert "GET /s/survey HTTP/1.1" in logged  # ordinary paths stay readable
    assert "127.0.0.1" in logged


def test_flask_logs_a_failing_link_without_its_token(app, caplog):
    """Flask's "Exception on <path>" line goes through the application's logger, which is filtered too."""
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on %s [%s]", f"/s/{TOKEN}", "GET")
    assert TOKEN not in caplog.text
    assert "Exception on /s/*** [GET]" in caplog.text


# Text variables that are not secrets: who may open these pages is decided by the login, not by the address.
# (endpoint, or a blueprint's "name.", and the variable)
NOT_SECRET = {
    ("static", "filename"), ("assets.", "name"),  # static files
    ("pool.", "key"),  # a member's key, staff only
    ("pool.", "fmt"), ("realtime.", "fmt"),  # csv, xlsx, png, svg
    ("auth.", "code"),  # a language: zh or en
    ("realtime.", "rating_id"),  # admins' review of ratings
    ("questionnaires.", "loc"),  # a question's place in the builder
    ("questionnaires.", "key"),  # a questionnaire template's name (department, enterprise, …)
    # A complaint's tracking number on staff pages: alone it does not open the public tracking page, which
    # also wants the query code, sent in a form (POST), never in an address.
    ("complaints.", "number"),
    # A forum problem's number: staff pages, or the enterprise's pages, which open only with its link's session.
    ("forum.", "number"),
    # A published policy item's code (/w/apply/<code>, /w/ask/<code>): public, printed on the item's page.
    ("policy_window_public.", "code"),
    ("policy_public.", "code"),  # the public catalogue's item page
    # An application's number on the window's and the departments' pages: the enterprise's tracking page opens
    # only with its link's token (/w/<token>, masked), never with the number.
    ("policy_window.", "number"), ("policy_decisions.", "number"),
    # An enterprise's unified social credit code on the policy officer's profile pages: a public registration
    # number (printed on its business licence), and staff only.
    ("profiles.show", "code"), ("profiles.edit", "code"), ("profiles.restore_push", "code"),
}


def _known_not_secret(endpoint: str, name: str) -> bool:
    return any((endpoint == known or known.endswith(".") and endpoint.startswith(known)) and name == variable
               for known, variable in NOT_SECRET)


def test_every_route_with_a_text_variable_is_masked_or_known_not_secret(app):
    """A new route that carries a secret in its path must be added to app.platform.log_masking."""
    unmasked = []
    for rule in app.url_map.iter_rules():
        texts = [name for name, converter in rule._converters.items()
                 if not isinstance(converter, (IntegerConverter, AnyConverter))]  # numbers and fixed words
        if all(_known_not_secret(rule.endpoint, name) for name in texts):
            continue
        values = {name: "7" if isinstance(converter, IntegerConverter) else
                  sorted(converter.items)[0] if isinstance(converter, AnyConverter) else f"SeCrEt{name}"
                  for name, converter in rule._converters.items()}
        path = rule.build(values, append_unknown=False)[1]
        if any(f"SeCrEt{name}" in mask_secrets(f"GET {path} HTTP/1.1") for name in texts):
            unmasked.append(f"{rule.endpoint} {rule.rule}")
    assert unmasked == [], "\n".join(unmasked)
