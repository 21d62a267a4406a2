"""Attempt counters for password checks (login, the account page's current password): atomic, expiring,
and per (address, client) so an attacker elsewhere cannot lock the real owner out.

An attempt takes its slot BEFORE the password is checked (one atomic increment: Redis ``INCR`` in
production, a locked counter in memory otherwise), so a burst of parallel requests can never get more
than the limit checked; a success clears the counter.  Counters live in the rate limiter's storage
(``RATELIMIT_STORAGE_URI``, Redis when ``REDIS_URL`` is set); when that storage fails, a process-local
counter takes over rather than letting every attempt through.
"""
from __future__ import annotations

import hashlib
import logging
import threading

from flask import current_app
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

log = logging.getLogger(__name__)

LOGIN = "login"
CURRENT_PASSWORD = "current-password"

_fallback = MemoryStorage()
_fallback_lock = threading.Lock()


def _limit_text() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _strategies() -> list[FixedWindowRateLimiter]:
    from saas.app import limiter

    strategies = []
    try:
        strategies.append(FixedWindowRateLimiter(limiter.storage))
    except AssertionError:  # the limiter is not initialised (a bare app in a script)
        pass
    strategies.append(FixedWindowRateLimiter(_fallback))
    return strategies


def _key(*parts: str) -> str:
    # Addresses are hashed so the limiter's storage holds no e-mail addresses.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _hit(limit_text: str, *identifiers: str) -> bool:
    item = parse(limit_text)
    primary, *rest = _strategies()
    try:
        return primary.hit(item, *identifiers)
    except Exception:  # storage down: count here instead (per process) rather than not at all
        log.warning("rate limit storage unavailable; counting attempts in memory", exc_info=True)
        with _fallback_lock:
            return (rest[-1] if rest else primary).hit(item, *identifiers)


def _clear(limit_text: str, *identifiers: str) -> None:
    item = parse(limit_text)
    for strategy in _strategies():
        try:
            strategy.clear(item, *identifiers)
        except Exception:
            log.warning("could not clear an attempt counter", exc_info=True)


def take_attempt(scope: str, subject: str, client: str) -> bool:
    """Take one attempt for ``subject`` (an e-mail address or a user id) from ``client`` (an IP address);
    False when the limit is used up (refuse without checking the password)."""
    return _hit(_limit_text(), scope, _key((subject or "").strip().lower(), client or ""))


def succeeded(scope: str, subject: str, client: str) -> None:
    """The right password: this subject's counter from this client starts again."""
    _clear(_limit_text(), scope, _key((subject or "").strip().lower(), client or ""))


def reset_fallback() -> None:
    """Tests: forget the process-local counters."""
    _fallback.reset()
