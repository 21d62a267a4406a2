"""/api/v1/t/<slug>/...: certification years, physical and psychosocial mappings, safety rounds,
compliance checks and checklist templates.  Client contacts read their own company's data; changes are
staff work (403), except answering the checklist of a mapping the company does itself."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required, staff_required
from saas.clients.services import NotFound, get_company
from saas.db import current_session
from saas.hms import schemas_work as s
from saas.hms.services import checklists, compliance, mappings, reports, rounds, years
from saas.schemas import load_json

TAG = "hms-years"


def _load(loader, object_id: int):
    try:
        return loader(current_session(), current_user, object_id)
    except NotFound:
        abort(404)


def _merged(schema, obj) -> dict:
    """PATCH: the object's current values with the body's changes, validated as a whole (422 names the field)."""
    json_body(schema, partial=True)
    changes = {k: v for k, v in request.get_json().items() if k in schema.load_fields}
    current = {k: v for k, v in schema.dump(obj).items() if k in schema.load_fields}
    return load_json(schema, {**current, **changes})


def _listed(items: list) -> dict:
    page, per_page = pagination()
    return page_body(items[(page - 1) * per_page: page * per_page], len(items), page, per_page)


# -- years ---------------------------------------------------------------------------------------------------

@tenant_api.get("/companies/<int:company_id>/years")
@documented("/companies/{company_id}/years", "get", "The company's certification years, newest first",
            response=s.YearHistorySchema, many=True, params=("company_id",), tag=TAG)
def list_years(company_id: int):
    company = _load(get_company, company_id)
    return _listed(s.YearHistorySchema(many=True).dump(years.company_years(current_session(), company.id)))


@tenant_api.post("/companies/<int:company_id>/years")
@staff_required
@documented("/companies/{company_id}/years", "post", "Open a certification year (start_from_previous copies last year's work)",
            request=s.YearOpenSchema, response=s.YearSchema, params=("company_id",), status=201, tag=TAG)
def open_year(company_id: int):
    company = _load(get_company, company_id)
    year = years.open_year(current_session(), current_user, company, json_body(s.YearOpenSchema()))
    return s.YearSchema().dump(year), 201


@tenant_api.get("/years/<int:year_id>")
@documented("/years/{year_id}", "get", "A year at a glance: mappings, risks, action plan, rounds, compliance, evidence",
            response=s.YearOverviewSchema, params=("year_id",), tag=TAG)
def get_year(year_id: int):
    return s.YearOverviewSchema().dump(years.year_overview(current_session(), _load(years.get_year, year_id)))


@tenant_api.post("/years/<int:year_id>/start-from-last-year")
@staff_required
@documented("/years/{year_id}/start-from-last-year", "post", "Copy last year's checklists, risk register and open action items",
            response=s.CarryOverSchema, params=("year_id",), tag=TAG)
def start_from_previous(year_id: int):
    return s.CarryOverSchema().dump(years.start_from_previous(current_session(), current_user, _load(years.get_year, year_id)))


# -- physical mappings -------------------------------------------------------------------------------------

def _mapping_detail(mapping) -> dict:
    data = s.PhysicalMappingSchema().dump(mapping)
    data["checklist"] = s.ChecklistRunSchema().dump(checklists.run_sections(current_session(), mapping.run))
    return data


@tenant_api.get("/years/<int:year_id>/physical-mappings")
@documented("/years/{year_id}/physical-mappings", "get", "The year's physical mappings",
            response=s.PhysicalMappingRowSchema, many=True, params=("year_id",), tag=TAG)
def list_physical(year_id: int):
    year = _load(years.get_year, year_id)
    return _listed(s.PhysicalMappingRowSchema(many=True).dump(years.physical_rows(current_session(), year.id)))


@tenant_api.post("/years/<int:year_id>/physical-mappings")
@staff_required
@documented("/years/{year_id}/physical-mappings", "post", "Start a physical mapping on a checklist's current version",
            request=s.PhysicalMappingSchema, response=s.PhysicalMappingDetailSchema, params=("year_id",), status=201, tag=TAG)
def create_physical(year_id: int):
    year = _load(years.get_year, year_id)
    mapping = mappings.create_physical(current_session(), current_user, year, json_body(s.PhysicalMappingSchema()))
    return _mapping_detail(mapping), 201


@tenant_api.get("/physical-mappings/<int:mapping_id>")
@documented("/physical-mappings/{mapping_id}", "get", "A physical mapping with its checklist answers",
            response=s.PhysicalMappingDetailSchema, params=("mapping_id",), tag=TAG)
def get_physical(mapping_id: int):
    return _mapping_detail(_load(mappings.get_physical, mapping_id)[0])


@tenant_api.patch("/physical-mappings/<int:mapping_id>")
@staff_required
@documented("/physical-mappings/{mapping_id}", "patch", "Update date, method, participants, summary, review date",
            request=s.PhysicalMappingSchema, response=s.PhysicalMappingDetailSchema, params=("mapping_id",), tag=TAG)
def update_physical(mapping_id: int):
    mapping, year = _load(mappings.get_physical, mapping_id)
    mappings.update_physical(current_session(), current_user, year, mapping, _merged(s.PhysicalMappingSchema(), mapping))
    return _mapping_detail(mapping)


@tenant_api.put("/physical-mappings/<int:mapping_id>/answers")
@documented("/physical-mappings/{mapping_id}/answers", "put",
            "Save checklist answers; a graded finding becomes an action item (client contacts: only when the company maps itself)",
            request=s.AnswersSchema, response=s.PhysicalMappingDetailSchema, params=("mapping_id",), tag=TAG,
            responses={403: "Bare når virksomheten kartlegger selv"})
def physical_answers(mapping_id: int):
    mapping, year = _load(mappings.get_physical, mapping_id)
    if not (current_user.is_staff or mapping.method == "self"):
        abort(403)
    body = json_body(s.AnswersSchema())
    mappings.save_physical_answers(current_session(), current_user, year, mapping, body["answers"], body["fill_unanswered_ok"])
    return _mapping_detail(mapping)


@tenant_api.post("/physical-mappings/<int:mapping_id>/complete")
@staff_required
@documented("/physical-mappings/{mapping_id}/complete", "post", "Complete the mapping (every item answered, date set)",
            response=s.PhysicalMappingDetailSchema, params=("mapping_id",), tag=TAG)
def complete_physical(mapping_id: int):
    mapping, year = _load(mappings.get_physical, mapping_id)
    mappings.complete_physical(current_session(), current_user, year, mapping, years.oslo_today())
    return _mapping_detail(mapping)


@tenant_api.post("/physical-mappings/<int:mapping_id>/verify")
@staff_required
@documented("/physical-mappings/{mapping_id}/verify", "post", "Verify the documentation of a mapping done by the company or a third party",
            response=s.PhysicalMappingDetailSchema, params=("mapping_id",), tag=TAG)
def verify_physical(mapping_id: int):
    mapping, year = _load(mappings.get_physical, mapping_id)
    mappings.verify_physical(current_session(), current_user, year, mapping)
    return _mapping_detail(mapping)


@tenant_api.post("/physical-mappings/<int:mapping_id>/report")
@staff_required
@documented("/physical-mappings/{mapping_id}/report", "post", "Generate the written report (PDF, in the background)",
            response=s.ReportRequestedSchema, params=("mapping_id",), status=202, tag=TAG)
def physical_report(mapping_id: int):
    mapping, year = _load(mappings.get_physical, mapping_id)
    return {"report_version": reports.request_physical_report(current_session(), current_user, year, mapping)}, 202


# -- psychosocial mappings ----------------------------------------------------------------------------------

@tenant_api.get("/years/<int:year_id>/psychosocial-mappings")
@documented("/years/{year_id}/psychosocial-mappings", "get", "The year's psychosocial mappings",
            response=s.PsychosocialRowSchema, many=True, params=("year_id",), tag=TAG)
def list_psychosocial(year_id: int):
    year = _load(years.get_year, year_id)
    return _listed(s.PsychosocialRowSchema(many=True).dump(years.psychosocial_rows(current_session(), year.id)))


@tenant_api.post("/years/<int:year_id>/psychosocial-mappings")
@staff_required
@documented("/years/{year_id}/psychosocial-mappings", "post", "Record a psychosocial mapping (no personal data)",
            request=s.PsychosocialMappingSchema, response=s.PsychosocialMappingSchema, params=("year_id",), status=201, tag=TAG)
def create_psychosocial(year_id: int):
    year = _load(years.get_year, year_id)
    psy = mappings.create_psychosocial(current_session(), current_user, year, json_body(s.PsychosocialMappingSchema()))
    return s.PsychosocialMappingSchema().dump(psy), 201


@tenant_api.get("/psychosocial-mappings/<int:psy_mapping_id>")
@documented("/psychosocial-mappings/{psy_mapping_id}", "get", "A psychosocial mapping",
            response=s.PsychosocialMappingSchema, params=("psy_mapping_id",), tag=TAG)
def get_psychosocial(psy_mapping_id: int):
    return s.PsychosocialMappingSchema().dump(_load(mappings.get_psychosocial, psy_mapping_id)[0])


@tenant_api.patch("/psychosocial-mappings/<int:psy_mapping_id>")
@staff_required
@documented("/psychosocial-mappings/{psy_mapping_id}", "patch", "Update a psychosocial mapping",
            request=s.PsychosocialMappingSchema, response=s.PsychosocialMappingSchema, params=("psy_mapping_id",), tag=TAG)
def update_psychosocial(psy_mapping_id: int):
    psy, year = _load(mappings.get_psychosocial, psy_mapping_id)
    mappings.update_psychosocial(current_session(), current_user, year, psy, _merged(s.PsychosocialMappingSchema(), psy))
    return s.PsychosocialMappingSchema().dump(psy)


@tenant_api.post("/psychosocial-mappings/<int:psy_mapping_id>/complete")
@staff_required
@documented("/psychosocial-mappings/{psy_mapping_id}/complete", "post", "Complete a psychosocial mapping",
            response=s.PsychosocialMappingSchema, params=("psy_mapping_id",), tag=TAG)
def complete_psychosocial(psy_mapping_id: int):
    psy, year = _load(mappings.get_psychosocial, psy_mapping_id)
    mappings.complete_psychosocial(current_session(), current_user, year, psy, years.oslo_today())
    return s.PsychosocialMappingSchema().dump(psy)


@tenant_api.post("/psychosocial-mappings/<int:psy_mapping_id>/report")
@staff_required
@documented("/psychosocial-mappings/{psy_mapping_id}/report", "post", "Generate the written report (PDF, in the background)",
            response=s.ReportRequestedSchema, params=("psy_mapping_id",), status=202, tag=TAG)
def psychosocial_report(psy_mapping_id: int):
    psy, year = _load(mappings.get_psychosocial, psy_mapping_id)
    return {"report_version": reports.request_psychosocial_report(current_session(), current_user, year, psy)}, 202


@tenant_api.post("/psychosocial-mappings/<int:psy_mapping_id>/findings")
@staff_required
@documented("/psychosocial-mappings/{psy_mapping_id}/findings", "post", "Put a psychosocial finding on the action plan",
            request=s.PsychosocialFindingSchema, response=s.ActionCreatedSchema, params=("psy_mapping_id",), status=201, tag=TAG)
def psychosocial_finding(psy_mapping_id: int):
    _psy, year = _load(mappings.get_psychosocial, psy_mapping_id)
    item = mappings.add_psychosocial_finding(current_session(), current_user, year, json_body(s.PsychosocialFindingSchema()))
    return s.ActionCreatedSchema().dump(item), 201


# -- safety rounds -------------------------------------------------------------------------------------------

def _round_detail(safety_round) -> dict:
    data = s.SafetyRoundSchema().dump(safety_round)
    data["checklist"] = s.ChecklistRunSchema().dump(checklists.run_sections(current_session(), safety_round.run))
    return data


@tenant_api.get("/years/<int:year_id>/safety-rounds")
@documented("/years/{year_id}/safety-rounds", "get", "The year's safety rounds (vernerunder)",
            response=s.SafetyRoundRowSchema, many=True, params=("year_id",), tag=TAG)
def list_rounds(year_id: int):
    year = _load(years.get_year, year_id)
    return _listed(s.SafetyRoundRowSchema(many=True).dump(years.round_rows(current_session(), year.id)))


@tenant_api.post("/years/<int:year_id>/safety-rounds")
@staff_required
@documented("/years/{year_id}/safety-rounds", "post", "Start a safety round on the safety-round checklist",
            request=s.SafetyRoundSchema, response=s.SafetyRoundDetailSchema, params=("year_id",), status=201, tag=TAG)
def create_round(year_id: int):
    year = _load(years.get_year, year_id)
    return _round_detail(rounds.create_round(current_session(), current_user, year, json_body(s.SafetyRoundSchema()))), 201


@tenant_api.get("/safety-rounds/<int:round_id>")
@documented("/safety-rounds/{round_id}", "get", "A safety round with its checklist",
            response=s.SafetyRoundDetailSchema, params=("round_id",), tag=TAG)
def get_round(round_id: int):
    return _round_detail(_load(rounds.get_round, round_id)[0])


@tenant_api.patch("/safety-rounds/<int:round_id>")
@staff_required
@documented("/safety-rounds/{round_id}", "patch", "Update date, location, participants, notes",
            request=s.SafetyRoundSchema, response=s.SafetyRoundDetailSchema, params=("round_id",), tag=TAG)
def update_round(round_id: int):
    safety_round, year = _load(rounds.get_round, round_id)
    rounds.update_round(current_session(), current_user, year, safety_round, _merged(s.SafetyRoundSchema(), safety_round))
    return _round_detail(safety_round)


@tenant_api.put("/safety-rounds/<int:round_id>/answers")
@staff_required
@documented("/safety-rounds/{round_id}/answers", "put", "Save the round's checklist; a graded finding becomes an action item",
            request=s.AnswersSchema, response=s.SafetyRoundDetailSchema, params=("round_id",), tag=TAG)
def round_answers(round_id: int):
    safety_round, year = _load(rounds.get_round, round_id)
    body = json_body(s.AnswersSchema())
    rounds.save_round_answers(current_session(), current_user, year, safety_round, body["answers"], body["fill_unanswered_ok"])
    return _round_detail(safety_round)


@tenant_api.post("/safety-rounds/<int:round_id>/complete")
@staff_required
@documented("/safety-rounds/{round_id}/complete", "post", "Complete the round",
            response=s.SafetyRoundDetailSchema, params=("round_id",), tag=TAG)
def complete_round(round_id: int):
    safety_round, year = _load(rounds.get_round, round_id)
    rounds.complete_round(current_session(), current_user, year, safety_round, years.oslo_today())
    return _round_detail(safety_round)


# -- compliance checks ---------------------------------------------------------------------------------------

@tenant_api.get("/years/<int:year_id>/compliance-checks")
@documented("/years/{year_id}/compliance-checks", "get", "The year's compliance checks (A2)",
            response=s.ComplianceCheckSchema, many=True, params=("year_id",), tag=TAG)
def list_checks(year_id: int):
    checks = compliance.year_checks(current_session(), _load(years.get_year, year_id))["checks"]
    return _listed(s.ComplianceCheckSchema(many=True).dump(checks))


@tenant_api.patch("/compliance-checks/<int:check_id>")
@staff_required
@documented("/compliance-checks/{check_id}", "patch", "Mark a check verified, not OK (with a note) or pending",
            request=s.ComplianceCheckSchema, response=s.ComplianceCheckSchema, params=("check_id",), tag=TAG)
def update_check(check_id: int):
    session = current_session()
    try:
        check = compliance.get_check(session, check_id)
    except NotFound:
        abort(404)
    year = _load(years.get_year, check.year_id)
    compliance.update_check(session, current_user, year, check, json_body(s.ComplianceCheckSchema()))
    row = next(c for c in compliance.year_checks(session, year)["checks"] if c["id"] == check.id)
    return s.ComplianceCheckSchema().dump(row)


# -- checklist templates -------------------------------------------------------------------------------------

@tenant_api.get("/checklist-templates")
@staff_required
@documented("/checklist-templates", "get", "The tenant's checklist templates (current versions)",
            response=s.ChecklistTemplateSchema, many=True, tag=TAG)
def list_templates():
    return _listed(s.ChecklistTemplateSchema(many=True).dump(checklists.list_templates(current_session())))


def _template(template_id: int):
    try:
        return checklists.get_template(current_session(), template_id)
    except NotFound:
        abort(404)


@tenant_api.get("/checklist-templates/<int:template_id>")
@staff_required
@documented("/checklist-templates/{template_id}", "get", "A checklist template's current version with sections and items",
            response=s.ChecklistTemplateSchema, params=("template_id",), tag=TAG)
def get_template(template_id: int):
    return s.ChecklistTemplateSchema().dump(checklists.template_detail(current_session(), _template(template_id)))


@tenant_api.post("/checklist-templates/<int:template_id>/edits")
@admin_required
@documented("/checklist-templates/{template_id}/edits", "post",
            "Edit a template (add/update/remove/move a section or item); each edit makes a new version",
            request=s.TemplateEditSchema, response=s.ChecklistTemplateSchema, params=("template_id",), status=201, tag=TAG)
def edit_template(template_id: int):
    template = _template(template_id)
    data = json_body(s.TemplateEditSchema())
    checklists.edit_template(current_session(), current_user, template, data["operation"], data)
    return s.ChecklistTemplateSchema().dump(checklists.template_detail(current_session(), template)), 201
