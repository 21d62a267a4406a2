"""Schemas of schemes and the impartiality/competence register: one per form and API body."""
from __future__ import annotations

from marshmallow import fields, validates_schema

from saas.schemas import BaseSchema, length, one_of
from saas.schemes.models import COMPETENCE_FUNCTIONS, TIE_KINDS


class TieSchema(BaseSchema):
    user_id = fields.Integer(required=True)
    company_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=one_of(TIE_KINDS))
    from_on = fields.Date(required=True)
    to_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=length(2000))


class TieOutSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    user_name = fields.String()
    company_id = fields.Integer()
    company_name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    from_on = fields.Date()
    to_on = fields.Date(allow_none=True)
    note = fields.String()
    ongoing = fields.Boolean()
    source = fields.String()


class EndSchema(BaseSchema):
    on = fields.Date(required=True)


class CompetenceSchema(BaseSchema):
    user_id = fields.Integer(required=True)
    scheme_id = fields.Integer(required=True)
    scope_id = fields.Integer(load_default=None, allow_none=True)
    function = fields.String(required=True, validate=one_of(COMPETENCE_FUNCTIONS))
    valid_from = fields.Date(required=True)
    expires_on = fields.Date(load_default=None, allow_none=True)
    note = fields.String(load_default="", validate=length(2000))


class CompetenceOutSchema(BaseSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    user_name = fields.String()
    scheme_id = fields.Integer()
    scheme_name = fields.String()
    scope_id = fields.Integer(allow_none=True)
    scope_name = fields.String()
    function = fields.String()
    function_label = fields.String()
    valid_from = fields.Date()
    expires_on = fields.Date(allow_none=True)
    note = fields.String()
    valid = fields.Boolean()


class ScopeOutSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class SchemeOutSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    kind = fields.String()
    name = fields.String()
    active = fields.Boolean()
    builtin = fields.Boolean()
    version = fields.Integer(allow_none=True)
    version_id = fields.Integer(allow_none=True)
    validity_months = fields.Integer(allow_none=True)
    surveillance = fields.String(allow_none=True)
    scopes = fields.List(fields.Nested(ScopeOutSchema))


class RequirementOutSchema(BaseSchema):
    id = fields.Integer()
    clause = fields.String()
    title = fields.String()
    text = fields.String()
    section = fields.String()


class SchemeDetailSchema(SchemeOutSchema):
    settings = fields.Dict()
    requirements = fields.List(fields.Nested(RequirementOutSchema))
    versions = fields.List(fields.Dict())


class SchemeVersionInSchema(BaseSchema):
    settings = fields.Dict(required=True)
    note = fields.String(load_default="", validate=length(2000))
