"""The per-account back-off of staff logins: wrong passwords (and wrong second-factor codes) at one account,
from any address, past LOGIN_BACKOFF_FREE_FAILURES within LOGIN_BACKOFF_WINDOW_HOURS, hold up logins from
unknown devices for a delay that doubles with each further failure (LOGIN_BACKOFF_FIRST_SECONDS up to
LOGIN_BACKOFF_MAX_SECONDS). A known device (app/accounts/devices.py) is not held up, so that nobody can keep the
owner out by typing wrong passwords for the account — unless that device itself typed as many wrong ones as
anybody gets free (its cookie may have been stolen).

While an account is held up, a login from an unknown device is not checked at all: the same answer whatever the
password, which therefore reveals nothing and counts as no guess. The account is named by a keyed digest of the
typed username, so an unknown username backs off exactly like an existing one (nothing tells them apart).

The counters live in the rate limiter's storage (Redis when there is one, shared by every worker).
"""
from __future__ import annotations

import math
import time

from flask import current_app

from app.extensions import limiter


def _key(account: str, *parts: object) -> str:
    return ":".join([current_app.config["RATELIMIT_KEY_PREFIX"], "login-backoff", account, *map(str, parts)])


def _delay(failures: int) -> int:
    """Seconds unknown devices wait after this many failures (none before the free ones are used up)."""
    config = current_app.config
    beyond = failures - config["LOGIN_BACKOFF_FREE_FAILURES"]
    if beyond < 0:
        return 0
    return min(config["LOGIN_BACKOFF_FIRST_SECONDS"] * 2 ** min(beyond, 32), config["LOGIN_BACKOFF_MAX_SECONDS"])


def record_failure(account: str, device_id: int | None = None) -> None:
    """A wrong password or code for ``account`` (a keyed digest), from the known device ``device_id`` if one:
    count it, and start the delay it earns."""
    storage = limiter.storage
    window = current_app.config["LOGIN_BACKOFF_WINDOW_HOURS"] * 3600
    if device_id is not None:
        storage.incr(_key(account, "device", device_id), window)
    failures = storage.incr(_key(account, "failures"), window)
    delay = _delay(failures)
    if delay:
        # A key of this failure count, which expires with the delay: a later failure makes a longer one.
        storage.incr(_key(account, "until", failures), delay)


def wait_seconds(account: str) -> int:
    """How long unknown devices must still wait before a login to ``account`` is checked again; 0 for none."""
    storage = limiter.storage
    failures = storage.get(_key(account, "failures"))
    if _delay(failures) == 0:
        return 0
    until = _key(account, "until", failures)
    if not storage.get(until):
        return 0
    return max(1, math.ceil(storage.get_expiry(until) - time.time()))


def device_passes(account: str, device_id: int | None) -> bool:
    """Whether a known device still passes the back-off: not after as many wrong passwords or codes of its own
    within the window as anybody gets free (a stolen device cookie is worth a few guesses, not thousands)."""
    if device_id is None:
        return False
    wrong = limiter.storage.get(_key(account, "device", device_id))
    return wrong < current_app.config["LOGIN_BACKOFF_FREE_FAILURES"]
