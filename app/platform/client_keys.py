"""Who is asking, for the rate limits: one client, and the network it sits in.

A client is its address as ProxyFix left it in ``request.remote_addr`` (the proxy's ``X-Forwarded-For`` when
``PROXY_FIX_X_FOR`` trusts one; see docs/DEPLOYMENT.md). An IPv4 address is one client. An IPv6 host is
handed a whole /64 by its provider and can pick any of its 2^64 addresses, so an IPv6 client is its /64.
A network is what one subscriber or one small provider can hold: an IPv4 /24, an IPv6 /48.

An IPv4 address written as IPv6 (``::ffff:203.0.113.7``, from a dual-stack socket) counts as the IPv4 address.
Something that is no address at all (a test client, a unix socket) is kept as it is.
"""
from __future__ import annotations

import ipaddress

from flask import has_request_context, request

CLIENT_PREFIX = {4: 32, 6: 64}
NETWORK_PREFIX = {4: 24, 6: 48}


def _address(raw: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not raw:
        return None
    try:
        address = ipaddress.ip_address(raw.strip().split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _key(raw: str | None, prefixes: dict[int, int]) -> str:
    address = _address(raw)
    if address is None:
        return (raw or "127.0.0.1").strip() or "127.0.0.1"
    prefix = prefixes[address.version]
    if prefix == address.max_prefixlen:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def client_key_of(raw: str | None) -> str:
    """The client an address belongs to: the IPv4 address itself, or the /64 of an IPv6 address."""
    return _key(raw, CLIENT_PREFIX)


def network_key_of(raw: str | None) -> str:
    """The network an address belongs to: its IPv4 /24 or its IPv6 /48."""
    return _key(raw, NETWORK_PREFIX)


def _remote_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def client_key() -> str:
    """This request's client (the limiter's default key): IPv4 address, or IPv6 /64."""
    return client_key_of(_remote_address())


def network_key() -> str:
    """This request's network: IPv4 /24, or IPv6 /48."""
    return network_key_of(_remote_address())
