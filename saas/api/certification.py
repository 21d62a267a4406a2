"""/api/v1/t/<slug>/: a year's verdict, proposals, decisions, certificates and their states."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import require_roles, staff_required
from saas.certification import labels
from saas.certification.models import Certificate, CertificationProposal
from saas.certification.schemas import (AttestationSchema, CertificateDetailSchema, CertificateSchema, DecisionResultSchema,
                                        DecisionSchema, ProposalOutSchema, ProposalSchema, StateChangeSchema, VerdictSchema)
from saas.certification.services import Conflict, NotFound, Refused, certificates, decisions, overview
from saas.certification.services.facts import verdict_for_year
from saas.clients.models import ClientCompany
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors
from saas.tenants.models import Role

TAG = "certification"


@tenant_api.errorhandler(Refused)
def _refused(error: Refused):
    status = 409 if isinstance(error, Conflict) else 422
    return jsonify(error="conflict" if status == 409 else "refused", message=str(error)), status


def _year_id(year_id: int) -> int:
    try:
        return decisions.get_year(current_session(), current_user, year_id).id
    except NotFound:
        abort(404)


@tenant_api.get("/years/<int:year_id>/verdict")
@documented("/years/{year_id}/verdict", "get",
            "The year's class verdict as of today: eligible class, every criterion (met / not_met / waived) with its "
            "reason and records, and what is missing for the next class (client contacts: their companies only)",
            response=VerdictSchema, params=("year_id",), tag=TAG)
def year_verdict(year_id: int):
    verdict = verdict_for_year(current_session(), _year_id(year_id), today_in_oslo())
    if not current_user.is_staff:
        verdict = overview.client_verdict(verdict)
    return VerdictSchema().dump(verdict)


@tenant_api.get("/years/<int:year_id>/proposals")
@staff_required
@documented("/years/{year_id}/proposals", "get", "The year's proposals (newest first) with their decisions",
            response=ProposalOutSchema, many=True, tag=TAG, params=("year_id",))
def year_proposals(year_id: int):
    items = ProposalOutSchema(many=True).dump(overview.year_proposals(current_session(), _year_id(year_id)))
    return page_body(items, len(items), 1, max(len(items), 1))


@tenant_api.post("/years/<int:year_id>/proposals")
@staff_required
@documented("/years/{year_id}/proposals", "post",
            "Propose a class no higher than the eligible one, or B for other reasons (b_alternative with a justification)",
            request=ProposalSchema, response=ProposalOutSchema, params=("year_id",), status=201, tag=TAG,
            responses={409: "Et forslag venter allerede på beslutning"})
def propose(year_id: int):
    session = current_session()
    proposal = decisions.propose(session, current_user, _year_id(year_id), json_body(ProposalSchema()), today_in_oslo())
    return ProposalOutSchema().dump(next(p for p in overview.year_proposals(session, year_id) if p["id"] == proposal.id)), 201


@tenant_api.post("/years/<int:year_id>/attestations")
@staff_required
@documented("/years/{year_id}/attestations", "post",
            "Record an attestation: a4 (consultant) or a_plus_2 (reviewer; the one who can then decide A+)",
            request=AttestationSchema, params=("year_id",), status=201, tag=TAG)
def attest(year_id: int):
    attestation = decisions.attest(current_session(), current_user, _year_id(year_id), json_body(AttestationSchema()),
                                   today_in_oslo())
    return {"id": attestation.id, "kind": attestation.kind, "note": attestation.note, "on": attestation.on.isoformat()}, 201


@tenant_api.post("/proposals/<int:proposal_id>/decision")
@require_roles(Role.REVIEWER)
@documented("/proposals/{proposal_id}/decision", "post",
            "Decide a waiting proposal: approve (issues the certificate; the class is re-checked against today's records) "
            "or return with a reason.  409 when already decided",
            request=DecisionSchema, response=DecisionResultSchema, params=("proposal_id",), status=201, tag=TAG,
            responses={409: "Forslaget er allerede avgjort, eller året har allerede et sertifikat"})
def decide(proposal_id: int):
    session = current_session()
    if session.scalar(select(CertificationProposal.id).where(CertificationProposal.id == proposal_id)) is None:
        abort(404)
    data = json_body(DecisionSchema())
    decision, certificate = decisions.decide(session, g.tenant, current_user, proposal_id,
                                             approve=data["outcome"] == "approve", reason=data["reason"] or "",
                                             today=today_in_oslo())
    today = today_in_oslo()
    body = {"decision": dict(id=decision.id, outcome=decision.outcome, cert_class=decision.cert_class,
                             eligible_class=decision.eligible_class, ruleset_version=decision.ruleset_version,
                             facts_sha256=decision.facts_sha256, decided_on=decision.decided_on,
                             decided_by=current_user.name, reason=decision.reason),
            "certificate": certificates.certificate_detail(session, certificate.id, today) if certificate else None}
    return DecisionResultSchema().dump(body), 201


def _visible_company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


@tenant_api.get("/certificates")
@documented("/certificates", "get", "Certificates, newest first (state=active|suspended|withdrawn|expired|superseded; "
            "client contacts: their companies only)", response=CertificateSchema, many=True, tag=TAG,
            query=(query("state", {"type": "string", "enum": sorted(labels.STATE_LABELS)}),))
def list_certificates():
    page, per_page = pagination()
    state = request.args.get("state") or None
    if state is not None and state not in labels.STATE_LABELS:
        raise FieldErrors({"state": ["Ugyldig status."]})
    items, total = certificates.list_certificates(current_session(), today_in_oslo(), company_ids=_visible_company_ids(),
                                                  state=state, page=page, per_page=per_page)
    return page_body(CertificateSchema(many=True).dump(items), total, page, per_page)


def _certificate_id(certificate_id: int) -> int:
    session = current_session()
    company_id = session.scalar(select(Certificate.company_id).where(Certificate.id == certificate_id))
    if company_id is None or session.scalar(_visible_company_ids().where(ClientCompany.id == company_id)) is None:
        abort(404)
    return certificate_id


@tenant_api.get("/certificates/<int:certificate_id>")
@documented("/certificates/{certificate_id}", "get", "One certificate with its state history",
            response=CertificateDetailSchema, params=("certificate_id",), tag=TAG)
def get_certificate(certificate_id: int):
    data = certificates.certificate_detail(current_session(), _certificate_id(certificate_id), today_in_oslo())
    return CertificateDetailSchema().dump(data)


@tenant_api.post("/certificates/<int:certificate_id>/state")
@require_roles(Role.REVIEWER, Role.ADMIN)
@documented("/certificates/{certificate_id}/state", "post",
            "Suspend, withdraw or reinstate a certificate, with a reason", request=StateChangeSchema,
            response=CertificateDetailSchema, params=("certificate_id",), tag=TAG)
def change_state(certificate_id: int):
    session = current_session()
    certificate_id = _certificate_id(certificate_id)
    data = json_body(StateChangeSchema())
    certificates.change_state(session, current_user, certificate_id, data["action"], data["reason"], today_in_oslo())
    return CertificateDetailSchema().dump(certificates.certificate_detail(session, certificate_id, today_in_oslo()))
