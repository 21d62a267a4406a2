"""Billing jobs: a certificate's invoice, an invoice's PDF and e-mail, a Stripe event; and the daily
overdue reminders, plan changes and retries of events whose job failed.  Each takes ids, re-reads state and
returns early when its work is done, so running it twice changes nothing."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.billing import webhooks
from saas.billing.services import delivery, invoices, subscriptions
from saas.jobs import dispatch, job
from saas.scheduler import daily_job, today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant


@job
def invoice_certificate(session: Session, certificate_id: int) -> int | None:
    """Issue the invoice of a newly issued certificate (job id ``invoice-certificate-<id>``); returns its id."""
    invoice = invoices.invoice_certificate(session, certificate_id, today_in_oslo())
    return invoice.id if invoice is not None else None


@job
def deliver_invoice(session: Session, invoice_id: int) -> int:
    """Render the invoice's PDF and e-mail it (once); returns the number of e-mails sent."""
    return delivery.deliver(session, invoice_id)


@job
def process_stripe_event(session: Session, event_id: str) -> str | None:
    return webhooks.process(session, event_id)


@daily_job
@job
def remind_overdue_invoices(session: Session, today_iso: str) -> int:
    """Mark overdue invoices and send the reminders due today, tenant by tenant."""
    today = date.fromisoformat(today_iso)
    with platform_access(session):
        tenant_ids = session.scalars(select(Tenant.id).where(Tenant.active.is_(True)).order_by(Tenant.id)).all()
    sent = 0
    try:
        for tenant_id in tenant_ids:
            bind_tenant(session, tenant_id)
            sent += delivery.remind_overdue(session, today)
            session.flush()
    finally:
        bind_tenant(session, None)
    return sent


@daily_job
@job
def sync_subscription_plans(session: Session, today_iso: str) -> int:
    """Move each live subscription to the plan its tenant's active companies call for; returns how many moved."""
    return sum(1 for _ in subscriptions.each_subscribed_tenant(session) if subscriptions.sync_plan(session))


@daily_job
@job
def retry_stripe_events(session: Session, today_iso: str) -> int:
    """Enqueue again the events whose processing failed (e.g. Stripe was unreachable at the time)."""
    from flask import current_app

    app = current_app._get_current_object()
    pending = webhooks.unprocessed(session, timedelta(minutes=10))
    for event_id in pending:
        dispatch(app, process_stripe_event.job_name, None, [event_id], job_id=f"stripe-event-{event_id}-retry-{today_iso}")
    return len(pending)
