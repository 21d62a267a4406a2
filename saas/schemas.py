"""Shared marshmallow pieces: Norwegian error messages, form parsing, and the error shape.

One schema validates both a web form and the JSON API, so a rule is written once.
"""
from __future__ import annotations

from typing import Any

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict

_NB_MESSAGES = {
    fields.Field: {"required": "Feltet må fylles ut.", "null": "Feltet må fylles ut.", "validator_failed": "Ugyldig verdi."},
    fields.String: {"invalid": "Må være tekst."},
    fields.Integer: {"invalid": "Må være et heltall.", "too_large": "Tallet er for stort."},
    fields.Number: {"invalid": "Må være et tall.", "too_large": "Tallet er for stort."},
    fields.Boolean: {"invalid": "Må være ja eller nei."},
    fields.Email: {"invalid": "Ugyldig e-postadresse."},
    fields.Date: {"invalid": "Ugyldig dato (bruk åååå-mm-dd).", "format": "Ugyldig dato."},
    fields.DateTime: {"invalid": "Ugyldig tidspunkt.", "format": "Ugyldig tidspunkt."},
    fields.List: {"invalid": "Må være en liste."},
    fields.Nested: {"type": "Ugyldig objekt."},
    fields.Dict: {"invalid": "Må være et objekt."},
}
for _cls, _messages in _NB_MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_messages}


def length(maximum: int, minimum: int = 0) -> validate.Length:
    if minimum:
        return validate.Length(min=minimum, max=maximum, error=f"Må være mellom {minimum} og {maximum} tegn.")
    return validate.Length(max=maximum, error=f"Kan ikke være lengre enn {maximum} tegn.")


def one_of(choices, labels=None) -> validate.OneOf:
    return validate.OneOf(choices, error="Ugyldig valg.")


def color() -> validate.Regexp:
    return validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Bruk en fargekode som #1f4e79.")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True

    @pre_load
    def _refuse_control_characters(self, data, **kwargs):
        """NUL and other control characters are never real input (and PostgreSQL refuses NUL)."""
        if isinstance(data, dict):
            bad = {k: ["Teksten inneholder ugyldige tegn."] for k, v in data.items() if isinstance(v, str) and _CONTROL.search(v)}
            if bad:
                raise ValidationError(bad)
        return data


class FieldErrors(Exception):
    """A service refused input; ``errors`` maps field names to Norwegian messages."""

    def __init__(self, errors: dict[str, list[str] | str]):
        super().__init__(errors)
        self.errors = {k: ([v] if isinstance(v, str) else list(v)) for k, v in errors.items()}


def form_to_dict(schema: Schema, form: MultiDict) -> dict[str, Any]:
    """Turn an HTML form into the shape the schema loads: unticked checkboxes are False, empty optional
    fields are None, repeated fields become lists."""
    data: dict[str, Any] = {}
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.Boolean):
            data[key] = key in form and form.get(key) not in ("", "0", "false", "off")
        elif isinstance(field, fields.List):
            data[key] = [v for v in form.getlist(key) if v != ""]
        elif key in form:
            value = form.get(key, "").strip()
            if value != "":
                data[key] = value
            elif field.required:
                data[key] = ""
            elif field.allow_none:
                data[key] = None
            # else: left out, so the field's default applies
    return data


def load_form(schema: Schema, form: MultiDict, **kwargs) -> dict[str, Any]:
    """Validate a form; raise ``FieldErrors`` with Norwegian messages."""
    try:
        return schema.load(form_to_dict(schema, form), **kwargs)
    except ValidationError as error:
        raise FieldErrors(flatten_errors(error.messages)) from None


def load_json(schema: Schema, payload: Any, **kwargs) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise FieldErrors({"_body": ["Forventet et JSON-objekt."]})
    try:
        return schema.load(payload, **kwargs)
    except ValidationError as error:
        raise FieldErrors(flatten_errors(error.messages)) from None


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors → {"field" or "list.0.field": [messages]}."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_errors(value, path))
    return flat
