"""/api/v1/t/<slug>/jobs: the tenant's background jobs (admins), with the error of a failed one and a retry."""
from __future__ import annotations

from flask import abort, jsonify, request
from marshmallow import fields
from sqlalchemy import func, select

from saas.api.core import pagination, page_body
from saas.api.core import tenant_api
from saas.api.spec import documented
from saas.auth import admin_required
from saas.db import current_session
from saas.outbox import DONE, FAILED, PENDING, OutboxJob, retry
from saas.outbox_views import job_row
from saas.schemas import BaseSchema, FieldErrors

TAG = "jobs"


class JobSchema(BaseSchema):
    id = fields.Integer()
    key = fields.String(metadata={"description": "the deterministic job key (also the RQ job id)"})
    name = fields.String(metadata={"description": "the job function"})
    label = fields.String()
    status = fields.String(metadata={"description": "pending | done | failed (failed: after every automatic retry)"})
    attempts = fields.Integer(metadata={"description": "failed attempts so far"})
    error = fields.String(metadata={"description": "the last error, empty when none"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


@tenant_api.get("/jobs")
@admin_required
@documented("/jobs", "get", "The tenant's background jobs, newest first; ?status=failed|pending|done filters",
            response=JobSchema, many=True, tag=TAG)
def list_jobs():
    status = request.args.get("status")
    if status is not None and status not in (PENDING, DONE, FAILED):
        raise FieldErrors({"status": ["Må være pending, done eller failed."]})
    page, per_page = pagination()
    session = current_session()
    query = select(OutboxJob)
    if status:
        query = query.where(OutboxJob.status == status)
    total = session.scalar(query.with_only_columns(func.count(OutboxJob.id)).order_by(None))
    rows = session.scalars(query.order_by(OutboxJob.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return page_body(JobSchema(many=True).dump([job_row(j) for j in rows]), total, page, per_page)


@tenant_api.post("/jobs/<int:job_id>/retry")
@admin_required
@documented("/jobs/{job_id}/retry", "post", "Queue a failed job again; 409 when the job has not failed",
            response=JobSchema, params=("job_id",), tag=TAG,
            responses={409: "Jobben har ikke feilet (venter eller er ferdig)"})
def retry_job(job_id: int):
    session = current_session()
    job = session.scalar(select(OutboxJob).where(OutboxJob.id == job_id))
    if job is None:
        abort(404)
    if not retry(session, job):
        return jsonify(error="not_failed", message="Bare jobber som har feilet, kan prøves igjen."), 409
    return JobSchema().dump(job_row(job))
