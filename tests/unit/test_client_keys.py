"""Who counts as one client, and as one network, for the rate limits (#24 finding 2).

An IPv6 host picks any of the 2^64 addresses of its /64 for free: counted by the full address, every guess
would come from a fresh client. These pin that one /64 is one client and one /48 one network.
"""
from __future__ import annotations

import pytest
from flask import Flask

from app.platform.client_keys import client_key, client_key_of, network_key, network_key_of


def test_ipv6_addresses_in_one_64_are_one_client():
    assert client_key_of("2001:db8:1:2::1") == client_key_of("2001:db8:1:2:ffff:ffff:ffff:fffe") \
        == "2001:db8:1:2::/64"
    assert client_key_of("2001:db8:1:3::1") != client_key_of("2001:db8:1:2::1")


def test_ipv4_addresses_are_each_a_client():
    assert client_key_of("203.0.113.7") == "203.0.113.7"
    assert client_key_of("203.0.113.8") != client_key_of("203.0.113.7")


def test_an_ipv4_address_written_as_ipv6_is_the_ipv4_client():
    assert client_key_of("::ffff:203.0.113.7") == "203.0.113.7"
    assert network_key_of("::ffff:203.0.113.7") == "203.0.113.0/24"


@pytest.mark.parametrize("address,network", [
    ("203.0.113.7", "203.0.113.0/24"),
    ("203.0.113.250", "203.0.113.0/24"),
    ("2001:db8:1:2::1", "2001:db8:1::/48"),
    ("2001:db8:1:ffff:1:2:3:4", "2001:db8:1::/48"),
])
def test_networks_are_ipv4_24_and_ipv6_48(address, network):
    assert network_key_of(address) == network


def test_something_that_is_no_address_is_kept_as_it_is():
    assert client_key_of("unix-socket") == "unix-socket"
    assert client_key_of(None) == client_key_of("") == "127.0.0.1"
    assert client_key_of("fe80::1%eth0") == "fe80::/64"


def test_the_request_s_address_as_proxyfix_left_it():
    app = Flask(__name__)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:aa:bb:1:2:3:4"}):
        assert client_key() == "2001:db8:aa:bb::/64"
        assert network_key() == "2001:db8:aa::/48"
