"""The OpenAPI 3 document, generated from the marshmallow schemas at /api/v1/openapi.json."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify

from saas.api.core import api_blueprint

OPERATIONS: list[dict] = []


def documented(path: str, method: str, summary: str, *, request=None, response=None, many: bool = False,
               params: tuple = (), status: int = 200, tag: str = ""):
    """Record an operation for the OpenAPI document (``path`` is relative to /api/v1/t/{slug})."""

    def decorator(view):
        OPERATIONS.append(dict(path=path, method=method, summary=summary, request=request, response=response,
                               many=many, params=params, status=status, tag=tag, view=view.__name__))
        return view

    return decorator


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema")


def build_spec() -> dict:
    spec = APISpec(
        title="HMS-sertifisering API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Tenant resources under /api/v1/t/{slug}. Authenticate with `Authorization: Bearer <token>` "
                             "(create one with `saas token create EMAIL` or on the account page). Validation errors answer 422 "
                             "with `fields` naming each field."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", {"type": "object", "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}})
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        for schema in (op["request"], op["response"]):
            # Nested schemas register themselves under their own names when their parent is registered.
            if schema is not None and _schema_name(schema) not in spec.components.schemas:
                spec.components.schema(_schema_name(schema), schema=schema)
        parameters = [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}]
        parameters += [{"name": p, "in": "path", "required": True, "schema": {"type": "integer"}} for p in op["params"]]
        if op["many"]:
            parameters += [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                           {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}]
        ref = {"$ref": f"#/components/schemas/{_schema_name(op['response'])}"} if op["response"] is not None else {"type": "object"}
        body = {"type": "object", "properties": {"items": {"type": "array", "items": ref}, "total": {"type": "integer"},
                                                   "page": {"type": "integer"}, "per_page": {"type": "integer"}, "pages": {"type": "integer"}}} if op["many"] else ref
        operation = {
            "summary": op["summary"], "operationId": op["view"], "tags": [op["tag"]] if op["tag"] else [],
            "security": [{"bearer": []}], "parameters": parameters,
            "responses": {str(op["status"]): {"description": "OK", "content": {"application/json": {"schema": body}}},
                          "401": {"description": "Mangler eller ugyldig token"},
                          "404": {"description": "Finnes ikke (eller tilhører en annen tilbyder)"},
                          "422": {"description": "Ugyldige data", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
        }
        if op["request"] is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(op['request'])}"}}}}
        paths.setdefault("/api/v1/t/{slug}" + op["path"], {})[op["method"]] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@api_blueprint.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
