"""The platform's subscriptions of tenants (Stripe Billing on the platform's own Stripe account).

A tenant's plan follows its number of active (not archived) client companies (pricing.plan_for).  The
admin registers a card (a SetupIntent confirmed by Stripe.js); the server re-fetches that SetupIntent and
starts the subscription.  Afterwards Stripe's events (re-fetched, never trusted as sent) keep ``status``
current, and a daily job moves the subscription to the plan the company count calls for.  A tenant whose
subscription has lapsed (pricing.LAPSED_STATUSES) keeps read access and its exports: see billing.guard.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.billing import gateway, pricing
from saas.billing.models import TenantSubscription
from saas.billing.services import Refused
from saas.clients.models import ClientCompany
from saas.db import utcnow
from saas.tenancy import each_bound, platform_access
from saas.tenants.models import Tenant, User

STATUS_LABELS = {
    "active": "Aktivt", "trialing": "Prøveperiode", "past_due": "Betaling feilet, prøves igjen", "unpaid": "Ubetalt",
    "canceled": "Avsluttet", "incomplete": "Ikke fullført", "incomplete_expired": "Utløpt før første betaling",
    "paused": "Pauset",
}


def active_companies(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ClientCompany).where(ClientCompany.archived_at.is_(None)))


def current(session: Session) -> TenantSubscription | None:
    return session.scalar(select(TenantSubscription))


def is_lapsed(session: Session) -> bool:
    """True when the bound tenant's subscription no longer pays for changes (read access stays)."""
    status = session.scalar(select(TenantSubscription.status))
    return pricing.subscription_lapsed(status)


def _as_dict(row: TenantSubscription | None) -> dict | None:
    if row is None:
        return None
    return dict(plan=row.plan, plan_name=pricing.plan_by_code(row.plan).name, status=row.status,
                status_label=STATUS_LABELS.get(row.status, row.status), current_period_end=row.current_period_end,
                cancel_at_period_end=row.cancel_at_period_end, lapsed=pricing.subscription_lapsed(row.status),
                lapsed_at=row.lapsed_at, live=bool(row.subscription_id))


def tenant_view(session: Session) -> dict:
    count = active_companies(session)
    return dict(subscription=_as_dict(current(session)), active_companies=count, plan=pricing.plan_for(count),
                plans=pricing.PLANS, configured=gateway.platform_credentials().usable,
                publishable_key=gateway.platform_credentials().publishable_key)


def start(session: Session, actor: User, tenant: Tenant) -> dict:
    """Begin (or resume) registering the card the subscription will be charged to.  Returns what Stripe.js
    needs.  Raises Refused when the tenant already has a live subscription; GatewayError when Stripe fails."""
    creds = gateway.platform_credentials()
    row = current(session)
    if row is not None and row.subscription_id and not pricing.subscription_lapsed(row.status):
        raise Refused("Dere har allerede et abonnement.")
    plan = pricing.plan_for(active_companies(session))
    if row is None:
        customer = gateway.create_customer(creds, tenant.name, tenant.contact_email,
                                           {"tenant_id": str(tenant.id), "org_number": tenant.org_number},
                                           idempotency_key=f"tenant-customer-{tenant.id}")
        row = TenantSubscription(customer_id=customer, plan=plan.code, status="incomplete")
        session.add(row)
    intent = gateway.create_setup_intent(creds, row.customer_id, {"tenant_id": str(tenant.id)})
    row.setup_intent_id = intent["id"]
    row.plan = plan.code
    session.flush()
    record(session, actor, "subscription.card_requested", row, f"Abonnement {plan.name} påbegynt")
    return dict(client_secret=intent["client_secret"], publishable_key=creds.publishable_key, plan=plan)


