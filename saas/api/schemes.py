"""/api/v1/t/<slug>/: schemes, their versions, and the impartiality and competence register."""
from __future__ import annotations

from flask import Response, abort
from flask_login import current_user

from saas.api.core import json_body, page_body, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemes import editor, register, services
from saas.schemes.schemas import (CompetenceOutSchema, CompetenceSchema, DraftSchema, DraftSettingsInSchema, EndSchema,
                                  LibrarySchemeSchema, NewSchemeSchema, PublishSchema, RequirementInSchema,
                                  SchemeDetailSchema, SchemeOutSchema, SchemeVersionInSchema, ScopeChangeSchema,
                                  ScopeInSchema, ScopeOutFullSchema, TieOutSchema, TieSchema)

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


# -- the editor: new schemes from the library, a draft version, publishing it --------------------------

def _no_content():
    """204 with no body and no Content-Type (an empty text/html answer would be an undocumented type)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def _existing(scheme_id: int) -> None:
    """404 for another tenant's (or no) scheme, before the body is read: a 422 would reveal the id."""
    try:
        services.get_scheme(current_session(), scheme_id)
    except services.SchemeNotFound:
        abort(404)


def _draft_body(scheme_id: int) -> dict:
    return DraftSchema().dump(editor.draft_page(current_session(), scheme_id))


@tenant_api.errorhandler(editor.VersionPublished)
def _version_published(error):
    return {"error": "conflict", "message": "En publisert versjon kan ikke endres. Lag et nytt utkast."}, 409


@tenant_api.get("/scheme-library")
@admin_required
@documented("/scheme-library", "get", "The built-in schemes a new scheme can be made from (admin)",
            response=LibrarySchemeSchema, many=True, tag=TAG)
def scheme_library():
    items = [dict(code=c, name=n) for c, n in editor.library_choices()]
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.post("/schemes")
@admin_required
@documented("/schemes", "post", "Make a scheme from a built-in one (admin): inactive, with a draft version 1 to edit "
            "and publish", request=NewSchemeSchema, response=DraftSchema, status=201, tag=TAG)
def create_scheme():
    scheme = editor.create_from_library(current_session(), current_user, json_body(NewSchemeSchema()))
    return _draft_body(scheme.id), 201


@tenant_api.get("/schemes/<int:scheme_id>/draft")
@admin_required
@documented("/schemes/{scheme_id}/draft", "get", "The draft version being edited: settings, catalogue, scopes "
            "(404: no draft)", response=DraftSchema, params=("scheme_id",), tag=TAG)
def get_draft(scheme_id: int):
    try:
        return _draft_body(scheme_id)
    except services.SchemeNotFound:
        abort(404)


@tenant_api.post("/schemes/<int:scheme_id>/draft")
@admin_required
@documented("/schemes/{scheme_id}/draft", "post", "Start a draft version (a copy of the current one), or return the "
            "draft being edited", response=DraftSchema, params=("scheme_id",), status=201, tag=TAG)
def start_draft(scheme_id: int):
    try:
        editor.start_draft(current_session(), current_user, scheme_id)
        return _draft_body(scheme_id), 201
    except services.SchemeNotFound:
        abort(404)


@tenant_api.put("/schemes/<int:scheme_id>/draft")
@admin_required
@documented("/schemes/{scheme_id}/draft", "put", "Replace the draft's settings (validated; 422 names the setting by "
            "its dotted path)", request=DraftSettingsInSchema, response=DraftSchema, params=("scheme_id",), tag=TAG)
def save_draft(scheme_id: int):
    _existing(scheme_id)
    data = json_body(DraftSettingsInSchema())
    try:
        editor.save_settings(current_session(), current_user, scheme_id, data["settings"], data["note"])
        return _draft_body(scheme_id)
    except services.SchemeNotFound:
        abort(404)


@tenant_api.delete("/schemes/<int:scheme_id>/draft")
@admin_required
@documented("/schemes/{scheme_id}/draft", "delete", "Discard the draft (a scheme never published keeps it)",
            params=("scheme_id",), status=204, tag=TAG)
