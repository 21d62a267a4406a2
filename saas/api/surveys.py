"""/api/v1/t/<slug>/surveys and /questionnaires: psychosocial surveys for staff (CRUD, open, close), their
k-suppressed results and aggregate export (also for the company's client contacts), and questionnaires
in the JSON import format.  There is no endpoint for raw or per-respondent answers, by design."""
from __future__ import annotations

from flask import Response, abort, g, jsonify, request
from flask_login import current_user
from marshmallow import fields

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import staff_required
from saas.clients.services import NotFound
from saas.db import current_session
from saas.schemas import BaseSchema, FieldErrors, load_json
from saas.surveys import schemas as s
from saas.surveys.models import SurveyGroup
from saas.surveys.services import distribution, oslo_today, questionnaires, results, surveys

TAG = "surveys"
NOT_CLOSED = "Resultatene er klare når undersøkelsen er avsluttet"
QUESTIONNAIRE_FORMAT = {"type": "object", "description": "a questionnaire in the JSON import format (see the README)"}


class ExportSchema(BaseSchema):
    items = fields.List(fields.Nested(s.ExportRowSchema), required=True)


def _survey(survey_id: int):
    try:
        return surveys.get_survey(current_session(), current_user, survey_id)
    except NotFound:
        abort(404)


def _not_closed():
    return jsonify(error="not_closed", message="Resultatene er klare når undersøkelsen er avsluttet."), 409


@tenant_api.get("/surveys")
@documented("/surveys", "get", "List surveys (filter company_id), newest first", response=s.SurveyListItemSchema, many=True, tag=TAG,
            query=(query("company_id", {"type": "integer", "minimum": 0}),))
def list_surveys():
    page, per_page = pagination()
    raw = request.args.get("company_id", "")
    company_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    result = surveys.list_surveys(current_session(), current_user, company_id=company_id, page=page, per_page=per_page)
    return page_body(s.SurveyListItemSchema(many=True).dump(result.items), result.total, page, per_page)


@tenant_api.post("/surveys")
@staff_required
@documented("/surveys", "post", "Create a draft survey of a company's certification year (the year is opened when missing)",
            request=s.SurveySchema, response=s.SurveySchema, status=201, tag=TAG)
def create_survey():
    session = current_session()
    try:
        survey = surveys.create_survey(session, current_user, g.tenant, json_body(s.SurveySchema()))
    except NotFound:
        raise FieldErrors({"company_id": "Ukjent kunde."}) from None
    return surveys.api_dump(session, g.tenant, survey), 201


@tenant_api.get("/surveys/<int:survey_id>")
@documented("/surveys/{survey_id}", "get", "One survey", response=s.SurveySchema, params=("survey_id",), tag=TAG)
def get_survey(survey_id: int):
    return surveys.api_dump(current_session(), g.tenant, _survey(survey_id))


@tenant_api.patch("/surveys/<int:survey_id>")
@staff_required
@documented("/surveys/{survey_id}", "patch", "Change a survey (a draft freely; an open one only title, intro and closes_on)",
            request=s.SurveyUpdateSchema, response=s.SurveySchema, params=("survey_id",), tag=TAG)
def update_survey(survey_id: int):
    session = current_session()
    survey = _survey(survey_id)
    json_body(s.SurveyUpdateSchema(), partial=True)
    current = surveys.api_dump(session, g.tenant, survey)
    current["questionnaire_id"] = current["questionnaire"]["id"]
    current["groups"] = [{"name": x["name"], "employee_count": x["employee_count"]} for x in current["groups"]]
    merged = {k: v for k, v in {**current, **request.get_json()}.items() if k in s.SurveyUpdateSchema().load_fields}
    surveys.update_survey(session, current_user, g.tenant, survey, load_json(s.SurveyUpdateSchema(), merged), oslo_today())
    return surveys.api_dump(session, g.tenant, survey)


@tenant_api.delete("/surveys/<int:survey_id>")
@staff_required
@documented("/surveys/{survey_id}", "delete", "Delete a draft survey", params=("survey_id",), status=204, tag=TAG)
def delete_survey(survey_id: int):
    surveys.delete_survey(current_session(), current_user, _survey(survey_id))
    return "", 204


