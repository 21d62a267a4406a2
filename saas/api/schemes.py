"""/api/v1/t/<slug>/: schemes, their versions, and the impartiality and competence register."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from saas.api.core import json_body, page_body, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemes import register, services
from saas.schemes.schemas import (CompetenceOutSchema, CompetenceSchema, EndSchema, SchemeDetailSchema, SchemeOutSchema,
                                  SchemeVersionInSchema, TieOutSchema, TieSchema)

TAG = "schemes"


@tenant_api.get("/schemes")
@staff_required
@documented("/schemes", "get", "The tenant's certification schemes with their current version's key settings",
            response=SchemeOutSchema, many=True, tag=TAG)
def list_schemes():
    items = SchemeOutSchema(many=True).dump(services.scheme_overview(current_session()))
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.get("/schemes/<int:scheme_id>")
@staff_required
@documented("/schemes/{scheme_id}", "get", "One scheme: current settings, requirement catalogue, scopes, versions",
            response=SchemeDetailSchema, params=("scheme_id",), tag=TAG)
def get_scheme(scheme_id: int):
    try:
        return SchemeDetailSchema().dump(services.scheme_detail(current_session(), scheme_id))
    except services.SchemeNotFound:
        abort(404)


@tenant_api.post("/schemes/<int:scheme_id>/versions")
@admin_required
@documented("/schemes/{scheme_id}/versions", "post",
            "Publish a new version of a scheme's settings (validated; 422 names the setting).  What was issued "
            "under earlier versions keeps them", request=SchemeVersionInSchema, response=SchemeDetailSchema,
            params=("scheme_id",), status=201, tag=TAG)
def publish_version(scheme_id: int):
    session = current_session()
    try:
        scheme = services.get_scheme(session, scheme_id)
    except services.SchemeNotFound:
        abort(404)
    data = json_body(SchemeVersionInSchema())
    services.publish_version(session, scheme, data["settings"], note=data["note"], actor_id=current_user.id)
    return SchemeDetailSchema().dump(services.scheme_detail(session, scheme_id)), 201


@tenant_api.get("/ties")
@staff_required
@documented("/ties", "get", "Registered ties of staff to client companies (consulted, trained, employed, family, "
            "financial)", response=TieOutSchema, many=True, tag=TAG)
def list_ties():
    items = TieOutSchema(many=True).dump(register.register_page(current_session(), today_in_oslo())["ties"])
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.post("/ties")
@admin_required
@documented("/ties", "post", "Register a tie (admin)", request=TieSchema, response=TieOutSchema, status=201, tag=TAG)
def add_tie():
    session = current_session()
    tie = register.add_tie(session, current_user, json_body(TieSchema()))
    page = register.register_page(session, today_in_oslo())
    return TieOutSchema().dump(next(t for t in page["ties"] if t["id"] == tie.id)), 201


@tenant_api.post("/ties/<int:tie_id>/end")
@admin_required
@documented("/ties/{tie_id}/end", "post", "End a tie on a date (admin); ties are never deleted",
            request=EndSchema, params=("tie_id",), tag=TAG)
def end_tie(tie_id: int):
    try:
        register.get_tie(current_session(), tie_id)
        tie = register.end_tie(current_session(), current_user, tie_id, json_body(EndSchema())["on"])
    except register.RegisterNotFound:
        abort(404)
    return {"id": tie.id, "to_on": tie.to_on.isoformat()}


@tenant_api.get("/companies/<int:company_id>/ties")
@staff_required
@documented("/companies/{company_id}/ties", "get", "Every tie to one company: registered and derived from HMS work",
            response=TieOutSchema, many=True, params=("company_id",), tag=TAG)
def company_ties(company_id: int):
    from saas.clients.models import ClientCompany

    session = current_session()
    if session.get(ClientCompany, company_id) is None:
        abort(404)
    items = TieOutSchema(many=True).dump(register.company_ties(session, company_id))
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.get("/competences")
@staff_required
@documented("/competences", "get", "Approved competence per person, scheme, scope and function, with expiry",
            response=CompetenceOutSchema, many=True, tag=TAG)
def list_competences():
    items = CompetenceOutSchema(many=True).dump(register.register_page(current_session(), today_in_oslo())["competences"])
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.post("/competences")
@admin_required
@documented("/competences", "post", "Register a competence (admin)", request=CompetenceSchema,
            response=CompetenceOutSchema, status=201, tag=TAG)
def add_competence():
    session = current_session()
    competence = register.add_competence(session, current_user, json_body(CompetenceSchema()))
    page = register.register_page(session, today_in_oslo())
    return CompetenceOutSchema().dump(next(c for c in page["competences"] if c["id"] == competence.id)), 201


@tenant_api.post("/competences/<int:competence_id>/expire")
@admin_required
@documented("/competences/{competence_id}/expire", "post", "Let a competence expire on a date (admin)",
            request=EndSchema, params=("competence_id",), tag=TAG)
def expire_competence(competence_id: int):
    try:
        register.get_competence(current_session(), competence_id)
        competence = register.expire_competence(current_session(), current_user, competence_id,
                                                json_body(EndSchema())["on"])
    except register.RegisterNotFound:
        abort(404)
    return {"id": competence.id, "expires_on": competence.expires_on.isoformat()}
