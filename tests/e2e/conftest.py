"""Browser tests: the app served on a free local port, driven by Debian's Chromium through Playwright.

The whole directory is skipped, with the reason in the summary, when Chromium
(``/usr/bin/chromium`` or ``CHROMIUM_PATH``) or the ``playwright`` package is
missing. Playwright never downloads a browser here: it launches the system one.

Each test gets the suite's own database (``app`` in tests/conftest.py: a copy of
the migrated SQLite template, or the shared PostgreSQL database) served by a
threaded werkzeug server; the test seeds what its scenario starts from through
the services, and the scenario itself acts through the browser. CSRF stays on,
jobs run inline, SMS go to the console outbox.

Artefacts: every test saves a full-page screenshot of its final page in
``artifacts/screenshots/<test name>.png`` (and ``<test name>-failed-<n>.png``
for each open page when it fails), and what axe-core found on each page it checked
in ``artifacts/accessibility/<test name>.txt``. ``E2E_ARTIFACTS`` moves ``artifacts/``.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def _skip_reason() -> str | None:
    if not os.path.isfile(CHROMIUM) or not os.access(CHROMIUM, os.X_OK):
        return (f"browser tests skipped: no Chromium at {CHROMIUM} "
                "(apt-get install chromium, or set CHROMIUM_PATH)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


SKIP_REASON = _skip_reason()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so that fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --------------------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


# --------------------------------------------------------------------------- the live server

class LiveServer:
    def __init__(self, app):
        from flask import got_request_exception
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, *args, **kwargs):  # one line per request would drown the output
                pass

        self.app = app
        self.errors: list[str] = []
        # Render the 500 page as production does, and remember the exception: the test fails on it.
        app.config["PROPAGATE_EXCEPTIONS"] = False
        got_request_exception.connect(self._record, app)
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="e2e-live-server", daemon=True)
        self.thread.start()

    def _record(self, sender, exception, **extra):
        self.errors.append(f"{type(exception).__name__}: {exception}")

    def stop(self):
        from flask import got_request_exception

        self.server.shutdown()
        self.thread.join(10)
        self.server.server_close()
        got_request_exception.disconnect(self._record, self.app)


@pytest.fixture
def live_server(app):
    """The test's app on http://127.0.0.1:<free port>; a server error fails the test."""
    server = LiveServer(app)
    yield server
    server.stop()
    assert not server.errors, f"the server failed while the browser used it: {server.errors}"


# --------------------------------------------------------------------------- contexts, pages, artefacts

class Session:
    """Browser contexts for one test: a desktop for staff, phones (with or without JavaScript) for the public."""

    def __init__(self, browser, server: LiveServer, name: str):
        from tests.e2e.support import Accessibility

        self.browser, self.server, self.name = browser, server, name
        self.a11y = Accessibility(name)
        self.contexts = []
        for stale in ARTIFACTS.glob(f"{name}-failed-*.png"):  # from an earlier failed run
            stale.unlink()
        self.page_errors: list[str] = []

    def _context(self, **options):
        context = self.browser.new_context(base_url=self.server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           accept_downloads=True, **options)
        context.set_default_timeout(10_000)
        context.on("page", self._watch)
        self.contexts.append(context)
        return context

    def _watch(self, page):
        # A script error or a CSP violation (an inline script or style) shows up as one of these.
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: message.type == "error" and not message.text.startswith(
            "Failed to load resource") and self.page_errors.append(f"{page.url}: {message.text}"))

    def desktop(self, javascript: bool = True):
        """A new desktop page (1280×900), with or without JavaScript."""
        return self._context(java_script_enabled=javascript, viewport={"width": 1280, "height": 900}).new_page()

    def phone(self, javascript: bool = True):
        """A new page on a phone-sized screen (390×844), with or without JavaScript."""
        return self._context(java_script_enabled=javascript, **PHONE).new_page()

    def screenshot(self, page, suffix: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self, failed: bool):
        if failed:
            pages = [p for c in self.contexts for p in c.pages]
            for n, page in enumerate(pages, start=1):
                try:
                    self.screenshot(page, f"-failed-{n}")
                except Exception:  # a crashed page: keep closing the others  # noqa: BLE001
                    pass
        for context in self.contexts:
            context.close()


@pytest.fixture
def session(request, browser, live_server):
    """Open pages with ``session.desktop()`` / ``session.phone(javascript=…)``; save the final page with
    ``session.screenshot(page)``; check accessibility with ``session.a11y.check(page, label)``.
    Script errors and CSP violations in any page fail the test."""
    current = Session(browser, live_server, request.node.name)
    yield current
    report = getattr(request.node, "report_call", None)
    current.close(failed=report is None or report.failed)
    if report is not None and report.passed:
        assert not current.page_errors, f"errors in the browser console: {current.page_errors}"