@tenant_api.post("/surveys/<int:survey_id>/open")
@staff_required
@documented("/surveys/{survey_id}/open", "post", "Publish a draft (links work from opens_on)", response=s.SurveySchema,
            params=("survey_id",), tag=TAG)
def open_survey(survey_id: int):
    session = current_session()
    survey = _survey(survey_id)
    surveys.open_survey(session, current_user, g.tenant, survey, oslo_today())
    return surveys.api_dump(session, g.tenant, survey)


@tenant_api.post("/surveys/<int:survey_id>/close")
@staff_required
@documented("/surveys/{survey_id}/close", "post", "Close now: no more answers; the k-suppressed report is built once",
            response=s.SurveySchema, params=("survey_id",), tag=TAG)
def close_survey(survey_id: int):
    session = current_session()
    survey = _survey(survey_id)
    surveys.close_survey(session, current_user, g.tenant, survey, oslo_today())
    return surveys.api_dump(session, g.tenant, survey)


@tenant_api.post("/surveys/<int:survey_id>/codes")
@documented("/surveys/{survey_id}/codes", "post", "Make a sheet of one-time codes for the shared link (group_id required "
            "when the survey has groups; no group gets more codes and links than its headcount)",
            request=s.CodeSheetSchema, response=s.CodeSheetOutSchema, params=("survey_id",), status=201, tag=TAG)
def issue_codes(survey_id: int):
    session = current_session()
    survey = _survey(survey_id)
    data = json_body(s.CodeSheetSchema())
    batch = distribution.issue_codes(session, current_user, survey, data["count"], oslo_today(), group_id=data.get("group_id"))
    sheet = distribution.code_sheet(session, survey, batch)
    return s.CodeSheetOutSchema().dump({**sheet, "count": len(sheet["codes"])}), 201


@tenant_api.get("/surveys/<int:survey_id>/codes")
@documented("/surveys/{survey_id}/codes", "get", "The survey's code sheets; ?batch=N gives that sheet's codes to print again",
            response=s.CodeSheetOutSchema, many=True, params=("survey_id",), tag=TAG)
def code_sheets(survey_id: int):
    session = current_session()
    survey = _survey(survey_id)
    if survey.status == "closed":
        sheets = []
    elif raw := request.args.get("batch", ""):
        sheet = distribution.code_sheet(session, survey, int(raw)) if raw.isdigit() and len(raw) < 7 else None
        if sheet is None:
            abort(404)
        sheets = [{**sheet, "count": len(sheet["codes"])}]
    else:
        sheets = distribution.code_sheets(session, survey)
    # the page envelope the document promises (many=True), like every other list
    page, per_page = pagination()
    items = s.CodeSheetOutSchema(many=True).dump(sheets[(page - 1) * per_page: page * per_page])
    return page_body(items, len(sheets), page, per_page)


@tenant_api.get("/surveys/<int:survey_id>/results")
@documented("/surveys/{survey_id}/results", "get", "Results of a closed survey, suppressed below k (409 while open)",
            response=s.SurveyReportSchema, params=("survey_id",), tag=TAG, responses={409: NOT_CLOSED})
def survey_results(survey_id: int):
    survey = _survey(survey_id)
    if survey.status != "closed" or not survey.report:
        return _not_closed()
    stored = survey.report
    return dict(survey_id=survey.id, k=stored["k"], built_on=stored["built_on"], reference=stored.get("reference"),
                open_link=bool(stored.get("open_link")), report=stored["data"])


@tenant_api.get("/surveys/<int:survey_id>/groups/<int:survey_group_id>/results")
@documented("/surveys/{survey_id}/groups/{survey_group_id}/results", "get",
            "One group's results; a group below k (or hidden to protect another) answers {suppressed: true} only",
            response=s.GroupResultSchema, params=("survey_id", "survey_group_id"), tag=TAG, responses={409: NOT_CLOSED})
