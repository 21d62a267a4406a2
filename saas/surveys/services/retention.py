"""Retention: raw answers are deleted a tenant-set number of days after the report is final; the report
(the k-suppressed aggregates) stays, and every output is made from it alone."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.surveys.models import Survey, SurveyResponse
from saas.tenancy import platform_access
from saas.tenants.models import DEFAULT_TENANT_SETTINGS, Tenant


def retention_days(tenant: Tenant) -> int:
    days = tenant.setting("raw_answer_retention_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        return DEFAULT_TENANT_SETTINGS["raw_answer_retention_days"]
    return days


def due_for_deletion(tenant: Tenant, survey: Survey, today: date) -> bool:
    return (survey.status == "closed" and survey.report_final_on is not None and survey.raw_deleted_on is None
            and survey.report_final_on + timedelta(days=retention_days(tenant)) <= today)


def purge_raw_answers(session: Session, tenant: Tenant, survey: Survey, today: date) -> int:
    """Delete the survey's raw answers if their time is up; returns how many were deleted (0 when not due)."""
    if not due_for_deletion(tenant, survey, today):
        return 0
    deleted = session.execute(delete(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
                              .execution_options(synchronize_session=False)).rowcount
    survey.raw_deleted_on = today
    session.flush()
    record(session, None, "survey.raw_answers_deleted", survey, survey.title, responses=deleted)
    return deleted


def surveys_to_close_or_purge(session: Session, today: date) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(survey id, tenant id) pairs across all tenants: open surveys past their closing date, and closed
    surveys whose raw answers are still kept (each tenant's own retention decides later)."""
    with platform_access(session):
        to_close = session.execute(select(Survey.id, Survey.tenant_id).where(Survey.status == "open", Survey.closes_on < today)
                                   .order_by(Survey.id)).all()
        to_purge = session.execute(select(Survey.id, Survey.tenant_id).where(
            Survey.status == "closed", Survey.raw_deleted_on.is_(None), Survey.report_final_on.is_not(None),
            Survey.report_final_on <= today).order_by(Survey.id)).all()
    return [tuple(r) for r in to_close], [tuple(r) for r in to_purge]
