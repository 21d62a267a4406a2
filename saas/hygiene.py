"""Input hygiene at the HTTP edge, in one place for every page and the API.

- NUL and other control characters (and lone UTF-16 surrogates) are never real input: PostgreSQL refuses NUL
  in text, a driver cannot encode a surrogate, and neither belongs in a name or a note.  A request that carries
  one in its path, a query parameter, a form field (or a file name) or a JSON string is refused with 400 naming
  the field, before any view runs.  Tab, line feed and carriage return are text (a textarea sends them).
- Integers in URLs and query strings stay within the database's ``integer`` range: the ``int`` URL converter
  answers 404 for a larger id, and ``db_int`` parses query values.
- Dates and times leave as ISO 8601 (Flask's default JSON writes RFC 1123, which the OpenAPI document's
  ``date-time`` does not describe).
"""
from __future__ import annotations

import re
from datetime import date, datetime
from itertools import chain
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # PostgreSQL ``integer``: every id column and most counts
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _up_to(limit: int) -> str:
    """A regular expression (no capturing groups) for the decimal numbers 0..limit, leading zeros allowed."""
    digits = str(limit)
    width = len(digits)
    options = [f"[0-9]{{1,{width - 1}}}"] if width > 1 else []
    for position, digit in enumerate(digits):
        low = 1 if position == 0 and width > 1 else 0
        if int(digit) > low:
            rest = width - position - 1
            options.append(digits[:position] + f"[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    options.append(digits)
    return "0*(?:" + "|".join(options) + ")"


class DatabaseIntConverter(IntegerConverter):
    """``<int:id>`` that matches only ids the database can hold, so a longer number is a 404, not an overflow.

    The bound is in the regular expression itself: werkzeug answers 405 instead of 404 when a rule's path
    matches and only its converter refuses the value while another method's rule has the same path."""

    regex = _up_to(INT_MAX)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = INT_MAX,
                 signed: bool = False) -> None:
        bounded = INT_MAX if max is None or max > INT_MAX else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bounded, signed=signed)


class IsoJSONProvider(DefaultJSONProvider):
    """JSON with ISO 8601 dates and times (``2026-12-06T01:42:24+00:00``, ``2026-12-06``)."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


def db_int(raw: Any, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """``raw`` as an int when it is a plain decimal number (ASCII digits) within [minimum, maximum], else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw) if raw is not None else ""
        if not text or len(text) > 19 or not text.isascii() or not text.isdigit():
            return None
        value = int(text)
    return value if minimum <= value <= maximum else None


def raw_body(view):
    """Mark a view that reads its body itself (a signed webhook): its JSON is not inspected here."""
    view.raw_body = True
    return view


def _json_offences(payload: Any) -> dict[str, list[str]]:
    """Paths ("lines.0.description") of JSON strings and keys with control characters; iterative, so a deeply
    nested body cannot exhaust the stack."""
    bad: dict[str, list[str]] = {}
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if TEXT_CONTROL.search(value):
                bad[path or "_body"] = [_message()]
        elif isinstance(value, dict):
            for key, item in value.items():
                if ANY_CONTROL.search(key):
                    bad[path or "_body"] = [_message()]
                    continue
                stack.append((f"{path}.{key}" if path else key, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))
    return bad


def _message() -> str:
    return gettext("Teksten inneholder ugyldige tegn.")


def _check(bad: dict[str, list[str]], fallback: str, key: str | None, value: str | None, name_like: bool = False) -> None:
    """Record ``key`` (or ``fallback`` when the key itself is the problem) if it or its value has control
    characters.  A malformed multipart part can come without a name (``None``)."""
    key, value = key or "", value or ""
    if ANY_CONTROL.search(key):
        bad[fallback] = [_message()]
    elif (ANY_CONTROL if name_like else TEXT_CONTROL).search(value):
        bad[key] = [_message()]


def offending_fields() -> dict[str, list[str]]:
    """Every place of the current request that carries a control character, by field name."""
    bad: dict[str, list[str]] = {}
    if ANY_CONTROL.search(request.path):
        bad["_path"] = [_message()]
    for key, value in request.args.items(multi=True):
        _check(bad, "_query", key, value)
    if request.mimetype in FORM_TYPES:
        fields = list(request.form.items(multi=True))
        # One search over every name and value first (a survey posts some fifty fields): only a form with a
        # control character, line feeds included, is looked at field by field.
        if ANY_CONTROL.search("".join(filter(None, chain.from_iterable(fields)))):  # a multipart name may be None
            for key, value in fields:
                _check(bad, "_form", key, value)
        for key, upload in request.files.items(multi=True):
            _check(bad, "_form", key, upload.filename or "", name_like=True)
    elif request.is_json and not getattr(current_app.view_functions.get(request.endpoint), "raw_body", False):
        try:
            payload = request.get_json(silent=True)
        except RecursionError:
            return {**bad, "_body": [gettext("Ugyldig JSON.")]}
        bad.update(_json_offences(payload))
    return bad


def _refuse(fields: dict[str, list[str]]) -> Response:
    message = gettext("Forespørselen inneholder ugyldige tegn.")
    if request.path.startswith("/api/") or request.is_json or request.accept_mimetypes.best == "application/json":
        return make_response(jsonify(error="invalid_characters", message=message, fields=fields), 400)
    return make_response(render_template("errors/error.html", code=400, message=message), 400)


def init_input_hygiene(app: Flask) -> None:
    """Register the ``int`` converter (before any blueprint adds its rules) and the request check.  The check is
    an application-level URL value preprocessor: those run before the blueprints' (which look the tenant's slug
    up in the database) and before every ``before_request``."""
    app.url_map.converters["int"] = DatabaseIntConverter

    @app.url_value_preprocessor
    def refuse_control_characters(endpoint, values):
        fields = offending_fields()
        if fields:
            abort(_refuse(fields))
