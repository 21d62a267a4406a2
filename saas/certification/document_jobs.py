"""The job that renders a certificate's framed PDF, the subscriber that enqueues it when a certificate
is issued (registered by saas.certification.publication at application start), and where that render
stands for the pages (queued / rendering / ready / failed, with the reason and a retry)."""
from __future__ import annotations

from flask_babel import lazy_gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.certification import documents
from saas.jobs import job
from saas.scheduler import daily_job


@job
def render_certificate_document(session: Session, certificate_id: int) -> int | None:
    """Render and store the certificate's PDF once; returns the document id (None: no such certificate)."""
    return documents.render_and_store(session, certificate_id)


def enqueue_on_issue(session: Session, certificate) -> None:
    """hooks subscriber: render the new certificate after the deciding transaction commits, under the
    deterministic job id ``certificate-pdf-<id>`` (a repeated enqueue is a no-op)."""
    documents.request_render(session, certificate.id, certificate.tenant_id)


@daily_job
@job
def render_missing_documents(session: Session, today_iso: str) -> int:
    """Repair what a crash can leave: every certificate has its rendered document.  Enqueues the render
    of each certificate without one, tenant by tenant; returns how many were asked for."""
    from saas.tenants.services import each_tenant

    return sum(documents.request_missing(session) for _ in each_tenant(session, active_only=False))


STATUS_LABELS = {"none": lazy_gettext("Ikke laget ennå"), "queued": lazy_gettext("I kø"),
                 "rendering": lazy_gettext("Lages nå"), "ready": lazy_gettext("Klar"), "failed": lazy_gettext("Feilet")}


def document_status(session: Session, certificate_id: int) -> dict:
    """Where the certificate's PDF stands (two indexed reads): {"state", "label", "error", "attempts"}.

    ready: the document is stored.  Otherwise the render job's outbox row tells: failed (for good, with its
    error), queued (waiting for a worker, or for its next attempt after an error), rendering (handed to a
    worker).  none: no document and no job (a certificate from before documents existed)."""
    from saas.certification.document_models import CertificateDocument
    from saas.db import utcnow
    from saas.outbox import FAILED, OutboxJob, job_key

    if session.scalar(select(CertificateDocument.id).where(CertificateDocument.certificate_id == certificate_id)):
        state, job = "ready", None
    else:
        job = session.scalar(select(OutboxJob).where(OutboxJob.job_key == job_key(documents.render_job_id(certificate_id))))
        if job is None or job.status not in ("pending", FAILED):
            state = "none" if job is None else "queued"  # done without a document: the repair job makes it again
        elif job.status == FAILED:
            state = "failed"
        elif job.dispatched_at is None or (job.not_before is not None and job.not_before > utcnow()):
            state = "queued"
        else:
            state = "rendering"
    return dict(state=state, label=str(STATUS_LABELS[state]), error=(job.last_error if job is not None and state in ("failed", "queued") else ""),
                attempts=job.attempts if job is not None else 0)


def retry_render(session: Session, certificate_id: int, tenant_id: int) -> bool:
    """Ask for the render again (the retry button): re-arms a failed job, or enqueues one when there is
    none; returns False when the document is already there or its job is still waiting or running."""
    state = document_status(session, certificate_id)["state"]
    if state not in ("failed", "none"):
        return False
    documents.request_render(session, certificate_id, tenant_id)
    return True
