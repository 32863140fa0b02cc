"""Limits on the access-code page that an outsider cannot turn against respondents (#24 finding 2).

The review filled a global cap of 600 guesses a minute from 62 addresses, after which a respondent from a fresh
address got 429. Now only wrong codes count, per client (IPv6 by /64), per network (/24, /48) and per code
prefix; a correct code from a clean client always gets in. Shipped settings unless a test says otherwise; works
with the in-memory limiter and with Redis (the conftest resets the storage around each test).
"""
from __future__ import annotations

import re

import pytest

from app.platform.readable_codes import ALPHABET
from app.rounds.models import LinkMode
from tests.integration.survey_helpers import issue_secrets, open_round
from tests.integration.test_rate_limits import limiter_keys

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
SURVEY_START = "/s/survey"


class CodePage:
    """One browser on the code page; each post may come from another address (as behind many proxies)."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = CSRF.search(self.client.get("/s").get_data(as_text=True)).group(1)

    def post(self, code: str, ip: str):
        response = self.client.post("/s", data={"csrf_token": self.token, "code": code},
                                    environ_base={"REMOTE_ADDR": ip})
        if response.status_code == 302:  # got in: a fresh session, so a fresh form for the next one
            self.token = CSRF.search(self.client.get("/s").get_data(as_text=True)).group(1)
        return response

    def status(self, code: str, ip: str) -> int:
        return self.post(code, ip).status_code


@pytest.fixture
def codes(app, make_department) -> list[str]:
    """The access codes of an open round (code mode), as the SMS carried them."""
    campaign = open_round(make_department, link_mode=LinkMode.code, members=5)
    return [code for _invitation, code in issue_secrets(campaign, "code")]


def wrong(i: int, prefix: str | None = None) -> str:
    """A wrong code of the right shape: six digits (the alphabet has no 0 or 1, so it never matches a real code)
    after ``prefix``, by default four letters that differ from one ``i`` to the next."""
    if prefix is None:
        prefix = "".join(ALPHABET[(i // 31 ** k) % 31] for k in range(4))
    return prefix + f"{i % 100000:05d}0"


def assert_got_in(response) -> None:
    assert response.status_code == 302 and response.headers["Location"] == SURVEY_START


@pytest.mark.parametrize("address", [lambda i: f"10.{i}.0.7", lambda i: f"2001:db8:77:{i:x}::1"],
                         ids=["62 IPv4 addresses", "62 IPv6 /64s"])
def test_a_fresh_address_with_a_valid_code_gets_in_while_many_addresses_guess(app, codes, address):
    """The review's reproduction: 62 sources x 10 wrong codes (620 guesses) filled the global cap of 600."""
    page = CodePage(app)
    for i in range(62):
        for j in range(10):
            page.status(wrong(i * 10 + j), address(i))
    assert page.status(wrong(5000), address(3)) == 429  # the guessers are stopped …
    assert_got_in(page.post(codes[0], "198.51.100.23"))  # … a respondent from elsewhere is not


def test_ipv6_addresses_in_one_64_share_one_count(app):
    page = CodePage(app)
    limit = int(app.config["ACCESS_CODE_RATE_LIMIT"].split()[0])
    statuses = [page.status(wrong(i), f"2001:db8:5:6::{i + 1:x}") for i in range(limit)]
    assert statuses == [200] * limit
    refused = page.post(wrong(99), "2001:db8:5:6:ffff:1234:abcd:1")  # another address of the same /64
    assert refused.status_code == 429
    assert page.status(wrong(98), "2001:db8:5:7::1") == 200  # the next /64 is another client


def test_hopping_along_64s_of_one_48_is_capped_per_network(app):
    page = CodePage(app)
    per_client = int(app.config["ACCESS_CODE_RATE_LIMIT"].split()[0])
    per_network = int(app.config["ACCESS_CODE_NETWORK_RATE_LIMIT"].split()[0])
    statuses = [page.status(wrong(i), f"2001:db8:9:{i // per_client:x}::1") for i in range(per_network)]
    assert statuses == [200] * per_network  # each /64 stays within its own limit
    assert page.status(wrong(per_network), "2001:db8:9:ffff::1") == 429  # a fresh /64 of the same /48
    assert page.status(wrong(per_network + 1), "2001:db8:10::1") == 200  # another /48


def test_wrong_codes_beyond_the_per_client_limit_get_the_chinese_429_page_and_correct_ones_never_count(app, codes):
    page = CodePage(app)
    limit = int(app.config["ACCESS_CODE_RATE_LIMIT"].split()[0])
    for _ in range(limit):  # a respondent opening the survey again and again with the code from the SMS
        assert_got_in(page.post(codes[1], "203.0.113.5"))
    statuses = [page.status(wrong(i), "203.0.113.5") for i in range(limit)]
    assert statuses == [200] * limit  # only these count
    refused = page.post(wrong(limit), "203.0.113.5")
    assert refused.status_code == 429
    text = refused.get_data(as_text=True).replace(" ", "")
    assert "尝试次数过多，最多等待" in text and "后即可重试" in text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Blocked now, the client's code is not even looked at: the limit is no oracle.
    assert page.status(codes[2], "203.0.113.5") == 429


def test_a_valid_code_is_not_blocked_by_a_prefix_lock_of_others(app, codes):
    """Somebody who knows a respondent's first characters hammers them from 62 addresses, 10 guesses each."""
    page = CodePage(app)
    target = codes[0]
    for i in range(62):
        for j in range(10):
            page.status(wrong(i * 10 + j, target[:4]), f"10.{i}.1.1")
    assert page.status(wrong(9999, target[:4]), "10.5.1.1") == 429
    assert_got_in(page.post(target.lower(), "198.51.100.99"))  # the respondent, from a clean connection


def test_the_prefix_limit_blocks_a_spread_attack_on_one_prefix(app):
    page = CodePage(app)
    per_prefix = int(app.config["ACCESS_CODE_PREFIX_RATE_LIMIT"].split()[0])
    # One guess each from many networks: no client, no network is anywhere near its own limit.
    statuses = [page.status(wrong(i, "WXYZ"), f"10.{i}.2.1") for i in range(per_prefix)]
    assert statuses == [200] * per_prefix
    assert page.status(wrong(500, "wxyz"), "10.0.2.1") == 429  # the prefix is locked (typed in any case)
    assert page.status(wrong(501, "WXYZ"), "10.99.2.1") == 200  # a clean client gets one look, then …
    assert page.status(wrong(502, "WXYZ"), "10.99.2.1") == 429  # … it is refused on this prefix too
    assert page.status(wrong(503, "MNPQ"), "10.0.2.1") == 200  # another prefix is not locked
    assert not any("WXYZ" in key.upper() for key in limiter_keys())  # the prefix is stored only as a keyed hash


def test_every_per_client_limit_counts_an_ipv6_client_by_its_64(app, client):
    """The limiter's default key is the client (app/platform/client_keys.py): here the survey link's limit."""
    app.config["SURVEY_TOKEN_RATE_LIMIT"] = "3 per minute"
    statuses = [client.get(f"/s/{'x' * 21}{i}", environ_base={"REMOTE_ADDR": f"2001:db8:3:4::{i + 1:x}"}).status_code
                for i in range(4)]
    assert statuses == [404, 404, 404, 429]  # four addresses, one /64: one client
    assert client.get("/s/" + "y" * 22, environ_base={"REMOTE_ADDR": "2001:db8:3:5::1"}).status_code == 404
