"""The case file export for auditors and authorities: one PDF with the index and the whole history
(every step's dates, the matrix, team, findings with corrective actions, samples, decision and the
audit log), and a ZIP with that PDF and every file of the case (evidence).  Made by a background job;
the task's result names the stored ZIP, which the case page offers for download."""
from __future__ import annotations

import io
import zipfile
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas import pdf, storage
from saas.audit.models import AuditEvent
from saas.audit.services import record
from saas.audits.archive import retention_ends
from saas.audits.models import AuditCase, CaseFile, CorrectiveAction, Finding
from saas.audits.services import overview
from saas.jobs import BackgroundTask, Progress, job, start_task
from saas.tenants.models import Tenant, User

TASK_KIND = "audit_case_export"


def start_export(session: Session, actor: User, case: AuditCase) -> BackgroundTask:
    task = start_task(session, TASK_KIND, export_case, case.id, user_id=actor.id)
    record(session, actor, "audit.export_started", case)
    return task


def case_file_data(session: Session, case: AuditCase, viewer: User, today: date) -> dict:
    """Plain data for the case-file PDF."""
    page = overview.case_page(session, case, viewer, today)
    finding_ids = select(Finding.id).where(Finding.case_id == case.id)
    ca_ids = select(CorrectiveAction.id).where(CorrectiveAction.finding_id.in_(finding_ids))
    events = session.scalars(select(AuditEvent).where(
        ((AuditEvent.object_type == "AuditCase") & (AuditEvent.object_id == case.id))
        | ((AuditEvent.object_type == "Finding") & AuditEvent.object_id.in_(finding_ids))
        | ((AuditEvent.object_type == "CorrectiveAction") & AuditEvent.object_id.in_(ca_ids)))
        .order_by(AuditEvent.id)).all()
    users = {u.id: u.name for u in session.scalars(select(User))}
    tenant = session.get(Tenant, case.tenant_id)
    return dict(case=page, tenant=dict(name=tenant.name, address=tenant.address, postcode=tenant.postcode,
                                       city=tenant.city, org_number=tenant.org_number,
                                       primary_color=tenant.primary_color or "#1f4e79"),
                history=[dict(at=e.created_at.strftime("%d.%m.%Y %H:%M"), who=users.get(e.actor_id, "Systemet"),
                              action=e.action, summary=e.summary) for e in events],
                retention_until=retention_ends(case), generated_on=today)


def build_zip(session: Session, case: AuditCase, viewer: User, today: date) -> bytes:
    data = case_file_data(session, case, viewer, today)
    document = pdf.render_pdf("audit_case_file.html", **data)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"sak-{case.id}/saksmappe.pdf", document)
        for f in session.scalars(select(CaseFile).where(CaseFile.case_id == case.id).order_by(CaseFile.id)):
            if storage.exists(f.storage_key):
                archive.writestr(f"sak-{case.id}/bevis/{f.id}-{storage.safe_display_name(f.filename)}",
                                 storage.read(f.storage_key))
    return buffer.getvalue()


@job
def export_case(session: Session, task_id: int, case_id: int) -> None:
    """Build the case file ZIP and store it; the task's result names it.  Does nothing for a finished task."""
    from saas.i18n import today_in_oslo

    task = session.scalar(select(BackgroundTask).where(BackgroundTask.id == task_id))
    if task is None or task.status in ("done", "failed"):
        return
    progress = Progress(session, task_id)
    progress.start(1, "Lager saksmappen …")
    case = session.scalar(select(AuditCase).where(AuditCase.id == case_id))
    viewer = session.get(User, task.created_by)
    data = build_zip(session, case, viewer, today_in_oslo())
    stored = storage.save_bytes(data, "zip", f"sak-{case_id}.zip", "application/zip")
    progress.finish(session, {"file_key": stored.key, "file_name": f"saksmappe-sak-{case_id}.zip", "size": stored.size,
                              "case_id": case_id}, "Saksmappen er klar.")
