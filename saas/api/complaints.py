"""/api/v1/t/<slug>/complaints: complaints and appeals for every scheme, their steps and statistics."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from saas.api.core import json_body, page_body, tenant_api
from saas.api.spec import documented
from saas.audits.schemas import ExtraordinarySchema
from saas.auth import staff_required
from saas.certification import complaints
from saas.certification.complaint_views import complaint_or_404
from saas.certification.schemas import ComplaintInSchema, ComplaintOutSchema, ComplaintStepSchema
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.tenants.models import User

TAG = "complaints"


@tenant_api.errorhandler(complaints.ComplaintRefused)
def _complaint_refused(error):
    return jsonify(error="refused", message=str(error)), 422


def _one(complaint) -> dict:
    users = {u.id: u.name for u in current_session().scalars(select(User))}
    data = complaints.complaint_dict(complaint, users)
    data["audit_cases"] = complaints.audits_for(current_session(), complaint.id)
    return ComplaintOutSchema().dump(data)


@tenant_api.get("/complaints")
@staff_required
@documented("/complaints", "get", "Complaints and appeals, newest first; `statistics` per year in the body",
            response=ComplaintOutSchema, many=True, tag=TAG)
def list_complaints():
    rows, stats = complaints.listing(current_session())
    body = page_body(ComplaintOutSchema(many=True).dump(rows), len(rows), 1, max(len(rows), 1))
    body["statistics"] = stats
    return body


@tenant_api.post("/complaints")
@staff_required
@documented("/complaints", "post", "Register a complaint or appeal (from a client or by letter)",
            request=ComplaintInSchema, response=ComplaintOutSchema, status=201, tag=TAG)
def register_complaint():
    data = json_body(ComplaintInSchema())
    data["certificate_ref"] = data.get("certificate_ref") or ""
    return _one(complaints.register(current_session(), current_user, data, today_in_oslo())), 201


def _make(action: str):
    def view(complaint_id: int):
        session = current_session()
        row = complaint_or_404(session, complaint_id)
        complaints.act(session, current_user, row, action, json_body(ComplaintStepSchema()), today_in_oslo())
        return _one(row)

    view.__name__ = f"complaint_{action}"
    documented(f"/complaints/{{complaint_id}}/{action}", "post",
               {"acknowledge": "Acknowledge receipt (e-mails the sender)", "assess": "Assess relevance",
                "handle": "Handle (someone not involved)", "decide": "Decide (not the handler, not involved)",
                "tell": "Tell the sender the outcome (e-mail)"}[action],
               request=ComplaintStepSchema, response=ComplaintOutSchema, params=("complaint_id",), tag=TAG)(view)
    return staff_required(view)


for _action in ("acknowledge", "assess", "handle", "decide", "tell"):
    tenant_api.add_url_rule(f"/complaints/<int:complaint_id>/{_action}", endpoint=f"complaint_{_action}",
                            view_func=_make(_action), methods=["POST"])


@tenant_api.get("/complaints/<int:complaint_id>")
@staff_required
@documented("/complaints/{complaint_id}", "get", "One complaint or appeal, with the extraordinary audits opened "
            "after its decision", response=ComplaintOutSchema, params=("complaint_id",), tag=TAG)
def get_complaint(complaint_id: int):
    return _one(complaint_or_404(current_session(), complaint_id))


@tenant_api.post("/complaints/<int:complaint_id>/extraordinary-audit")
@staff_required
@documented("/complaints/{complaint_id}/extraordinary-audit", "post", "After the decision: open an extraordinary "
            "audit of the certified company the complaint concerns, linked both ways (422 says why not)",
            request=ExtraordinarySchema, response=ComplaintOutSchema, params=("complaint_id",), status=201, tag=TAG)
def extraordinary_audit(complaint_id: int):
    session = current_session()
    row = complaint_or_404(session, complaint_id)
    data = json_body(ExtraordinarySchema())
    complaints.open_extraordinary_audit(session, current_user, row, data["reason"], today_in_oslo(), data["planned_on"])
    return _one(row), 201
