"""The API blueprint, its error shape and pagination."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, make_response, request

from saas.hygiene import db_int
from saas.pagination import page_count
from saas.auth import tenant_blueprint
from saas.schemas import FieldErrors, load_json

api_blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
tenant_api = tenant_blueprint("api_tenant", __name__, api=True)
MAX_PER_PAGE = 200


def field_error_response(error: FieldErrors):
    return jsonify(error="validation_failed", message="Ugyldige data.", fields=error.errors), 422


@tenant_api.errorhandler(FieldErrors)
def _field_errors(error: FieldErrors):
    return field_error_response(error)


def json_body(schema, **kwargs) -> dict:
    """Parse the request body with ``schema``; FieldErrors (422) for bad data, 400 for a non-JSON body."""
    if not request.is_json:
        raise FieldErrors({"_body": ["Forventet Content-Type: application/json."]})
    payload = request.get_json(silent=True)
    if payload is None:
        raise FieldErrors({"_body": ["Ugyldig JSON."]})
    return load_json(schema, payload, **kwargs)


def pagination() -> tuple[int, int]:
    """``page`` and ``per_page`` from the query: 422 for what is not a positive whole number, 400 for a number
    beyond any page the database can count to (it would overflow the query's OFFSET)."""

    def number(name: str, default: int) -> int:
        raw = request.args.get(name, str(default))
        if not raw.isascii() or not raw.isdigit() or raw.strip("0") == "":
            raise FieldErrors({name: ["Må være et positivt heltall."]})
        value = db_int(raw.lstrip("0"))
        if value is None:
            abort(make_response(jsonify(error="bad_request", message="Ugyldig forespørsel.",
                                        fields={name: ["Tallet er for stort."]}), 400))
        return value

    return number("page", 1), min(number("per_page", 50), MAX_PER_PAGE)


def page_body(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total, "pages": page_count(total, per_page)}
