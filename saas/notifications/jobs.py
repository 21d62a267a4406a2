"""The daily notification jobs: overdue actions and the e-mail digests.  Platform-level jobs that loop
over the tenants; safe to run twice on a day (dedupe keys and the digest claim)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.db import utcnow
from saas.jobs import job
from saas.notifications import services
from saas.scheduler import daily_job
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant


def _tenants(session: Session) -> list[Tenant]:
    with platform_access(session):  # the tenants table is platform-level under row-level security
        # A suspended tenant's people can't log in: no digests or overdue notices until it is reopened.
        return list(session.scalars(select(Tenant).where(Tenant.active.is_(True), Tenant.suspended_at.is_(None))
                                    .order_by(Tenant.id)))


@daily_job
@job
def notify_overdue_actions(session: Session, today_iso: str) -> int:
    """Tell responsible users and consultants about actions past their deadline; returns how many notices."""
    today, added = date.fromisoformat(today_iso), 0
    try:
        for tenant in _tenants(session):
            bind_tenant(session, tenant.id)
            added += services.notify_overdue(session, today)
    finally:
        bind_tenant(session, None)
    return added


@daily_job
@job
def send_daily_digests(session: Session, today_iso: str) -> int:
    """E-mail each opted-in user a digest of their unread notifications; returns how many e-mails."""
    sent, now = 0, utcnow()
    try:
        for tenant in _tenants(session):
            bind_tenant(session, tenant.id)
            sent += services.send_digests(session, tenant, now)
    finally:
        bind_tenant(session, None)
    return sent
