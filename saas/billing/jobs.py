"""Billing jobs: a certificate's invoice, an invoice's PDF and e-mail, a Stripe event; and the daily
overdue reminders, plan changes and retries of events whose job failed.  Each takes ids, re-reads state and
returns early when its work is done, so running it twice changes nothing."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from saas.billing import webhooks
from saas.billing.services import delivery, invoices, subscriptions
from saas.jobs import enqueue, job
from saas.scheduler import daily_job, today_in_oslo
from saas.tenants.services import each_tenant


REPAIR_DAYS = 30


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
    return sum(delivery.remind_overdue(session, today) for _ in each_tenant(session))


@daily_job
@job
def sync_subscription_plans(session: Session, today_iso: str) -> int:
    """Move each live subscription to the plan its tenant's active companies call for; returns how many moved."""
    return sum(1 for _ in subscriptions.each_subscribed_tenant(session) if subscriptions.sync_plan(session))


@daily_job
@job
def retry_stripe_events(session: Session, today_iso: str) -> int:
    """Enqueue again the events whose processing failed (e.g. Stripe was unreachable at the time)."""
    pending = webhooks.unprocessed(session, timedelta(minutes=10))
    for event_id in pending:
        enqueue(session, process_stripe_event, event_id, tenant_id=None, job_id=f"stripe-event-{event_id}-retry-{today_iso}")
    return len(pending)


@daily_job
@job
def invoice_uninvoiced_certificates(session: Session, today_iso: str) -> int:
    """Repair what a crash can leave: every certificate issued in the last 30 days has its invoice.
    Enqueues the invoice job of each one that has none (its key and a unique constraint keep it to one
    invoice).  Older certificates are left alone: those were moved from an earlier system (demo data)."""
    from saas.billing.models import Invoice
    from saas.certification.models import Certificate

    since = date.fromisoformat(today_iso) - timedelta(days=REPAIR_DAYS)
    asked = 0
    for tenant in each_tenant(session, active_only=False):
        missing = session.scalars(select(Certificate.id).where(
            Certificate.issued_on >= since, Certificate.id.not_in(select(Invoice.certificate_id).where(Invoice.certificate_id.is_not(None))))).all()
        for certificate_id in missing:
            enqueue(session, invoice_certificate, certificate_id, tenant_id=tenant.id,
                    job_id=f"invoice-certificate-{certificate_id}")
        asked += len(missing)
    return asked
