"""Background jobs as people see them: a tenant admin sees the tenant's own waiting and failed jobs, the
platform operator sees everyone's (and the platform-level ones), each with the error and a retry button."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from saas.auth import admin_required, operator_required, tenant_blueprint
from saas.db import current_session
from saas.outbox import DONE, FAILED, PENDING, OutboxJob, counts, retry
from saas.tenancy import platform_access
from saas.tenants.models import Tenant

bp = tenant_blueprint("jobs", __name__, "/jobs")
platform_bp = Blueprint("platform_jobs", __name__, url_prefix="/platform/jobs")
LIMIT = 200

JOB_LABELS = {
    "saas.mail.deliver": lazy_gettext("Sende e-post"),
    "saas.certification.document_jobs.render_certificate_document": lazy_gettext("Lage sertifikat-PDF"),
    "saas.billing.jobs.invoice_certificate": lazy_gettext("Fakturere sertifikat"),
    "saas.billing.jobs.deliver_invoice": lazy_gettext("Sende faktura"),
    "saas.billing.jobs.process_stripe_event": lazy_gettext("Behandle Stripe-hendelse"),
    "saas.hms.jobs.generate_mapping_report": lazy_gettext("Lage kartleggingsrapport"),
    "saas.hms.jobs.generate_psychosocial_report": lazy_gettext("Lage psykososial rapport"),
    "saas.jobs.run_task": lazy_gettext("Bakgrunnsoppgave"),
}
STATUS_LABELS = {PENDING: lazy_gettext("Venter"), DONE: lazy_gettext("Fullført"), FAILED: lazy_gettext("Feilet")}


def job_label(name: str, key: str) -> str:
    if key.startswith("daily-"):
        return gettext("Daglig jobb: %(name)s", name=name.rsplit(".", 1)[-1])
    label = JOB_LABELS.get(name)
    return str(label) if label is not None else name.rsplit(".", 1)[-1]


def job_row(job: OutboxJob, tenant_names: dict | None = None) -> dict:
    """A job as plain data (pages and API)."""
    return dict(id=job.id, key=job.job_key, name=job.name, label=job_label(job.name, job.job_key), status=job.status,
                status_label=str(STATUS_LABELS.get(job.status, job.status)), attempts=job.attempts, error=job.last_error,
                created_at=job.created_at, finished_at=job.finished_at, tenant_id=job.tenant_id,
                tenant_name=(tenant_names or {}).get(job.tenant_id, ""))


def unfinished(session, limit: int = LIMIT) -> list[OutboxJob]:
    """Failed and waiting jobs, failed first, newest first (scoped to the session's tenant as usual)."""
    return session.scalars(select(OutboxJob).where(OutboxJob.status.in_((FAILED, PENDING)))
                           .order_by(OutboxJob.status, OutboxJob.id.desc()).limit(limit)).all()


@bp.get("/")
@admin_required
def index():
    session = current_session()
    return render_template("jobs/index.html", jobs=[job_row(j) for j in unfinished(session)], counts=counts(session),
                           retry_endpoint="jobs.retry_job", operator=False)


@bp.post("/<int:job_id>/retry")
@admin_required
def retry_job(job_id: int):
    session = current_session()
    job = session.scalar(select(OutboxJob).where(OutboxJob.id == job_id))
    if job is None:
        abort(404)
    _retry_and_flash(session, job)
    return redirect(url_for("jobs.index"))


def _retry_and_flash(session, job: OutboxJob) -> None:
    if retry(session, job):
        flash(gettext("Jobben er satt i kø igjen."), "success")
    else:
        flash(gettext("Bare jobber som har feilet, kan prøves igjen."), "error")


@platform_bp.get("/")
@operator_required
def all_jobs():
    """The operator's page: every tenant's jobs and the platform-level ones."""
    session = current_session()
    with platform_access(session):
        names = dict(session.execute(select(Tenant.id, Tenant.name)).all())
        jobs = [job_row(j, names) for j in unfinished(session)]
        totals = counts(session)
    return render_template("jobs/index.html", jobs=jobs, counts=totals, retry_endpoint="platform_jobs.retry_any_job", operator=True)


@platform_bp.post("/<int:job_id>/retry")
@operator_required
def retry_any_job(job_id: int):
    session = current_session()
    with platform_access(session):
        job = session.scalar(select(OutboxJob).where(OutboxJob.id == job_id))
        if job is None:
            abort(404)
        _retry_and_flash(session, job)
    return redirect(url_for("platform_jobs.all_jobs"))
