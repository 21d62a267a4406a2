"""The job that renders a certificate's framed PDF, and the subscriber that enqueues it when a
certificate is issued (registered by saas.certification.publication at application start)."""
from __future__ import annotations

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