def group_results(survey_id: int, survey_group_id: int):
    survey = _survey(survey_id)
    group = current_session().get(SurveyGroup, survey_group_id)
    if group is None or group.survey_id != survey.id:
        abort(404)
    if survey.status != "closed" or not survey.report:
        return _not_closed()
    scope = next((x for x in survey.report["data"]["groups"] if x["key"] == group.name), {"key": group.name, "suppressed": True})
    return dict(survey_id=survey.id, group=dict(id=group.id, name=group.name), k=survey.report["k"], result=scope)


@tenant_api.get("/surveys/<int:survey_id>/export")
@documented("/surveys/{survey_id}/export", "get", "The aggregate export (rows per group, dimension and item; "
            "?format=csv for CSV). Never per respondent.", response=ExportSchema, params=("survey_id",), tag=TAG,
            query=(query("format", {"type": "string", "enum": ["json", "csv"]}),), responses={409: NOT_CLOSED},
            binary=("text/csv",))
def export(survey_id: int):
    view = results.results_view(_survey(survey_id), with_charts=False)
    if view is None:
        return _not_closed()
    if request.args.get("format") == "csv":
        response = Response(results.export_csv(view), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="undersokelse-{survey_id}-resultater.csv"'
        return response
    return {"items": s.ExportRowSchema(many=True).dump(results.export_rows(view))}


@tenant_api.get("/questionnaires")
@staff_required
@documented("/questionnaires", "get", "The tenant's questionnaires (the built-in one first)",
            response=s.QuestionnaireListItemSchema, many=True, tag=TAG)
def list_questionnaires():
    page, per_page = pagination()
    items = questionnaires.list_questionnaires(current_session())
    return page_body(s.QuestionnaireListItemSchema(many=True).dump(items[(page - 1) * per_page: page * per_page]),
                     len(items), page, per_page)


def _questionnaire(questionnaire_id: int):
    try:
        return questionnaires.get_questionnaire(current_session(), questionnaire_id)
    except NotFound:
        abort(404)


def _questionnaire_body(session, questionnaire) -> dict:
    detail = questionnaires.questionnaire_detail(session, questionnaire)
    return dict(id=questionnaire.id, key=questionnaire.key, title=questionnaire.title, is_builtin=questionnaire.is_builtin,
                versions=[dict(number=v["number"], label=v["label"], created_at=v["created_at"].isoformat()) for v in detail["versions"]],
                content=questionnaires.latest_version(session, questionnaire).content)


@tenant_api.get("/questionnaires/<int:questionnaire_id>")
@staff_required
@documented("/questionnaires/{questionnaire_id}", "get", "A questionnaire with its newest version in the import format",
            response=s.QuestionnaireDetailSchema, params=("questionnaire_id",), tag=TAG)
def get_questionnaire(questionnaire_id: int):
    return _questionnaire_body(current_session(), _questionnaire(questionnaire_id))


def _format_body():
    if not request.is_json or request.get_json(silent=True) is None:
        raise FieldErrors({"_body": ["Forventet et spørreskjema som JSON (Content-Type: application/json)."]})
    return request.get_json()


@tenant_api.post("/questionnaires")
@staff_required
@documented("/questionnaires", "post", "Import a questionnaire: the body is the JSON import format; errors name the JSON path",
            response=s.QuestionnaireDetailSchema, status=201, tag=TAG, request_body=QUESTIONNAIRE_FORMAT)
def import_questionnaire():
    session = current_session()
    questionnaire, warnings = questionnaires.create_questionnaire(session, current_user, _format_body())
    return {**_questionnaire_body(session, questionnaire), "warnings": warnings}, 201


@tenant_api.post("/questionnaires/<int:questionnaire_id>/versions")
@staff_required
@documented("/questionnaires/{questionnaire_id}/versions", "post", "Save a new version (the body is the import format; "
            "the key must stay the same; the built-in questionnaire is read-only)",
            response=s.QuestionnaireDetailSchema, params=("questionnaire_id",), status=201, tag=TAG,
            request_body=QUESTIONNAIRE_FORMAT)
def new_questionnaire_version(questionnaire_id: int):
    session = current_session()
    questionnaire = _questionnaire(questionnaire_id)
    _version, warnings = questionnaires.new_version(session, current_user, questionnaire, _format_body())
    return {**_questionnaire_body(session, questionnaire), "warnings": warnings}, 201
