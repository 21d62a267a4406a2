"""/api/v1/t/<slug>/: audit cases through their steps, corrective actions, the programme, and the
certificates of the audit-based schemes with their sanctions."""
from __future__ import annotations

from flask import abort, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from saas.api.core import json_body, page_body, tenant_api
from saas.api.spec import documented
from saas.audits.actions import CASE_ACTIONS
from saas.audits.models import CorrectiveAction, Finding
from saas.audits.schemas import (AnswerSchema, ApplicationSchema, CaseSchema, CaseSummarySchema,
                                 CorrectiveActionSchema, MatrixSchema)
from saas.audits.services import NotFound, Refused, audit, cases, overview
from saas.auth import require_roles, staff_required
from saas.certification import programme as programme_service
from saas.certification import scheme_certificates
from saas.certification.scheme_models import SchemeCertificate
from saas.certification.schemas import SanctionSchema, SchemeCertificateSchema, ScopeReductionSchema
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.tenants.models import Role

TAG = "audits"


@tenant_api.errorhandler(Refused)
def _refused(error: Refused):
    return jsonify(error="refused", message=str(error)), 422


@tenant_api.errorhandler(scheme_certificates.SanctionRefused)
def _sanction_refused(error):
    return jsonify(error="refused", message=str(error)), 422


def _company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


def _case(case_id: int, for_update: bool = False, options=()):
    try:
        return cases.get_case(current_session(), current_user, case_id, for_update=for_update, options=options)
    except NotFound:
        abort(404)


def _case_body(case):
    return CaseSchema().dump(overview.case_page(current_session(), case, current_user, today_in_oslo()))


@tenant_api.get("/audit-cases")
@documented("/audit-cases", "get", "Audit cases (client contacts: their companies') with where each stands",
            response=CaseSummarySchema, many=True, tag=TAG)
def list_cases():
    items = CaseSummarySchema(many=True).dump(overview.list_cases(current_session(), _company_ids(), today_in_oslo(),
                                                                  include_closed=True))
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.post("/audit-cases")
@documented("/audit-cases", "post", "Apply for certification with the signed application contract "
            "(client contacts for their companies, or staff)", request=ApplicationSchema, response=CaseSchema,
            status=201, tag=TAG)
def apply():
    case = cases.apply(current_session(), current_user, json_body(ApplicationSchema()), today_in_oslo())
    return _case_body(case), 201


@tenant_api.get("/audit-cases/<int:case_id>")
@documented("/audit-cases/{case_id}", "get", "One case: the 11 steps, what happens next, who waits, clocks, team, "
            "findings with corrective actions, matrix", response=CaseSchema, params=("case_id",), tag=TAG)
def get_case(case_id: int):
    return _case_body(_case(case_id, options=overview.PAGE_LOADS))


def _make_action(name: str):
    schema_cls, run, _, summary = CASE_ACTIONS[name]

    def view(case_id: int):
        case = _case(case_id, for_update=True)
        run(current_session(), current_user, case, json_body(schema_cls()), today_in_oslo())
        return _case_body(case)

    view.__name__ = f"audit_case_{name.replace('-', '_')}"
    documented(f"/audit-cases/{{case_id}}/{name}", "post", summary + "; 422 names the field or says why not now",
               request=schema_cls, response=CaseSchema, params=("case_id",), tag=TAG)(view)
    return view


for _name in CASE_ACTIONS:
    tenant_api.add_url_rule(f"/audit-cases/<int:case_id>/{_name}", endpoint=f"audit_case_{_name.replace('-', '_')}",
                            view_func=_make_action(_name), methods=["POST"])


@tenant_api.post("/audit-cases/<int:case_id>/matrix")
@staff_required
@documented("/audit-cases/{case_id}/matrix", "post", "Fill the conformity matrix of the document review "
            "(requirement, where documented, assessment, note); nonconformities become findings",
            request=MatrixSchema, response=CaseSchema, params=("case_id",), tag=TAG)
def save_matrix(case_id: int):
    case = _case(case_id, for_update=True)
    rows = {r["requirement_id"]: r for r in json_body(MatrixSchema())["rows"]}
    stage = "audit" if request.args.get("stage") == "audit" else "document"
    cases.save_matrix(current_session(), current_user, case, rows, today_in_oslo(), stage=stage)
    return _case_body(case)


@tenant_api.post("/findings/<int:finding_id>/corrective-actions")
@documented("/findings/{finding_id}/corrective-actions", "post", "The company's corrective action for a finding "
            "(root cause, correction, corrective action, evidence)", request=CorrectiveActionSchema,
            response=CaseSchema, params=("finding_id",), status=201, tag=TAG)
def corrective_action(finding_id: int):
    finding = current_session().get(Finding, finding_id)
    if finding is None:
        abort(404)
    case = _case(finding.case_id, for_update=True)
    audit.submit_corrective_action(current_session(), current_user, case, finding, json_body(CorrectiveActionSchema()),
                                   today_in_oslo())
    return _case_body(case), 201


@tenant_api.post("/corrective-actions/<int:corrective_action_id>/answer")
@staff_required
@documented("/corrective-actions/{corrective_action_id}/answer", "post", "Accept (the finding closes, with how it "
            "was verified) or reject a corrective action", request=AnswerSchema, response=CaseSchema,
            params=("corrective_action_id",), tag=TAG)