def confirm(session: Session, actor: User, tenant: Tenant, setup_intent_id: str) -> TenantSubscription:
    """Start the subscription once Stripe says the card registration succeeded.  Raises Refused when the
    registration is not this tenant's latest or has not succeeded."""
    creds = gateway.platform_credentials()
    row = current(session)
    if row is None or not setup_intent_id or row.setup_intent_id != setup_intent_id:
        raise Refused("Kortregistreringen hører ikke til dette abonnementet. Start på nytt.")
    if row.subscription_id and not pricing.subscription_lapsed(row.status):
        return row
    intent = gateway.retrieve_setup_intent(creds, setup_intent_id)
    if intent["status"] != "succeeded" or intent["customer"] not in (None, row.customer_id) or not intent["payment_method"]:
        raise Refused("Kortet ble ikke godkjent. Prøv igjen.")
    gateway.set_default_payment_method(creds, row.customer_id, intent["payment_method"])
    plan = pricing.plan_for(active_companies(session))
    sub = gateway.create_subscription(creds, row.customer_id, gateway.ensure_plan(creds, plan), {"tenant_id": str(tenant.id)},
                                      idempotency_key=f"subscription-{tenant.id}-{setup_intent_id}")
    row.subscription_id = sub["id"]
    row.plan = plan.code
    _copy(row, sub)
    record(session, actor, "subscription.started", row, f"Abonnement {plan.name}: {row.status}")
    return row


def _copy(row: TenantSubscription, sub: dict) -> None:
    row.status = sub["status"]
    row.cancel_at_period_end = sub["cancel_at_period_end"]
    row.current_period_end = (datetime.fromtimestamp(sub["current_period_end"], tz=timezone.utc)
                              if sub["current_period_end"] else None)
    for plan in pricing.PLANS:
        if sub["plan_id"] == gateway.plan_id(plan):
            row.plan = plan.code
    lapsed = pricing.subscription_lapsed(row.status)
    if lapsed and row.lapsed_at is None:
        row.lapsed_at = utcnow()
    elif not lapsed:
        row.lapsed_at = None


def sync(session: Session, subscription_id: str) -> str:
    """Copy a subscription's state as re-fetched from Stripe (platform-level: finds its tenant itself)."""
    sub = gateway.retrieve_subscription(gateway.platform_credentials(), subscription_id)
    with platform_access(session):
        row = session.scalar(select(TenantSubscription).where(TenantSubscription.subscription_id == sub["id"]))
        if row is None:  # the event came before our own request stored the id: find it by its customer
            row = session.scalar(select(TenantSubscription).where(TenantSubscription.customer_id == sub["customer"]))
            if row is None:
                return f"subscription {sub['id']}: no tenant"
            if row.subscription_id is not None:  # an earlier, replaced subscription of the tenant
                return f"subscription {sub['id']}: not the tenant's current one"
            row.subscription_id = sub["id"]
        _copy(row, sub)
    return f"subscription {sub['id']}: {row.status}"


def sync_plan(session: Session) -> str | None:
    """Move the bound tenant's live subscription to the plan its active companies call for."""
    row = current(session)
    if row is None or not row.subscription_id or pricing.subscription_lapsed(row.status):
        return None
    plan = pricing.plan_for(active_companies(session))
    if plan.code == row.plan:
        return None
    creds = gateway.platform_credentials()
    sub = gateway.retrieve_subscription(creds, row.subscription_id)
    changed = gateway.change_subscription_plan(creds, row.subscription_id, sub["item_id"], gateway.ensure_plan(creds, plan))
    previous = row.plan
    row.plan = plan.code
    _copy(row, changed)
    record(session, None, "subscription.plan_changed", row, f"Abonnement endret fra {previous} til {plan.code}")
    return plan.code


def overview(session: Session) -> list[dict]:
    """Every tenant with its subscription and active companies, for the platform operator."""
    with platform_access(session):
        tenants = session.scalars(select(Tenant).order_by(Tenant.name)).all()
        rows = {r.tenant_id: r for r in session.scalars(select(TenantSubscription))}
        counts = dict(session.execute(select(ClientCompany.tenant_id, func.count()).where(ClientCompany.archived_at.is_(None))
                                      .group_by(ClientCompany.tenant_id)).all())
    result = []
    for tenant in tenants:
        count = counts.get(tenant.id, 0)
        sub = _as_dict(rows.get(tenant.id))
        result.append(dict(tenant_id=tenant.id, name=tenant.name, slug=tenant.slug, active=tenant.active, active_companies=count,
                           required_plan=pricing.plan_for(count).name, subscription=sub,
                           mismatch=bool(sub and sub["live"] and sub["plan"] != pricing.plan_for(count).code)))
    return result


def each_subscribed_tenant(session: Session):
    """Bind each tenant with a subscription in turn (daily jobs)."""
    with platform_access(session):
        tenant_ids = session.scalars(select(TenantSubscription.tenant_id).order_by(TenantSubscription.tenant_id)).all()
    yield from each_bound(session, tenant_ids)
