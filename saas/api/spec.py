"""The OpenAPI 3 document, generated from the marshmallow schemas at /api/v1/openapi.json.

It declares what the API really answers: every status code (400 for control characters or a number out of
range in the URL, 401, 402 for a write while the subscription has lapsed, 403 where a role is required, 404,
409 where an operation can conflict, 413 for a body over the limit, 422 naming the field, 503 when the
database does not answer), binary responses (PDF, CSV, uploaded files) with their content types, multipart
request bodies for uploads, dates and times as ISO 8601 and numeric bounds as numbers.  schemathesis checks
the document against the running API in the test suite (tests/functional/test_openapi_conformance.py).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify
from marshmallow import fields

from saas.api.core import MAX_PER_PAGE, api_blueprint

OPERATIONS: list[dict] = []
WRITE_METHODS = ("post", "put", "patch", "delete")

STATUS_TEXT = {
    400: "Ugyldige tegn (f.eks. NUL) i sti, spørring eller tekst, eller et tall utenfor gyldig område",
    401: "Mangler eller ugyldig token",
    402: "Abonnementet er ikke betalt: bare lesetilgang",
    403: "Rollen din gir ikke tilgang til dette",
    404: "Finnes ikke (eller tilhører en annen tilbyder)",
    409: "I konflikt med tilstanden (f.eks. allerede avgjort, ikke klar ennå)",
    413: "Forespørselen er for stor",
    422: "Ugyldige data: `fields` navngir hvert felt",
    503: "Databasen svarer ikke akkurat nå; prøv igjen",
}


def query(name: str, schema: dict | None = None, description: str = "") -> dict:
    """A query parameter for ``documented(query=...)``."""
    param = {"name": name, "in": "query", "required": False, "schema": schema or {"type": "string"}}
    if description:
        param["description"] = description
    return param


def documented(path: str, method: str, summary: str, *, request=None, response=None, many: bool = False,
               params: tuple = (), status: int = 200, tag: str = "", query: tuple = (), responses: dict | None = None,
               binary: tuple[str, ...] = (), multipart: dict | None = None, request_body: dict | None = None,
               empty: bool = False):
    """Record an operation for the OpenAPI document (``path`` is relative to /api/v1/t/{slug}).

    ``request``/``response`` are marshmallow schemas (``many`` wraps the response in the page envelope);
    ``query`` lists query parameters (see ``query()``); ``responses`` adds status codes the operation answers
    besides the common ones ({code: description} or {code: (description, schema)}); ``binary`` gives the
    content types of a file response; ``multipart`` is the JSON schema of a multipart/form-data body;
    ``request_body`` a JSON schema for a body no marshmallow schema describes; ``empty`` a response without a body.
    """

    def decorator(view):
        OPERATIONS.append(dict(path=path, method=method, summary=summary, request=request, response=response,
                               many=many, params=params, status=status, tag=tag, view=view.__name__, query=query,
                               responses=responses or {}, binary=binary, multipart=multipart,
                               request_body=request_body, empty=empty or status == 204))
        return view

    return decorator


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def _ref(schema) -> dict:
    return {"$ref": f"#/components/schemas/{_schema_name(schema)}"}


ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _email_may_be_empty(self, field, ret, **kwargs) -> dict:
    """An optional e-mail field holds "" when none was given: say so, instead of a bare ``format: email``."""
    if isinstance(field, fields.Email) and not field.required and ret.get("format") == "email":
        del ret["format"]
        return {"anyOf": [{"format": "email"}, {"maxLength": 0}]}
    return {}


def _plain_numbers(value: Any) -> Any:
    """Decimal bounds and defaults (``maximum: "999999999.000"``) as JSON numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def _map_custom_fields(plugin: MarshmallowPlugin) -> None:
    """The product's own marshmallow fields, typed as they appear in JSON."""
    from saas.billing.schemas import Money, Quantity
    from saas.hms.schemas_actions import ReminderDays
    from saas.surveys.schemas import GroupLines

    plugin.map_to_openapi_type(Money, "integer", None)
    plugin.map_to_openapi_type(GroupLines, "string", None)
    plugin.map_to_openapi_type(ReminderDays, "array", None)
    plugin.map_to_openapi_type(Quantity, "number", None)