def answer(corrective_action_id: int):
    session = current_session()
    ca = session.get(CorrectiveAction, corrective_action_id)
    if ca is None:
        abort(404)
    case = _case(session.get(Finding, ca.finding_id).case_id, for_update=True)
    data = json_body(AnswerSchema())
    audit.answer_corrective_action(session, current_user, case, ca, data["accepted"], data["note"], data["method"],
                                   today_in_oslo())
    return _case_body(case)


@tenant_api.get("/audit-programme")
@staff_required
@documented("/audit-programme", "get", "The provider's programme: every client's next surveillance audit, "
            "recertification clock, open case, and every overdue clock", tag=TAG)
def get_programme():
    page = programme_service.programme(current_session(), today_in_oslo())

    def plain(row):
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}

    return {"rows": [plain(r) for r in page["rows"]], "overdue": [plain(o) for o in page["overdue"]],
            "as_of": page["today"].isoformat()}


def _certificate_id(certificate_id: int) -> int:
    found = current_session().scalar(select(SchemeCertificate.id).where(
        SchemeCertificate.id == certificate_id, SchemeCertificate.company_id.in_(_company_ids())))
    if found is None:
        abort(404)
    return certificate_id


@tenant_api.get("/scheme-certificates")
@documented("/scheme-certificates", "get", "Certificates of the audit-based schemes (client contacts: theirs)",
            response=SchemeCertificateSchema, many=True, tag=TAG)
def list_scheme_certificates():
    session, today = current_session(), today_in_oslo()
    ids = session.scalars(select(SchemeCertificate.id).where(SchemeCertificate.company_id.in_(_company_ids()))
                          .order_by(SchemeCertificate.id.desc())).all()
    items = SchemeCertificateSchema(many=True).dump([scheme_certificates.detail(session, i, today) for i in ids])
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.get("/scheme-certificates/<int:scheme_certificate_id>")
@documented("/scheme-certificates/{scheme_certificate_id}", "get", "One certificate of an audit-based scheme",
            response=SchemeCertificateSchema, params=("scheme_certificate_id",), tag=TAG)
def get_scheme_certificate(scheme_certificate_id: int):
    return SchemeCertificateSchema().dump(scheme_certificates.detail(
        current_session(), _certificate_id(scheme_certificate_id), today_in_oslo()))


@tenant_api.post("/scheme-certificates/<int:scheme_certificate_id>/sanction")
@require_roles(Role.ADMIN, Role.REVIEWER)
@documented("/scheme-certificates/{scheme_certificate_id}/sanction", "post", "Suspend, withdraw, reinstate or "
            "increase surveillance, with a reason; /verify shows it at once", request=SanctionSchema,
            response=SchemeCertificateSchema, params=("scheme_certificate_id",), tag=TAG)
def sanction(scheme_certificate_id: int):
    _certificate_id(scheme_certificate_id)
    data = json_body(SanctionSchema())
    scheme_certificates.sanction(current_session(), current_user, scheme_certificate_id, data["action"],
                                 data["reason"], today_in_oslo())
    return SchemeCertificateSchema().dump(scheme_certificates.detail(current_session(), scheme_certificate_id,
                                                                     today_in_oslo()))


@tenant_api.post("/scheme-certificates/<int:scheme_certificate_id>/reduce-scope")
@require_roles(Role.ADMIN, Role.REVIEWER)
@documented("/scheme-certificates/{scheme_certificate_id}/reduce-scope", "post", "Issue a new certificate with "
            "fewer fagområder that supersedes this one", request=ScopeReductionSchema,
            response=SchemeCertificateSchema, params=("scheme_certificate_id",), status=201, tag=TAG)
def reduce_scope(scheme_certificate_id: int):
    _certificate_id(scheme_certificate_id)
    data = json_body(ScopeReductionSchema())
    new = scheme_certificates.reduce_scope(current_session(), current_user, scheme_certificate_id, data["scope_ids"],
                                           data["reason"], today_in_oslo())
    return SchemeCertificateSchema().dump(scheme_certificates.detail(current_session(), new.id, today_in_oslo())), 201


@tenant_api.post("/audit-cases/<int:case_id>/export")
@staff_required
@documented("/audit-cases/{case_id}/export", "post", "Start the case file export (a background job: one PDF with "
            "index and history, and a ZIP with every file); follow /tasks/{task_id}, then download",
            params=("case_id",), status=202, tag=TAG)
def export_case(case_id: int):
    from saas.audits.export import start_export

    task = start_export(current_session(), current_user, _case(case_id))
    return {"task_id": task.id, "status": task.status,
            "download": f"{request.path}/{task.id}"}, 202


@tenant_api.get("/audit-cases/<int:case_id>/export/<int:task_id>")
@staff_required
@documented("/audit-cases/{case_id}/export/{task_id}", "get", "Download the finished case file (ZIP)",
            params=("case_id", "task_id"), tag=TAG, binary=("application/zip",))
def download_export(case_id: int, task_id: int):
    from saas import storage
    from saas.jobs import BackgroundTask

    _case(case_id)
    task = current_session().get(BackgroundTask, task_id)
    if task is None or not task.result or task.result.get("case_id") != case_id:
        abort(404)
    return storage.download_response(task.result["file_key"], task.result["file_name"], "application/zip")
