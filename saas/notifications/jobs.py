"""The daily notification jobs: overdue actions and the e-mail digests.  Platform-level jobs that loop
over the tenants (not suspended ones: their people can't log in, so no digests or overdue notices until
the tenant is reopened); safe to run twice on a day (dedupe keys and the digest claim)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from saas.db import utcnow
from saas.jobs import job
from saas.notifications import services
from saas.scheduler import daily_job
from saas.tenants.services import each_tenant


@daily_job
@job
def notify_overdue_actions(session: Session, today_iso: str) -> int:
    """Tell responsible users and consultants about actions past their deadline; returns how many notices."""
    today = date.fromisoformat(today_iso)
    return sum(services.notify_overdue(session, today) for _ in each_tenant(session, reachable_only=True))


@daily_job
@job
def send_daily_digests(session: Session, today_iso: str) -> int:
    """E-mail each opted-in user a digest of their unread notifications; returns how many e-mails."""
    now = utcnow()
    return sum(services.send_digests(session, tenant, now) for tenant in each_tenant(session, reachable_only=True))
