"""Every page a staff role reaches by following links, from its home page: the crawl behind the phone-width
browser test (tests/e2e/test_e2e_staff_phone.py) and the language test.

The crawl follows the links of each page, GET only, as the role's own test client; it keeps one address per
endpoint and set of query names (a list and its 30 rows are one page, not 31), and sorts what it found into
HTML pages and downloads (exports, QR codes, evidence files). It never follows the way out (logout), the
public pages (respondents', raters', complainants') or the static files.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlsplit

from werkzeug.exceptions import HTTPException

SKIPPED_PREFIXES = ("/logout", "/static/", "/assets/", "/favicon.ico", "/s/", "/r/", "/complaints/")
PAGE_LIMIT = 400


@dataclass(frozen=True)
class Found:
    path: str          # with its query string
    endpoint: str
    mimetype: str
    body: bytes

    @property
    def is_page(self) -> bool:
        return self.mimetype == "text/html"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


def _same_site_path(href: str, here: str) -> str | None:
    href, _ = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not href:
        return None
    if not parts.path.startswith("/"):
        base = here.split("?")[0].rsplit("/", 1)[0]
        href = f"{base}/{href}"
        parts = urlsplit(href)
    if parts.path.startswith(SKIPPED_PREFIXES) or parts.path == "/complaints":
        return None
    return href


def crawl(app, client, start: str = "/") -> list[Found]:
    """What `client` (logged in) reaches from `start`: one address per endpoint and set of query names."""
    adapter = app.url_map.bind("localhost")
    seen_keys: set[tuple] = set()
    queue, found = deque([start]), []
    while queue and len(found) < PAGE_LIMIT:
        path = queue.popleft()
        parts = urlsplit(path)
        try:
            endpoint, _ = adapter.match(parts.path, method="GET")
        except HTTPException:
            continue
        key = (endpoint, tuple(sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})))
        if key in seen_keys:
            continue
        seen_keys.add(key)
        response = client.get(path)
        if response.status_code != 200:
            assert response.status_code in (302, 303, 403, 404, 405), f"{path} answered {response.status_code}"
            continue
        item = Found(path, endpoint, response.mimetype, response.get_data())
        found.append(item)
        if item.is_page:
            for href in links_of(item.text):
                target = _same_site_path(href, path)
                if target is not None:
                    queue.append(target)
    return found
