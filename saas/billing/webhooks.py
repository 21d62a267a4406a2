"""Stripe webhooks: verified on the raw body, stored once per event id, acted on by a job.

``receive`` runs in the webhook request: it stores the verified event (the unique event id makes a
repeated delivery a no-op) and enqueues ``process`` after the commit, so Stripe gets its 2xx at once.
``process`` runs in a job: it locks the event row, returns if the event was already processed, re-fetches
the object from Stripe (events arrive late, twice and out of order: only the object's current state counts)
and applies it; ``processed_at`` is set in the same transaction as the effect.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.billing import crypto, gateway
from saas.billing.models import StripeConnection, StripeEvent
from saas.billing.services import payments, subscriptions
from saas.billing.services.settings import tenant_credentials
from saas.db import utcnow
from saas.jobs import enqueue
from saas.tenancy import bind_tenant, platform_access

PAYMENT_EVENTS = ("payment_intent.",)
SUBSCRIPTION_EVENTS = ("customer.subscription.",)
SUBSCRIPTION_INVOICE_EVENTS = ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed")


def receive(session: Session, event: dict, source: str, tenant_id: int | None) -> bool:
    """Store a verified event and have it processed; False when it was delivered before.  A repeated
    delivery of an event not yet processed is enqueued again (the job id and the row lock keep it to once)."""
    with platform_access(session):  # the event log is platform-level: events without a tenant are stored too
        try:
            with session.begin_nested():
                session.add(StripeEvent(event_id=event["id"], type=event["type"], source=source, tenant_id=tenant_id,
                                        account=event.get("account"), object_type=event["object_type"][:50],
                                        object_id=event["object_id"][:100], livemode=event["livemode"]))
            new = True
        except IntegrityError:
            new = False
            if session.scalar(select(StripeEvent.processed_at).where(StripeEvent.event_id == event["id"])) is not None:
                return False
    from saas.billing.jobs import process_stripe_event

    enqueue(session, process_stripe_event, event["id"], tenant_id=None, job_id=f"stripe-event-{event['id']}")
    return new


def reject(session: Session, payload: bytes, reason: str, source: str, tenant_id: int | None) -> bool:
    """Record a correctly signed body that is not a usable event (``gateway.MalformedEvent``): stored as
    processed, with outcome "rejected: <reason>", so the webhook acknowledges it, Stripe stops delivering it and
    no job ever acts on it.  Keyed by the body's SHA-256, so a redelivery adds nothing; False when it did."""
    event_id = "rejected-" + hashlib.sha256(payload).hexdigest()
    with platform_access(session):  # the event log is platform-level
        try:
            with session.begin_nested():
                session.add(StripeEvent(event_id=event_id, type="rejected", source=source, tenant_id=tenant_id, account=None,
                                        object_type="", object_id="", livemode=False, processed_at=utcnow(),
                                        outcome=f"rejected: {reason}"[:200]))
            return True
        except IntegrityError:
            return False


def _tenant_of_account(session: Session, account: str) -> int | None:
    with platform_access(session):
        return session.scalar(select(StripeConnection.tenant_id).where(StripeConnection.ref == crypto.lookup_hash("acct:" + account)))


def process(session: Session, event_id: str) -> str | None:
    """Apply one stored event (platform-level job); returns its outcome, None when already processed."""
    # A no-op UPDATE first: it locks the row until the transaction ends (PostgreSQL) and takes the write lock
    # before anything is read (SQLite), so two jobs for one event queue here and the second sees processed_at.
    with platform_access(session):
        session.execute(update(StripeEvent).where(StripeEvent.event_id == event_id).values(outcome=StripeEvent.outcome)
                        .execution_options(synchronize_session=False))
        row = session.scalar(select(StripeEvent).where(StripeEvent.event_id == event_id))
    if row is None or row.processed_at is not None:
        return None
    tenant_id = row.tenant_id
    if tenant_id is None and row.account:
        tenant_id = _tenant_of_account(session, row.account)
    if row.type.startswith(PAYMENT_EVENTS):
        outcome = _payment(session, row, tenant_id)
    elif row.source == "platform" and not row.account and row.type.startswith(SUBSCRIPTION_EVENTS):
        outcome = subscriptions.sync(session, row.object_id)
    elif row.source == "platform" and not row.account and row.type in SUBSCRIPTION_INVOICE_EVENTS:
        subscription_id = gateway.retrieve_invoice_subscription(gateway.platform_credentials(), row.object_id)
        outcome = subscriptions.sync(session, subscription_id) if subscription_id else "not a subscription invoice"
    else:
        outcome = "ignored"
    with platform_access(session):
        row.processed_at = utcnow()
        row.outcome = outcome[:200]
    return outcome


def _payment(session: Session, row: StripeEvent, tenant_id: int | None) -> str:
    if tenant_id is None:
        return "no tenant for this payment"
    bind_tenant(session, tenant_id)
    try:
        connection = tenant_credentials(session)
        if connection is None:
            return "tenant has no Stripe connection"
        creds, _ = connection
        if row.account and creds.account != row.account:
            return "account does not match the tenant's connection"
        return payments.apply_payment_intent(session, gateway.retrieve_payment_intent(creds, row.object_id))
    finally:
        session.flush()
        bind_tenant(session, None)


def unprocessed(session: Session, older_than: timedelta) -> list[str]:
    """Events stored but not processed (a job that failed, e.g. Stripe was unreachable)."""
    cutoff = utcnow() - older_than
    with platform_access(session):
        return list(session.scalars(select(StripeEvent.event_id).where(StripeEvent.processed_at.is_(None),
                                                                       StripeEvent.received_at < cutoff)
                                    .order_by(StripeEvent.id).limit(500)))
