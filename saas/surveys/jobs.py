"""Survey jobs: the PDF report of a closed survey, and the daily run that closes surveys past their
closing date and deletes raw answers whose retention is over.

Jobs take ids, re-read state and return early when their work is done; the daily run only fans out to
per-survey jobs with deterministic ids, so running it twice changes nothing.
"""
from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from saas import storage
from saas.db import utcnow
from saas.jobs import enqueue, job
from saas.pdf import render_pdf
from saas.scheduler import daily_job
from saas.surveys.models import Survey
from saas.tenancy import bound_tenant
from saas.tenants.models import Tenant


@job
def render_report_pdf(session: Session, survey_id: int) -> str | None:
    """Render the closed survey's report (from the stored, k-suppressed report only) and keep the PDF."""
    from saas.surveys.services.report_pdf import report_pdf_context

    survey = session.scalar(select(Survey).where(Survey.id == survey_id).with_for_update())
    if survey is None or survey.status != "closed" or survey.report is None or survey.pdf_key is not None:
        return None
    tenant = session.get(Tenant, bound_tenant(session))
    # A worker has no request to choose a language from: the report for the client company is in bokmål.
    with force_locale("nb"):
        pdf = render_pdf("survey_report.html", **report_pdf_context(session, tenant, survey))
    stored = storage.save_bytes(pdf, "pdf", f"sporreundersokelse-{survey.id}.pdf", "application/pdf")
    storage.remove_on_rollback(session, stored)
    survey.pdf_key, survey.pdf_built_at = stored.key, utcnow()
    return stored.key


@job
def close_expired_survey(session: Session, survey_id: int, today_iso: str) -> bool:
    """Close an open survey whose closing date has passed; True when it was closed now."""
    from saas.surveys.services.surveys import close_survey

    today = date.fromisoformat(today_iso)
    survey = session.scalar(select(Survey).where(Survey.id == survey_id))
    if survey is None or survey.status != "open" or survey.closes_on >= today:
        return False
    close_survey(session, None, session.get(Tenant, survey.tenant_id), survey, today)
    return True


@job
def purge_survey_answers(session: Session, survey_id: int, today_iso: str) -> int:
    """Delete a closed survey's raw answers when the tenant's retention time after the final report is over."""
    from saas.surveys.services.retention import purge_raw_answers

    survey = session.scalar(select(Survey).where(Survey.id == survey_id))
    if survey is None:
        return 0
    return purge_raw_answers(session, session.get(Tenant, survey.tenant_id), survey, date.fromisoformat(today_iso))


@daily_job
@job
def daily_surveys(session: Session, today_iso: str) -> dict:
    """Once a day, across tenants: close surveys past their closing date, delete raw answers due for it."""
    from saas.surveys.services.retention import surveys_to_close_or_purge

    to_close, to_purge = surveys_to_close_or_purge(session, date.fromisoformat(today_iso))
    for survey_id, tenant_id in to_close:
        enqueue(session, close_expired_survey, survey_id, today_iso, tenant_id=tenant_id,
                job_id=f"survey-close-{survey_id}-{today_iso}")
    for survey_id, tenant_id in to_purge:
        enqueue(session, purge_survey_answers, survey_id, today_iso, tenant_id=tenant_id,
                job_id=f"survey-purge-{survey_id}-{today_iso}")
    return {"closed": len(to_close), "purge_checked": len(to_purge)}
