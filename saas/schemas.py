"""Shared marshmallow pieces: bokmål error messages (translated for the request's language), form parsing,
and the error shape.

One schema validates both a web form and the JSON API, so a rule is written once.
"""
from __future__ import annotations

from typing import Any

import re

from flask_babel import LazyString, gettext, lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from werkzeug.datastructures import MultiDict


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it here.  marshmallow only treats a plain ``str``
    field message as a message (anything else becomes the error structure itself), so these stay bokmål
    until ``flatten_errors`` translates them for the request's language."""
    return message


_NB_MESSAGES = {
    fields.Field: {"required": N_("Feltet må fylles ut."), "null": N_("Feltet må fylles ut."),
                   "validator_failed": N_("Ugyldig verdi.")},
    fields.String: {"invalid": N_("Må være tekst.")},
    fields.Integer: {"invalid": N_("Må være et heltall."), "too_large": N_("Tallet er for stort.")},
    fields.Number: {"invalid": N_("Må være et tall."), "too_large": N_("Tallet er for stort.")},
    fields.Boolean: {"invalid": N_("Må være ja eller nei.")},
    fields.Email: {"invalid": N_("Ugyldig e-postadresse.")},
    fields.Date: {"invalid": N_("Ugyldig dato (bruk åååå-mm-dd)."), "format": N_("Ugyldig dato.")},
    fields.DateTime: {"invalid": N_("Ugyldig tidspunkt."), "format": N_("Ugyldig tidspunkt.")},
    fields.List: {"invalid": N_("Må være en liste.")},
    fields.Nested: {"type": N_("Ugyldig objekt.")},
    fields.Dict: {"invalid": N_("Må være et objekt.")},
}
for _cls, _messages in _NB_MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_messages}


# Validators are built when a schema class is defined, so their messages are lazy: marshmallow calls
# .format() on them while validating, which translates them for the request's language.
def length(maximum: int, minimum: int = 0) -> validate.Length:
    if minimum:
        return validate.Length(min=minimum, max=maximum,
                               error=lazy_gettext("Må være mellom %(min)s og %(max)s tegn.", min=minimum, max=maximum))
    return validate.Length(max=maximum, error=lazy_gettext("Kan ikke være lengre enn %(max)s tegn.", max=maximum))


def one_of(choices, labels=None) -> validate.OneOf:
    return validate.OneOf(choices, error=lazy_gettext("Ugyldig valg."))


def color() -> validate.Regexp:
    return validate.Regexp(r"^#[0-9a-fA-F]{6}$", error=lazy_gettext("Bruk en fargekode som #1f4e79."))


class PastDate(fields.Date):
    """A date the certificate rules count (performed, held, assessed, reviewed, attested): never after today
    in Oslo.  A future date would be stored quietly and start counting the day it arrives."""

    def _deserialize(self, value, attr, data, **kwargs):
        from saas.i18n import today_in_oslo

        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed is not None and parsed > today_in_oslo():
            raise ValidationError(N_("Datoen kan ikke være frem i tid."))
        return parsed


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # PostgreSQL ``integer``, the type of every integer column


def _within_integer_column() -> validate.Range:
    return validate.Range(min=INT_MIN, max=INT_MAX, error=lazy_gettext("Tallet er for stort."))


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True

    def on_bind_field(self, field_name, field_obj):
        """Every integer field (and a list's integers) stays within the database's ``integer`` unless its own
        range is narrower, so no input overflows a column (and the OpenAPI document states the bounds)."""
        for field in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(field, fields.Integer) and not any(
                    isinstance(v, validate.Range) and v.max is not None and v.min is not None for v in field.validators):
                field.validators.append(_within_integer_column())

    @pre_load
    def _refuse_control_characters(self, data, **kwargs):
        """NUL and other control characters are never real input (and PostgreSQL refuses NUL)."""
        if isinstance(data, dict):
            bad = {k: [N_("Teksten inneholder ugyldige tegn.")] for k, v in data.items() if isinstance(v, str) and _CONTROL.search(v)}
            if bad:
                raise ValidationError(bad)
        return data


class FieldErrors(Exception):
    """A service refused input; ``errors`` maps field names to messages (bokmål, or the request's language
    where the message was translated).  Lazy messages become ``str`` here, so the API can serialise them."""

    def __init__(self, errors: dict[str, list[str] | str]):
        super().__init__(errors)
        self.errors = {k: [str(m) for m in ([v] if isinstance(v, (str, LazyString)) else v)] for k, v in errors.items()}


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
    """Validate a JSON object.  ``partial=True`` (a PATCH) lets top-level fields be left out; an object given
    inside it (a price, a group) must still be whole."""
    if not isinstance(payload, dict):
        raise FieldErrors({"_body": [gettext("Forventet et JSON-objekt.")]})
    if kwargs.get("partial") is True:
        kwargs["partial"] = tuple(schema.load_fields)
    try:
        return schema.load(payload, **kwargs)
    except ValidationError as error:
        raise FieldErrors(flatten_errors(error.messages)) from None


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors → {"field" or "list.0.field": [messages]}, translated for the request."""
    if isinstance(messages, list):
        return {prefix or "_schema": [gettext(m) if isinstance(m, str) and m else str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_errors(value, path))
    return flat
