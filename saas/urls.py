"""Where the product may send a browser: only to its own paths.

``safe_next`` is the one check every redirect with a user-supplied target goes through (``/login?next=``,
``POST /lang/<code>``, the evidence pages' ``next``).  Browsers are lenient in ways a prefix test misses:
they drop tabs and newlines anywhere in a URL, read a backslash as a slash, and a decoded ``%09`` or
``%5C`` may be decoded again by a proxy.  So a target is accepted only when it is a plain absolute path,
before and after percent-decoding, and anything else gives the caller's default.
"""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_LENGTH = 2000


def _plain(text: str) -> bool:
    for char in text:
        # A plain space stays a space in a path; tabs, newlines and the like are dropped by browsers.
        if char == "\\" or (char.isspace() and char != " ") or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return False
    return True


def _local_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//") or not _plain(text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def safe_next(value, default: str, prefix: str = "/") -> str:
    """``value`` when it is a path on this site starting with ``prefix``, else ``default``.

    Refused: absolute and scheme-relative URLs (``https://x``, ``//x``, ``/\\x``), other schemes
    (``javascript:``), control characters, whitespace and backslashes, raw or percent-encoded (checked on
    every decoding, so ``/%09/x``, ``/%5Cx``, ``/%2F/x`` and ``/%252F/x`` fail too).
    """
    if not isinstance(value, str) or not value or len(value) > MAX_LENGTH:
        return default
    text = value
    for _ in range(4):  # a value still changing after four decodings is not a path anyone clicked
        if not _local_path(text) or not text.startswith(prefix):
            return default
        decoded = unquote(text)
        if decoded == text:
            return value
        text = decoded
    return default


_SENTINEL = 918273645546372819  # an id no table reaches, so it appears in a built URL only where the id goes


def url_pattern(endpoint: str, key: str, **values):
    """``url_for(endpoint, key=value, **values)`` for the many ids or codes of one page: one ``url_for``
    (with a sentinel), and a function that puts each value where the sentinel was, written by the route's
    own converter for ``key`` (an int route's ``int``, a string route's percent-encoding).  A list of 25
    rows with two links each otherwise pays for 50 route builds (the tenant's slug injected into every one).
    A template global: ``{% set company_url = url_pattern('clients.detail', 'company_id') %}``."""
    from flask import current_app, url_for

    head, _sentinel, tail = url_for(endpoint, **{key: _SENTINEL}, **values).partition(str(_SENTINEL))
    rule = next(current_app.url_map.iter_rules(endpoint))
    write = rule._converters[key].to_url
    return lambda value: f"{head}{write(value)}{tail}"
