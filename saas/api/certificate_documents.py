"""/api/v1/t/<slug>/certificates/<id>/...: the framed PDF, its stored hash, and the public verification.

Client contacts reach only their own companies' certificates; everything else answers 404."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify
from flask_login import current_user
from marshmallow import fields

from saas import storage
from saas.api.core import tenant_api
from saas.api.spec import documented
from saas.certification import documents
from saas.clients.services import visible_company_ids
from saas.db import current_session
from saas.schemas import BaseSchema
from saas.scheduler import today_in_oslo

TAG = "certificates"


class DocumentSchema(BaseSchema):
    certificate_id = fields.Integer()
    status = fields.String(metadata={"description": "ready | queued | rendering | failed | none (the PDF is made by a job "
                                                    "right after the decision; GET .../pdf asks for it again when failed or none)"})
    error = fields.String(allow_none=True, metadata={"description": "why the render failed (staff only), else null"})
    sha256 = fields.String(allow_none=True, metadata={"description": "SHA-256 of the stored PDF, kept since it was issued"})
    size = fields.Integer(allow_none=True)
    template_version = fields.String(allow_none=True)
    rendered_at = fields.DateTime(allow_none=True)
    pdf_url = fields.String()


class PublicCompanySchema(BaseSchema):
    name = fields.String()
    org_number = fields.String()
    address = fields.String()
    postcode = fields.String()
    city = fields.String()


class PublicIssuerSchema(BaseSchema):
    name = fields.String()
    org_number = fields.String()
    address = fields.String()
    postcode = fields.String()
    city = fields.String()


class PublicSubUnitSchema(BaseSchema):
    name = fields.String()
    address = fields.String()


class VerificationSchema(BaseSchema):
    """What the public verification page (and /verify/<code>.json) shows."""

    number = fields.String()
    cert_class = fields.String(metadata={"description": "B | A | A+"})
    class_label = fields.String()
    class_title = fields.String(metadata={"description": "the class's Norwegian description"})
    issued_on = fields.Date()
    valid_until = fields.Date(metadata={"description": "the last valid day"})
    duration = fields.String()
    company = fields.Nested(PublicCompanySchema)
    sub_units = fields.List(fields.Nested(PublicSubUnitSchema))
    issuer = fields.Nested(PublicIssuerSchema)
    state = fields.String(metadata={"description": "active | suspended | withdrawn | expired | superseded (today)"})
    state_label = fields.String()
    state_since = fields.Date()
    state_notice = fields.String()
    valid_now = fields.Boolean()
    verification_url = fields.String()


class RegisterEntrySchema(BaseSchema):
    """One certificate of a tenant's public register (/t/<slug>/register.json)."""

    number = fields.String()
    cert_class = fields.String()
    class_label = fields.String()
    class_title = fields.String()
    issued_on = fields.Date()
    valid_until = fields.Date()
    company = fields.Nested(PublicCompanySchema)
    verification_url = fields.String()


class RenderingSchema(BaseSchema):
    status = fields.String(required=True, metadata={"description": "rendering"})
    message = fields.String(required=True)


def _company_ids():
    return visible_company_ids(current_user.is_staff, current_user.id)


def _pdf_url(certificate_id: int) -> str:
    from flask import url_for

    return url_for("api_tenant.certificate_pdf", certificate_id=certificate_id)


@tenant_api.get("/certificates/<int:certificate_id>/pdf")
@documented("/certificates/{certificate_id}/pdf", "get",
            "The framed certificate as application/pdf; 202 with status=rendering while its job has not run yet",
            params=("certificate_id",), tag=TAG, binary=("application/pdf",),
            responses={202: ("Sertifikatet lages; prøv igjen om noen sekunder", RenderingSchema)})
def certificate_pdf(certificate_id: int):
    session = current_session()
    document, found = documents.document_for(session, certificate_id, _company_ids())
    if not found:
        abort(404)
    if document is None:
        documents.request_render(session, certificate_id, g.tenant.id)
        return jsonify(status="rendering", message="Sertifikatet lages. Prøv igjen om noen sekunder."), 202
    if not storage.exists(document["file_key"]):
        current_app.logger.error("certificate %s: stored PDF %s is missing", certificate_id, document["file_key"])
        return jsonify(error="file_missing", message="PDF-filen finnes ikke i lageret. Kontakt driftsansvarlig."), 404
    return storage.download_response(document["file_key"], document["file_name"], "application/pdf")


@tenant_api.get("/certificates/<int:certificate_id>/document")
@documented("/certificates/{certificate_id}/document", "get", "The stored PDF's SHA-256, size and template version",
            response=DocumentSchema, params=("certificate_id",), tag=TAG)
def certificate_document(certificate_id: int):
    document, found = documents.document_for(current_session(), certificate_id, _company_ids())
    if not found:
        abort(404)
    from saas.certification.document_jobs import document_status

    status = document_status(current_session(), certificate_id)
    error = status["error"] if status["state"] == "failed" and current_user.is_staff else None
    data = dict(document or {}, certificate_id=certificate_id, status="ready" if document else status["state"],
                error=error or None, pdf_url=_pdf_url(certificate_id))
    return DocumentSchema().dump(data)


@tenant_api.get("/certificates/<int:certificate_id>/verification")
@documented("/certificates/{certificate_id}/verification", "get",
            "What the public verification page shows of the certificate today, with its public URL (the QR target)",
            response=VerificationSchema, params=("certificate_id",), tag=TAG)
def certificate_verification(certificate_id: int):
    data = documents.certificate_verification(current_session(), certificate_id, _company_ids(), today_in_oslo())
    if data is None:
        abort(404)
    return VerificationSchema().dump(data)
