"""/api/v1/t/<slug>: the risk matrix, risk assessments and hazards (staff only)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented
from saas.auth import admin_required, staff_required
from saas.db import current_session
from saas.hms.schemas_actions import ActionItemDetailSchema
from saas.hms.schemas_risks import (HazardActionSchema, HazardSchema, RiskAssessmentDetailSchema, RiskAssessmentSchema,
                                    RiskAssessmentSummarySchema, RiskMatrixSchema, RiskYearSummarySchema)
from saas.hms.services import actions as action_services
from saas.hms.services import risks as services

TAG = "risks"


def _year(year_id: int):
    try:
        return action_services.visible_year(current_session(), current_user, year_id)
    except services.NotFound:
        abort(404)


def _assessment(assessment_id: int):
    try:
        assessment = services.get_assessment(current_session(), assessment_id)
    except services.NotFound:
        abort(404)
    _year(assessment.year_id)
    return assessment


def _hazard(hazard_id: int):
    try:
        hazard = services.get_hazard(current_session(), hazard_id)
    except services.NotFound:
        abort(404)
    _year(hazard.assessment.year_id)
    return hazard


def _matrix_body(row) -> dict:
    return RiskMatrixSchema().dump({**row.data, "version": row.version, "created_at": row.created_at})


@tenant_api.get("/risk-matrix")
@staff_required
@documented("/risk-matrix", "get", "The tenant's current risk matrix (created from the 5×5 default on first use)",
            response=RiskMatrixSchema, tag=TAG)
def get_risk_matrix():
    return _matrix_body(services.current_matrix(current_session()))


@tenant_api.put("/risk-matrix")
@admin_required
@documented("/risk-matrix", "put", "Save a new version of the risk matrix (3–7 levels per axis; the highest consequence is never green)",
            request=RiskMatrixSchema, response=RiskMatrixSchema, tag=TAG)
def put_risk_matrix():
    session = current_session()
    data = json_body(RiskMatrixSchema())
    row = services.save_matrix(session, current_user, data) or services.current_matrix(session)
    return _matrix_body(row)


@tenant_api.get("/years/<int:year_id>/risk-assessments")
@staff_required
@documented("/years/{year_id}/risk-assessments", "get", "Risk assessments of a certification year, with hazard counts by colour",
            response=RiskAssessmentSummarySchema, many=True, params=("year_id",), tag=TAG)
def list_risk_assessments(year_id: int):
    year = _year(year_id)
    page, per_page = pagination()
    items = services.year_summary(current_session(), year.id)["assessments"]
    chunk = items[(page - 1) * per_page: page * per_page]
    return page_body(RiskAssessmentSummarySchema(many=True).dump(chunk), len(items), page, per_page)


@tenant_api.post("/years/<int:year_id>/risk-assessments")
@staff_required
@documented("/years/{year_id}/risk-assessments", "post", "Create a risk assessment (keeps a snapshot of the current matrix)",
            request=RiskAssessmentSchema, response=RiskAssessmentDetailSchema, params=("year_id",), status=201, tag=TAG)
def create_risk_assessment(year_id: int):
    year = _year(year_id)
    session = current_session()
    assessment = services.create_assessment(session, current_user, year, json_body(RiskAssessmentSchema()))
    return RiskAssessmentDetailSchema().dump(services.assessment_view(session, assessment)), 201


@tenant_api.get("/years/<int:year_id>/risk-summary")
@staff_required
@documented("/years/{year_id}/risk-summary", "get", "The year's assessments and the company's heat map before and after measures",
            response=RiskYearSummarySchema, params=("year_id",), tag=TAG)
def risk_summary(year_id: int):
    return RiskYearSummarySchema().dump(services.year_summary(current_session(), _year(year_id).id))


@tenant_api.get("/risk-assessments/<int:assessment_id>")
@staff_required
@documented("/risk-assessments/{assessment_id}", "get", "One risk assessment with its hazards, scored on its own matrix snapshot",
            response=RiskAssessmentDetailSchema, params=("assessment_id",), tag=TAG)
def get_risk_assessment(assessment_id: int):
    return RiskAssessmentDetailSchema().dump(services.assessment_view(current_session(), _assessment(assessment_id)))


@tenant_api.patch("/risk-assessments/<int:assessment_id>")
@staff_required
@documented("/risk-assessments/{assessment_id}", "patch", "Update fields of a risk assessment",
            request=RiskAssessmentSchema, response=RiskAssessmentDetailSchema, params=("assessment_id",), tag=TAG)
def update_risk_assessment(assessment_id: int):
    assessment = _assessment(assessment_id)
    session = current_session()
    changes = json_body(RiskAssessmentSchema(), partial=True)
    services.update_assessment(session, current_user, assessment, changes)
    return RiskAssessmentDetailSchema().dump(services.assessment_view(session, assessment))


@tenant_api.post("/risk-assessments/<int:assessment_id>/hazards")
@staff_required
@documented("/risk-assessments/{assessment_id}/hazards", "post", "Add a hazard; levels must exist in the assessment's matrix",
            request=HazardSchema, response=HazardSchema, params=("assessment_id",), status=201, tag=TAG)
def create_hazard(assessment_id: int):
    assessment = _assessment(assessment_id)
    session = current_session()
    hazard = services.add_hazard(session, current_user, assessment, json_body(HazardSchema()))
    return HazardSchema().dump(services.hazard_view(session, hazard)), 201


@tenant_api.patch("/hazards/<int:hazard_id>")
@staff_required
@documented("/hazards/{hazard_id}", "patch", "Update fields of a hazard", request=HazardSchema, response=HazardSchema,
            params=("hazard_id",), tag=TAG)
def update_hazard(hazard_id: int):
    hazard = _hazard(hazard_id)
    session = current_session()
    current = {k: getattr(hazard, k) for k in services.HAZARD_FIELDS}
    services.update_hazard(session, current_user, hazard, {**current, **json_body(HazardSchema(), partial=True)})
    return HazardSchema().dump(services.hazard_view(session, hazard))


@tenant_api.delete("/hazards/<int:hazard_id>")
@staff_required
@documented("/hazards/{hazard_id}", "delete", "Remove a hazard", params=("hazard_id",), status=204, tag=TAG)
def delete_hazard(hazard_id: int):
    services.delete_hazard(current_session(), current_user, _hazard(hazard_id))
    return "", 204


@tenant_api.post("/hazards/<int:hazard_id>/action-item")
@staff_required
@documented("/hazards/{hazard_id}/action-item", "post", "Put the hazard's measures in the year's action plan",
            request=HazardActionSchema, response=ActionItemDetailSchema, params=("hazard_id",), status=201, tag=TAG)
def hazard_action_item(hazard_id: int):
    hazard = _hazard(hazard_id)
    session = current_session()
    item = services.hazard_to_action(session, current_user, hazard, json_body(HazardActionSchema())["deadline"])
    return ActionItemDetailSchema().dump(action_services.item_detail(session, item)), 201
