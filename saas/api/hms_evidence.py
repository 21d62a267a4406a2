"""/api/v1/t/<slug>/evidence: files that document the year's work.

Uploads are multipart/form-data (fields ``file``, ``target_type``, ``target_id``, ``description``) and go
through the same checks as the web form; everything else is JSON.
"""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from marshmallow import fields

from saas import storage
from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import staff_required
from saas.db import current_session
from saas.hms.services import evidence as services
from saas.hms.views.evidence import DescriptionSchema, VerifySchema, uploaded_file
from saas.hygiene import db_int
from saas.schemas import BaseSchema, FieldErrors, load_form

UPLOAD_HELP = ("multipart/form-data with fields file (PDF, PNG, JPEG, DOCX or XLSX, at most 20 MB; images lose "
               "their EXIF), target_type ({types}), target_id and an optional description")
TYPES = ", ".join(services.TARGET_LABELS)
_FILE = {"type": "string", "format": "binary", "description": "PDF, PNG, JPEG, DOCX or XLSX, at most 20 MB"}
_DESCRIPTION = {"type": "string", "maxLength": services.MAX_NOTE}
UPLOAD_FORM = {"type": "object", "required": ["file", "target_type", "target_id"], "properties": {
    "file": _FILE, "target_type": {"type": "string", "enum": list(services.TARGET_LABELS)},
    "target_id": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, "description": _DESCRIPTION}}
REPLACE_FORM = {"type": "object", "required": ["file"], "properties": {"file": _FILE, "description": _DESCRIPTION}}


class EvidenceSchema(BaseSchema):
    id = fields.Integer()
    target_type = fields.String()
    target_id = fields.Integer()
    year_id = fields.Integer(allow_none=True)
    original_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    description = fields.String()
    generated = fields.Boolean()
    uploaded_at = fields.DateTime()
    uploaded_by_name = fields.String(allow_none=True)
    replaces_id = fields.Integer(allow_none=True)
    superseded = fields.Boolean()
    status = fields.String(metadata={"description": "pending | verified | rejected"})
    verified_at = fields.DateTime(allow_none=True)
    verified_by_name = fields.String(allow_none=True)
    review_note = fields.String()
    version = fields.Integer(metadata={"description": "only in a history: 1 is the oldest"})


class EvidenceReviewSchema(EvidenceSchema):
    company_id = fields.Integer()
    company_name = fields.String()
    year = fields.Integer()
    type_label = fields.String()


def _evidence(evidence_id: int):
    try:
        return services.get_evidence(current_session(), current_user, evidence_id)
    except services.NotFound:
        abort(404)


def _target(target_type: str, raw_id) -> services.Target:
    target_id = db_int(raw_id)
    if target_type not in services.TARGET_LABELS or target_id is None:
        raise FieldErrors({"target_type": f"Oppgi target_type ({TYPES}) og target_id."})
    try:
        return services.resolve_target(current_session(), target_type, target_id, current_user)
    except services.NotFound:
        abort(404)


def _page(items: list[dict]):
    page, per_page = pagination()
    start = (page - 1) * per_page
    return page_body(EvidenceSchema(many=True).dump(items[start:start + per_page]), len(items), page, per_page)


@tenant_api.get("/evidence")
@documented("/evidence", "get", "Current files of one piece of work (query target_type and target_id)",
            response=EvidenceSchema, many=True, tag="evidence",
            query=(query("target_type", {"type": "string", "enum": list(services.TARGET_LABELS)}),
                   query("target_id", {"type": "integer", "minimum": 0})))
def list_evidence():
    target = _target(request.args.get("target_type", ""), request.args.get("target_id", ""))
    return _page(services.files_for(current_session(), target.type, [target.id])[target.id])


@tenant_api.post("/evidence")
@documented("/evidence", "post", "Upload a file: " + UPLOAD_HELP.format(types=TYPES), response=EvidenceSchema,
            status=201, tag="evidence", multipart=UPLOAD_FORM)
def upload_evidence():
    target = _target(request.form.get("target_type", ""), request.form.get("target_id", ""))
    description = load_form(DescriptionSchema(), request.form)["description"]
    data, filename = uploaded_file()
    session = current_session()
    evidence = services.upload(session, current_user, target, data, filename, description)
    return services.describe(session, evidence), 201


@tenant_api.get("/evidence/pending")
@staff_required
@documented("/evidence/pending", "get", "Files waiting for verification, oldest first (all=1: every company, "
            "else the caller's own)", response=EvidenceReviewSchema, many=True, tag="evidence",
            query=(query("all", {"type": "string", "enum": ["0", "1"]}),))
def pending_evidence():
    page, per_page = pagination()
    consultant_id = None if request.args.get("all") == "1" else current_user.id
    items, total = services.pending_for_review(current_session(), consultant_id, limit=page * per_page)
    start = (page - 1) * per_page
    return page_body(EvidenceReviewSchema(many=True).dump(items[start:]), total, page, per_page)


@tenant_api.get("/evidence/<int:evidence_id>")
@documented("/evidence/{evidence_id}", "get", "One file's details", response=EvidenceSchema, params=("evidence_id",), tag="evidence")
def get_evidence(evidence_id: int):
    evidence, _target = _evidence(evidence_id)
    return services.describe(current_session(), evidence)


@tenant_api.get("/evidence/<int:evidence_id>/download")
@documented("/evidence/{evidence_id}/download", "get", "The file itself (an attachment)", params=("evidence_id",), tag="evidence",
            binary=tuple(storage.ALLOWED.values()))
def download_evidence(evidence_id: int):
    evidence, _target = _evidence(evidence_id)
    if not storage.exists(evidence.file_key):
        abort(404)
    return storage.download_response(evidence.file_key, evidence.original_name, evidence.content_type)


@tenant_api.get("/evidence/<int:evidence_id>/history")
@documented("/evidence/{evidence_id}/history", "get", "Every version of the document, newest first",
            response=EvidenceSchema, many=True, params=("evidence_id",), tag="evidence")
def evidence_history(evidence_id: int):
    evidence, _target = _evidence(evidence_id)
    return _page(services.history(current_session(), evidence))


@tenant_api.post("/evidence/<int:evidence_id>/replace")
@documented("/evidence/{evidence_id}/replace", "post", "Upload a new version (multipart/form-data: file, description); "
            "the old one stays in the history", response=EvidenceSchema, params=("evidence_id",), status=201, tag="evidence",
            multipart=REPLACE_FORM)
def replace_evidence(evidence_id: int):
    evidence, target = _evidence(evidence_id)
    description = load_form(DescriptionSchema(), request.form)["description"]
    data, filename = uploaded_file()
    session = current_session()
    new = services.replace(session, current_user, evidence, target, data, filename, description)
    return services.describe(session, new), 201


@tenant_api.post("/evidence/<int:evidence_id>/verify")
@staff_required
@documented("/evidence/{evidence_id}/verify", "post", "Verify or reject the current version (a rejection needs a note)",
            request=VerifySchema, response=EvidenceSchema, params=("evidence_id",), tag="evidence")
def verify_evidence(evidence_id: int):
    evidence, target = _evidence(evidence_id)
    data = json_body(VerifySchema())
    session = current_session()
    services.verify(session, current_user, evidence, target, data["status"], data["note"])
    return services.describe(session, evidence)