def _roles_required(view_name: str) -> bool:
    view = current_app.view_functions.get(f"api_tenant.{view_name}")
    return bool(getattr(view, "required_roles", None))


def _success(op: dict) -> dict:
    if op["empty"]:
        return {"description": "OK"}
    files = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in op["binary"]}
    if op["binary"] and op["response"] is None:
        return {"description": "The file", "content": files}
    ref = _ref(op["response"]) if op["response"] is not None else {"type": "object"}
    if op["many"]:
        ref = {"type": "object", "required": ["items", "total", "page", "per_page", "pages"], "properties": {
            "items": {"type": "array", "items": ref}, "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1}, "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1}}}
    return {"description": "OK", "content": {**_json(ref), **files}}


def _operation(op: dict, spec: APISpec) -> dict:
    parameters = [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]
    parameters += [{"name": p, "in": "path", "required": True,
                    "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2**31 - 1}}
                   for p in op["params"]]
    if op["many"]:
        parameters += [query("page", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
                       query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE})]
    parameters += list(op["query"])

    has_body = op["request"] is not None or op["multipart"] is not None or op["request_body"] is not None
    codes: dict[int, Any] = {400: None, 401: None, 404: None, 503: None}
    if op["method"] in WRITE_METHODS:
        codes[402] = None
    if _roles_required(op["view"]):
        codes[403] = None
    if has_body:
        codes[413] = None
    if has_body or op["many"] or op["query"] or op["method"] in WRITE_METHODS:
        codes[422] = None  # a body or query that does not validate, or a change the record's state refuses
    codes.update(op["responses"])

    responses: dict[str, Any] = {str(op["status"]): _success(op)}
    for code in sorted(codes):
        extra = codes[code]
        if isinstance(extra, tuple):
            description, schema = extra
            if schema is not None and not isinstance(schema, dict) and _schema_name(schema) not in spec.components.schemas:
                spec.components.schema(_schema_name(schema), schema=schema)
            body = schema if isinstance(schema, dict) else (_ref(schema) if schema is not None else ERROR)
            responses[str(code)] = {"description": description, "content": _json(body)}
        else:
            responses[str(code)] = {"description": extra or STATUS_TEXT.get(code, ""), "content": _json(ERROR)}

    operation: dict[str, Any] = {
        "summary": op["summary"], "operationId": op["view"], "tags": [op["tag"]] if op["tag"] else [],
        "security": [{"bearer": []}], "parameters": parameters, "responses": responses,
    }
    if op["request"] is not None:
        operation["requestBody"] = {"required": True, "content": _json(_ref(op["request"]))}
    elif op["multipart"] is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op["multipart"]}}}
    elif op["request_body"] is not None:
        operation["requestBody"] = {"required": True, "content": _json(op["request_body"])}
    return operation


def build_spec() -> dict:
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="HMS-sertifisering API", version="1.0.0", openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Tenant resources under /api/v1/t/{slug}. Authenticate with `Authorization: Bearer <token>` "
                             "(create one with `saas token create EMAIL` or on the account page). Validation errors answer 422 "
                             "with `fields` naming each field; control characters anywhere in a request answer 400. "
                             "Dates are ISO 8601 (`2026-12-06`), times ISO 8601 with offset (`2026-12-06T01:42:24+00:00`); "
                             "amounts are integer øre."},
    )
    _map_custom_fields(plugin)
    plugin.converter.add_attribute_function(_email_may_be_empty)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "required": ["message"], "properties": {
        "error": {"oneOf": [{"type": "string"}, {"type": "integer"}]}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}})
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        for schema in (op["request"], op["response"]):
            # Nested schemas register themselves under their own names when their parent is registered.
            if schema is not None and _schema_name(schema) not in spec.components.schemas:
                spec.components.schema(_schema_name(schema), schema=schema)
        paths.setdefault("/api/v1/t/{slug}" + op["path"], {})[op["method"]] = _operation(op, spec)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _plain_numbers(spec.to_dict())


@api_blueprint.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
