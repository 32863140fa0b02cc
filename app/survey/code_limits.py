"""Limits on typed access codes that an outsider cannot turn against respondents (#24 finding 2).

Only WRONG codes count; a correct one is never counted. Three counts, each over the limiter's storage (memory
or Redis) with the ``limits`` package's moving window, so that the longer windows are the back-off:

- per client (an IPv4 address, an IPv6 /64: app/platform/client_keys.py), ``ACCESS_CODE_RATE_LIMIT``;
- per network (an IPv4 /24, an IPv6 /48), ``ACCESS_CODE_NETWORK_RATE_LIMIT``, larger: hopping from one /64 to
  the next, or along a /24, does not buy more guesses;
- per code prefix (its first ``ACCESS_CODE_PREFIX_LENGTH`` characters, kept only as a keyed hash, never in
  clear), ``ACCESS_CODE_PREFIX_RATE_LIMIT``: one code cannot be hammered from many addresses.

A client or network over its limit is refused before its code is looked at: it has been guessing. A prefix over
its limit refuses only clients that have typed a wrong code in the client's longest window: a respondent typing
the right code from a clean connection gets in whatever others have typed, and somebody hammering one prefix
gets one guess per fresh client a day. There is no global cap: nobody's guessing can shut the page for all.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

from flask import current_app
from limits import RateLimitItem, parse_many
from limits.storage import MovingWindowSupport
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from app.extensions import limiter
from app.platform import readable_codes
from app.platform.client_keys import client_key, network_key
from app.platform.errors import RetryLater


def _strategy() -> RateLimiter:
    storage = limiter.storage
    return MovingWindowRateLimiter(storage) if isinstance(storage, MovingWindowSupport) \
        else FixedWindowRateLimiter(storage)


def _limits(setting: str) -> list[RateLimitItem]:
    return parse_many(current_app.config[setting])


def prefix_digest(code: str) -> str | None:
    """The keyed hash of a typed code's prefix (None when too short to have one): the storage never holds it."""
    length = current_app.config["ACCESS_CODE_PREFIX_LENGTH"]
    typed = readable_codes.normalise(code)
    if length <= 0 or len(typed) < length:
        return None
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, b"access-code-prefix:" + typed[:length].encode("ascii", "replace"),
                    hashlib.sha256).hexdigest()[:32]


class Guard:
    """The counts that a code typed by this request's client falls under."""

    def __init__(self, code: str):
        namespace = current_app.config["RATELIMIT_KEY_PREFIX"]  # the limiter's, so that one reset clears all
        self.strategy = _strategy()
        self.client = (_limits("ACCESS_CODE_RATE_LIMIT"), (namespace, "access-code-client", client_key()))
        self.network = (_limits("ACCESS_CODE_NETWORK_RATE_LIMIT"),
                        (namespace, "access-code-network", network_key()))
        digest = prefix_digest(code)
        self.prefix = (_limits("ACCESS_CODE_PREFIX_RATE_LIMIT"), (namespace, "access-code-prefix", digest)) \
            if digest else None

    def refusal(self) -> RetryLater | None:
        """Why this code must not even be looked at, with how long to wait; None when it may be."""
        if not limiter.enabled:
            return None
        full = self._full(*self.client) + self._full(*self.network)
        if not full and self.prefix is not None:
            locked = self._full(*self.prefix)
            full = locked if locked and not self._clean() else []
        if not full:
            return None
        return RetryLater(timedelta(seconds=max(self._wait(item, ids) for item, ids in full)))

    def count_wrong(self) -> None:
        """A wrong code: one more on each count."""
        if not limiter.enabled:
            return
        for items, ids in filter(None, (self.client, self.network, self.prefix)):
            for item in items:
                self.strategy.hit(item, *ids)

    def _full(self, items: list[RateLimitItem], ids: tuple[str, ...]) -> list[tuple[RateLimitItem, tuple]]:
        return [(item, ids) for item in items if not self.strategy.test(item, *ids)]

    def _clean(self) -> bool:
        """Whether this client has typed no wrong code within its longest window."""
        items, ids = self.client
        return all(self.strategy.get_window_stats(item, *ids).remaining >= item.amount for item in items)

    def _wait(self, item: RateLimitItem, ids: tuple[str, ...]) -> float:
        """Seconds until this count takes a guess again."""
        return max(1.0, self.strategy.get_window_stats(item, *ids).reset_time - time.time())
