"""Tenants' subscriptions to the platform through Stripe Billing, against localstripe: subscribing, events
delivered to the platform endpoint, the operator's overview, plan changes with the company count, and a
lapsed subscription that leaves read access and exports but refuses changes."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from saas.billing import gateway, guard, jobs, pricing
from saas.billing.models import StripeEvent, TenantSubscription
from saas.billing.services import subscriptions
from saas.db import utcnow
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant
from tests import factories
from tests.conftest import login
from tests.integration.conftest_stripe import *  # noqa: F401,F403  (localstripe, stripe_app, live_server, helpers)
from tests.integration.conftest_stripe import PLATFORM_WEBHOOK_SECRET, event_payload, localstripe_call, signed, wait_for


@pytest.fixture(autouse=True)
def platform_webhook(live_server, localstripe):
    localstripe_call(localstripe, "POST", "/_config/webhooks/hms",
                     {"url": f"{live_server}/stripe/webhook", "secret": PLATFORM_WEBHOOK_SECRET})


def _tenant(app, companies: int) -> dict:
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        admin = factories.make_user(session, tenant, roles=("admin",))
        for _ in range(companies):
            factories.make_company(session, tenant)
        factories.make_company(session, tenant, archived_at=utcnow())  # archived: not counted
        return dict(tenant=tenant.id, slug=tenant.slug, name=tenant.name, admin=admin)


def _row(app, world) -> TenantSubscription | None:
    session = app.extensions["saas.db"].sessionmaker()
    bind_tenant(session, world["tenant"])
    try:
        return session.scalar(select(TenantSubscription))
    finally:
        session.close()


def _subscribe(app, world, client) -> TenantSubscription:
    """Through the pages: start, register the card (Stripe.js's part done with the API), confirm."""
    login(client, world["admin"])
    page = client.post(f"/t/{world['slug']}/billing/subscription/start")
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    setup_intent = _row(app, world).setup_intent_id
    assert f"{setup_intent}_secret_" in page.get_data(as_text=True)
    with app.app_context():
        assert gateway.confirm_setup_intent(gateway.platform_credentials(), setup_intent, "pm_card_visa")["status"] == "succeeded"
    done = client.post(f"/t/{world['slug']}/billing/subscription/confirm", data={"setup_intent": setup_intent})
    assert done.status_code == 302, done.get_data(as_text=True)[:400]
    return _row(app, world)


def test_a_tenant_subscribes_to_the_plan_its_company_count_calls_for_and_the_operator_sees_it(stripe_app, localstripe):
    world = _tenant(stripe_app, companies=12)
    row = _subscribe(stripe_app, world, stripe_app.test_client())

    assert (row.status, row.plan) == ("active", "standard")
    remote = localstripe_call(localstripe, "GET", f"/v1/subscriptions/{row.subscription_id}")
    assert remote["status"] == "active" and remote["plan"]["id"] == "hms-plan-standard" and remote["customer"] == row.customer_id
    assert row.current_period_end is not None and row.current_period_end > datetime.now(timezone.utc)
    wait_for(lambda: _processed(stripe_app, "customer.subscription.created", row.subscription_id))

    operator = stripe_app.test_client()
    with stripe_app.app_context(), stripe_app.extensions["saas.db"].session_scope() as session:
        user = factories.make_user(session, None, roles=())
    login(operator, user)
    page = operator.get("/platform/billing/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and world["name"] in text and "Standard" in text and "Aktivt" in text
    tenant_admin = stripe_app.test_client()
    login(tenant_admin, world["admin"])
    assert tenant_admin.get("/platform/billing/").status_code == 404


def _processed(app, event_type: str, object_id: str):
    session = app.extensions["saas.db"].sessionmaker()
    try:
        with platform_access(session):  # the Stripe event log is platform-level
            return session.scalar(select(StripeEvent).where(StripeEvent.type == event_type, StripeEvent.object_id == object_id,
                                                            StripeEvent.processed_at.is_not(None)))
    finally:
        session.close()


def test_a_lapsed_subscription_keeps_reading_and_export_but_refuses_changes(stripe_app, localstripe):
    world = _tenant(stripe_app, companies=3)
    client = stripe_app.test_client()
    row = _subscribe(stripe_app, world, client)
    base = f"/t/{world['slug']}/billing"
    assert client.post(f"{base}/settings", data={"payment_terms_days": "10"}).status_code == 422  # allowed (and incomplete)

    localstripe_call(localstripe, "DELETE", f"/v1/subscriptions/{row.subscription_id}")  # Stripe ends it
    lapsed = wait_for(lambda: (r := _row(stripe_app, world)).status == "canceled" and r)
    assert lapsed.lapsed_at is not None

    assert client.get(f"{base}/invoices").status_code == 200
    export = client.get(f"{base}/ledger.csv")
    assert export.status_code == 200 and export.get_data(as_text=True).startswith("\ufeffFakturanr")
    for path in ("/settings", "/invoices/new", "/stripe"):
        refused = client.post(base + path, data={"payment_terms_days": "10"})
        assert refused.status_code == 402 and "Abonnementet er ikke betalt" in refused.get_data(as_text=True)
    assert client.post(f"{base}/subscription/start").status_code == 200  # renewing is still allowed
    with stripe_app.test_request_context(f"/t/{world['slug']}/companies/new", method="POST"):
        from saas.db import current_session

        bind_tenant(current_session(), world["tenant"])
        assert guard.write_refused()  # what the lead's global hook will ask for every tenant page


def test_a_subscription_event_that_arrives_before_our_own_request_stored_the_id_ends_right(stripe_app, localstripe):
    """Stripe's "updated" (active) comes before "created", and before the confirm request has saved the id."""
    world = _tenant(stripe_app, companies=1)
    with stripe_app.app_context():
        creds = gateway.platform_credentials()
        # session_scope takes SQLite's write lock up front: localstripe's webhooks write concurrently
        with stripe_app.extensions["saas.db"].session_scope() as session:
            bind_tenant(session, world["tenant"])
            tenant = session.get(Tenant, world["tenant"])
            subscriptions.start(session, world["admin"], tenant)
            row = session.scalar(select(TenantSubscription))
        customer = row.customer_id
        gateway.confirm_setup_intent(creds, row.setup_intent_id, "pm_card_visa")
        pm = gateway.retrieve_setup_intent(creds, row.setup_intent_id)["payment_method"]
        gateway.set_default_payment_method(creds, customer, pm)
        sub = gateway.create_subscription(creds, customer, gateway.ensure_plan(creds, pricing.PLANS[0]), {}, "x")
    client = stripe_app.test_client()
    now = int(time.time())
    for event_type, created in (("customer.subscription.updated", now), ("customer.subscription.created", now - 10)):
        payload = event_payload(event_type, {"id": sub["id"], "object": "subscription", "status": "incomplete"}, created=created)
        assert client.post("/stripe/webhook", data=payload, headers=signed(payload, PLATFORM_WEBHOOK_SECRET)).status_code == 200
    row = _row(stripe_app, world)
    assert (row.subscription_id, row.status) == (sub["id"], "active")


def test_the_daily_job_moves_a_subscription_to_the_plan_the_company_count_calls_for(stripe_app, localstripe):
    world = _tenant(stripe_app, companies=10)
    row = _subscribe(stripe_app, world, stripe_app.test_client())
    assert row.plan == "start"
    with stripe_app.app_context(), stripe_app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, world["tenant"])
        factories.make_company(session, session.get(Tenant, world["tenant"]))
    with stripe_app.app_context(), stripe_app.extensions["saas.db"].session_scope() as session:
        assert jobs.sync_subscription_plans(session, "2026-06-15") >= 1
    row = _row(stripe_app, world)
    assert row.plan == "standard"
    assert localstripe_call(localstripe, "GET", f"/v1/subscriptions/{row.subscription_id}")["plan"]["id"] == "hms-plan-standard"
