"""/api/v1/t/<slug>/companies"""
from __future__ import annotations

import dataclasses

from flask import abort, g
from flask_login import current_user
from marshmallow import fields

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import staff_required
from saas.clients import services
from saas.clients.contacts import invite_contact
from saas.clients.schemas import CompanyListItemSchema, CompanySchema, ContactSchema, SubUnitSchema
from saas.clients.services import SORTS
from saas.clients.views import CLASS_FILTERS, filter_from_args
from saas.db import current_session
from flask import request


class NewContactSchema(ContactSchema):
    invite = fields.Boolean(load_default=False, load_only=True,
                            metadata={"description": "true sends the contact an invitation to log in"})


def _company(company_id: int, **kwargs):
    try:
        return services.get_company(current_session(), current_user, company_id, **kwargs)
    except services.NotFound:
        abort(404)


@tenant_api.get("/companies")
@documented("/companies", "get", "List client companies (search q, consultant, archived=1, class=A+|A|B|none, expiring=<days>, "
            "sort=name|-name|city|employees|created)",
            response=CompanyListItemSchema, many=True, tag="companies",
            query=(query("q", {"type": "string", "maxLength": 100}), query("consultant", {"type": "integer", "minimum": 0}),
                   query("archived", {"type": "string", "enum": ["0", "1"]}), query("class", {"type": "string", "enum": list(CLASS_FILTERS)}),
                   query("expiring", {"type": "integer", "minimum": 0}),
                   query("sort", {"type": "string", "enum": [p + s for s in SORTS for p in ("", "-")]})))
def list_companies():
    page, per_page = pagination()
    flt = filter_from_args(request.args)
    result = services.list_companies(current_session(), current_user, dataclasses.replace(flt, page=page, per_page=per_page))
    return page_body(result.items, result.total, page, per_page)


@tenant_api.post("/companies")
@staff_required
@documented("/companies", "post", "Create a client company", request=CompanySchema, response=CompanySchema, status=201, tag="companies")
def create_company():
    data = json_body(CompanySchema())
    company = services.create_company(current_session(), current_user, data)
    return CompanySchema().dump(company), 201


@tenant_api.get("/companies/<int:company_id>")
@documented("/companies/{company_id}", "get", "One client company with sub-units and contacts", response=CompanySchema, params=("company_id",), tag="companies")
def get_company(company_id: int):
    return CompanySchema().dump(_company(company_id, with_details=True))


@tenant_api.patch("/companies/<int:company_id>")
@staff_required
@documented("/companies/{company_id}", "patch", "Update fields of a client company", request=CompanySchema, response=CompanySchema, params=("company_id",), tag="companies")
def update_company(company_id: int):
    company = _company(company_id)
    current = {k: v for k, v in CompanySchema().dump(company).items() if k in CompanySchema().load_fields}
    changes = json_body(CompanySchema(), partial=True)
    payload = {**CompanySchema().load({**current, "org_number": company.org_number}), **changes}
    services.update_company(current_session(), current_user, company, payload)
    return CompanySchema().dump(company)


@tenant_api.delete("/companies/<int:company_id>")
@staff_required
@documented("/companies/{company_id}", "delete", "Archive a client company (never hard-deleted)", response=CompanySchema, params=("company_id",), tag="companies")
def archive_company(company_id: int):
    company = _company(company_id)
    services.set_archived(current_session(), current_user, company, True)
    return CompanySchema().dump(company)


@tenant_api.post("/companies/<int:company_id>/sub-units")
@staff_required
@documented("/companies/{company_id}/sub-units", "post", "Add a sub-unit", request=SubUnitSchema, response=SubUnitSchema, params=("company_id",), status=201, tag="companies")
def add_sub_unit(company_id: int):
    unit = services.add_sub_unit(current_session(), current_user, _company(company_id), json_body(SubUnitSchema()))
    return SubUnitSchema().dump(unit), 201


@tenant_api.post("/companies/<int:company_id>/contacts")
@staff_required
@documented("/companies/{company_id}/contacts", "post", "Add a contact person (invite=true gives a login)", request=NewContactSchema, response=ContactSchema, params=("company_id",), status=201, tag="companies")
def add_contact(company_id: int):
    company = _company(company_id)
    data = json_body(NewContactSchema())
    invite = data.pop("invite")
    contact = services.add_contact(current_session(), current_user, company, data)
    if invite:
        invite_contact(current_session(), g.tenant, current_user, contact)
    return ContactSchema().dump(contact), 201