def discard_draft(scheme_id: int):
    try:
        editor.discard_draft(current_session(), current_user, scheme_id)
    except services.SchemeNotFound:
        abort(404)
    return _no_content()


@tenant_api.post("/schemes/<int:scheme_id>/draft/publish")
@admin_required
@documented("/schemes/{scheme_id}/draft/publish", "post", "Publish the draft as the scheme's next version; what was "
            "issued under earlier versions keeps them", request=PublishSchema, response=SchemeDetailSchema,
            params=("scheme_id",), tag=TAG)
def publish_draft(scheme_id: int):
    _existing(scheme_id)
    data = json_body(PublishSchema())
    try:
        editor.publish_draft(current_session(), current_user, scheme_id, data["note"])
        return SchemeDetailSchema().dump(services.scheme_detail(current_session(), scheme_id))
    except services.SchemeNotFound:
        abort(404)


@tenant_api.post("/schemes/<int:scheme_id>/draft/requirements")
@admin_required
@documented("/schemes/{scheme_id}/draft/requirements", "post", "Add a requirement (clause id and title) to the "
            "draft's catalogue", request=RequirementInSchema, response=DraftSchema, params=("scheme_id",),
            status=201, tag=TAG)
def add_requirement(scheme_id: int):
    _existing(scheme_id)
    data = json_body(RequirementInSchema())
    try:
        editor.add_requirement(current_session(), scheme_id, data)
        return _draft_body(scheme_id), 201
    except services.SchemeNotFound:
        abort(404)


@tenant_api.put("/schemes/<int:scheme_id>/draft/requirements/<int:requirement_id>")
@admin_required
@documented("/schemes/{scheme_id}/draft/requirements/{requirement_id}", "put", "Change a requirement of the draft "
            "(409: it belongs to a published version)", request=RequirementInSchema, response=DraftSchema,
            params=("scheme_id", "requirement_id"), responses={409: "The requirement belongs to a published version"},
            tag=TAG)
def update_requirement(scheme_id: int, requirement_id: int):
    _existing(scheme_id)
    data = json_body(RequirementInSchema())
    try:
        editor.update_requirement(current_session(), scheme_id, requirement_id, data)
        return _draft_body(scheme_id)
    except services.SchemeNotFound:
        abort(404)


@tenant_api.delete("/schemes/<int:scheme_id>/draft/requirements/<int:requirement_id>")
@admin_required
@documented("/schemes/{scheme_id}/draft/requirements/{requirement_id}", "delete", "Take a requirement out of the "
            "draft (409: it belongs to a published version)", params=("scheme_id", "requirement_id"), status=204,
            responses={409: "The requirement belongs to a published version"}, tag=TAG)
def remove_requirement(scheme_id: int, requirement_id: int):
    try:
        editor.remove_requirement(current_session(), scheme_id, requirement_id)
    except services.SchemeNotFound:
        abort(404)
    return _no_content()


@tenant_api.post("/schemes/<int:scheme_id>/scopes")
@admin_required
@documented("/schemes/{scheme_id}/scopes", "post", "Add a fagområde (scope) to the scheme", request=ScopeInSchema,
            response=ScopeOutFullSchema, params=("scheme_id",), status=201, tag=TAG)
def add_scope(scheme_id: int):
    _existing(scheme_id)
    data = json_body(ScopeInSchema())
    try:
        scope = editor.add_scope(current_session(), current_user, scheme_id, data)
    except services.SchemeNotFound:
        abort(404)
    return ScopeOutFullSchema().dump(scope), 201


@tenant_api.put("/schemes/<int:scheme_id>/scopes/<int:scope_id>")
@admin_required
@documented("/schemes/{scheme_id}/scopes/{scope_id}", "put", "Rename a fagområde or take it out of use (never "
            "deleted)", request=ScopeChangeSchema, response=ScopeOutFullSchema, params=("scheme_id", "scope_id"), tag=TAG)
def update_scope(scheme_id: int, scope_id: int):
    _existing(scheme_id)
    data = json_body(ScopeChangeSchema())
    try:
        scope = editor.update_scope(current_session(), current_user, scheme_id, scope_id, data)
    except services.SchemeNotFound:
        abort(404)
    return ScopeOutFullSchema().dump(scope)


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
