"""Paying invoices through Stripe, against localstripe on loopback through the official stripe library:
customer and payment created, webhooks delivered by localstripe to the application served for real and
verified, the invoice marked paid; forged signatures, repeated and out-of-order events; Connect events
(which localstripe cannot send) as signed recorded payloads."""
from __future__ import annotations

import itertools
import json
import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from saas.billing import gateway
from saas.billing.models import Invoice, Payment, StripeEvent
from saas.billing.services import invoices, payments, settings
from saas.i18n import today_in_oslo
from saas.tenancy import bind_tenant, platform_access
from tests import factories
from tests.integration.conftest_stripe import *  # noqa: F401,F403  (localstripe, stripe_app, live_server, helpers)
from tests.integration.conftest_stripe import (CONNECT_ACCOUNT, PLATFORM_WEBHOOK_SECRET, TENANT_KEY, TENANT_WEBHOOK_SECRET,
                                               event_payload, localstripe_call, signed, wait_for)

ROOT = Path(__file__).resolve().parents[2]
_tenants = itertools.count(1)


def _session(app, tenant_id=None):
    session = app.extensions["saas.db"].sessionmaker()
    bind_tenant(session, tenant_id)
    return session


def _tenant_with_invoice(app, mode: str) -> dict:
    """A committed tenant connected to Stripe (own key, or a Connect account: each tenant its own), with a sent
    invoice of 6 125 kr."""
    n = next(_tenants)
    key, secret, account = f"{TENANT_KEY}{n:04d}", f"{TENANT_WEBHOOK_SECRET}{n:04d}", f"{CONNECT_ACCOUNT}{n:04d}"
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        factories.give_bank_account(session)
        admin = factories.make_user(session, tenant, roles=("admin",))
        company = factories.make_company(session, tenant, name="Betaler AS")
        factories.make_contact(session, company, email="betaler@example.no")
        data = {"mode": mode, "account_id": account} if mode == "connect" else {
            "mode": mode, "secret_key": key, "webhook_secret": secret, "publishable_key": "pk_test_tenant00000001"}
        settings.save_connection(session, admin, data)
        invoice = invoices.manual_invoice(session, admin, tenant, {"company_id": company.id, "lines": [
            dict(description="HMS-sertifikat klasse A", quantity=100, unit_price=490_000, vat_code="high")]}, today_in_oslo())
        ids = dict(tenant=tenant.id, slug=tenant.slug, invoice=invoice.id, token=invoice.public_token, key=key, secret=secret,
                   account=account)
    return ids


def _invoice(app, world) -> Invoice:
    session = _session(app, world["tenant"])
    try:
        return session.scalar(select(Invoice).where(Invoice.id == world["invoice"]))
    finally:
        session.close()


def _count(app, model, tenant_id=None, **where) -> int:
    """Rows of ``model`` (of the tenant, when given: a tenant-owned model is counted within it)."""
    session = _session(app, tenant_id)
    try:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        if tenant_id is None:  # platform-level rows (the Stripe event log)
            with platform_access(session):
                return session.scalar(query)
        return session.scalar(query)
    finally:
        session.close()


def _start_payment(app, world) -> str:
    """What the pay button does (a PaymentIntent for the invoice); returns the PaymentIntent's id."""
    with app.app_context(), app.extensions["saas.db"].session_scope() as session:
        bind_tenant(session, world["tenant"])
        invoice = session.scalar(select(Invoice).where(Invoice.id == world["invoice"]))
        return payments.start_payment(session, invoice)["payment_intent_id"]


def _pay_by_card(app, world, intent_id: str) -> dict:
    """What Stripe.js does in the payer's browser: confirm the PaymentIntent with a card."""
    with app.app_context():
        session = _session(app, world["tenant"])
        try:
            creds, _ = settings.tenant_credentials(session)
        finally:
            session.close()
        return gateway.confirm_payment_intent(creds, intent_id, "pm_card_visa")


@pytest.fixture
def quiet_localstripe(localstripe):
    """localstripe sends its own events to nowhere, so a test decides every delivery itself."""
    localstripe_call(localstripe, "POST", "/_config/webhooks/hms", {"url": "http://127.0.0.1:9/", "secret": "whsec_nowhere"})


def test_only_the_gateway_imports_stripe():
    found = subprocess.run(["grep", "-rlE", r"^\s*(import stripe|from stripe)", "saas"], cwd=ROOT, capture_output=True, text=True)
    assert found.stdout.split() == ["saas/billing/gateway.py"]


def test_a_card_payment_creates_customer_and_payment_and_the_delivered_webhook_marks_the_invoice_paid(
        stripe_app, live_server, localstripe):
    world = _tenant_with_invoice(stripe_app, "own_key")
    localstripe_call(localstripe, "POST", "/_config/webhooks/hms",
                     {"url": f"{live_server}/stripe/webhook/{world['slug']}", "secret": world["secret"]})
    client = stripe_app.test_client()

    page = client.post(f"/faktura/{world['token']}/betal")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    html = page.get_data(as_text=True)
    invoice = _invoice(stripe_app, world)
    intent = localstripe_call(localstripe, "GET", f"/v1/payment_intents/{invoice.payment_intent_id}", key=world["key"])
    assert intent["amount"] == 612_500 and intent["currency"] == "nok" and intent["metadata"]["invoice_id"] == str(world["invoice"])
    customer = localstripe_call(localstripe, "GET", f"/v1/customers/{intent['customer']}", key=world["key"])
    assert customer["name"] == "Betaler AS"
    assert intent["client_secret"] in html and "pk_test_tenant00000001" in html
    csp = page.headers["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'nonce-[\w-]+' http://127\.0\.0\.1:\d+", csp) and "unsafe-inline" not in csp.split("style-src")[0]

    started = time.monotonic()
    assert _pay_by_card(stripe_app, world, invoice.payment_intent_id)["status"] == "succeeded"

    paid = wait_for(lambda: (i := _invoice(stripe_app, world)).state == "paid" and i, timeout=15)
    assert time.monotonic() - started < 10  # localstripe waits 1 s before it delivers
    assert paid.paid_amount == 612_500 and paid.paid_at is not None
    assert _count(stripe_app, Payment, world["tenant"], reference=invoice.payment_intent_id) == 1
    assert _count(stripe_app, StripeEvent, type="payment_intent.succeeded", object_id=invoice.payment_intent_id) == 1
    receipt = client.get(f"/faktura/{world['token']}/kvittering")
    assert "Betalingen er mottatt" in receipt.get_data(as_text=True)


def test_a_forged_or_stale_signature_gives_400_and_changes_nothing(stripe_app, localstripe, quiet_localstripe):
    world = _tenant_with_invoice(stripe_app, "own_key")
    intent_id = _start_payment(stripe_app, world)
    _pay_by_card(stripe_app, world, intent_id)
    client = stripe_app.test_client()
    url = f"/stripe/webhook/{world['slug']}"
    payload = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent", "status": "succeeded"})
    events_before = _count(stripe_app, StripeEvent)

    attempts = [
        signed(payload, "whsec_guessedbyanattacker"),
        signed(payload, world["secret"], timestamp=int(time.time()) - 301),
        {"Content-Type": "application/json"},
        {**signed(payload, world["secret"]), "Stripe-Signature": "t=1,v1=" + "0" * 64},
    ]
    for headers in attempts:
        assert client.post(url, data=payload, headers=headers).status_code == 400
    tampered = payload.replace(b'"livemode": false', b'"livemode": true')
    assert client.post(url, data=tampered, headers=signed(payload, world["secret"])).status_code == 400
    assert client.post("/stripe/webhook", data=payload, headers=signed(payload, world["secret"])).status_code == 400

    assert _count(stripe_app, StripeEvent) == events_before
    assert _invoice(stripe_app, world).state == "sent"
    assert _count(stripe_app, Payment, world["tenant"]) == 0
    # The same payload with the right signature is accepted: the checks above failed for their own reasons.
    assert client.post(url, data=payload, headers=signed(payload, world["secret"])).status_code == 200
    assert _invoice(stripe_app, world).state == "paid"


def test_the_same_event_delivered_ten_times_at_once_has_one_effect(stripe_app, live_server, localstripe, quiet_localstripe):
    world = _tenant_with_invoice(stripe_app, "own_key")
    intent_id = _start_payment(stripe_app, world)
    _pay_by_card(stripe_app, world, intent_id)
    payload = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent", "status": "succeeded"})
    headers = signed(payload, world["secret"])
    statuses, barrier = [], threading.Barrier(10)

    def deliver():
        barrier.wait()
        request = urllib.request.Request(f"{live_server}/stripe/webhook/{world['slug']}", data=payload, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            statuses.append((response.status, json.loads(response.read())["duplicate"]))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [s for s, _ in statuses] == [200] * 10
    assert sum(1 for _, duplicate in statuses if not duplicate) == 1
    event_id = json.loads(payload)["id"]
    assert _count(stripe_app, StripeEvent, event_id=event_id) == 1
    assert _count(stripe_app, Payment, world["tenant"]) == 1
    invoice = _invoice(stripe_app, world)
    assert (invoice.state, invoice.paid_amount) == ("paid", 612_500)


def test_paid_arriving_before_created_ends_paid_and_an_event_is_never_trusted_over_stripe(stripe_app, localstripe, quiet_localstripe):
    world = _tenant_with_invoice(stripe_app, "own_key")
    intent_id = _start_payment(stripe_app, world)
    client = stripe_app.test_client()
    url = f"/stripe/webhook/{world['slug']}"
    now = int(time.time())
    created = event_payload("payment_intent.created", {"id": intent_id, "object": "payment_intent", "status": "requires_payment_method"},
                            created=now - 5)
    succeeded = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent", "status": "succeeded"},
                              created=now)

    # A "succeeded" event for a payment Stripe says is not done: the re-fetched object decides, so nothing happens.
    assert client.post(url, data=succeeded, headers=signed(succeeded, world["secret"])).status_code == 200
    assert _invoice(stripe_app, world).state == "sent"

    _pay_by_card(stripe_app, world, intent_id)
    late_paid = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent"}, created=now + 1)
    assert client.post(url, data=late_paid, headers=signed(late_paid, world["secret"])).status_code == 200
    assert _invoice(stripe_app, world).state == "paid"
    assert client.post(url, data=created, headers=signed(created, world["secret"])).status_code == 200

    invoice = _invoice(stripe_app, world)
    assert (invoice.state, invoice.paid_amount) == ("paid", 612_500)
    assert _count(stripe_app, Payment, world["tenant"]) == 1


def test_a_connect_payment_event_names_the_account_and_pays_that_tenants_invoice(stripe_app, localstripe, quiet_localstripe):
    """localstripe has no Connect: its events carry no ``account``.  This is Stripe's recorded delivery of a Connect
    event (the platform endpoint, signed with the platform's secret, ``account`` set) around a real PaymentIntent."""
    world = _tenant_with_invoice(stripe_app, "connect")
    intent_id = _start_payment(stripe_app, world)
    _pay_by_card(stripe_app, world, intent_id)
    client = stripe_app.test_client()

    foreign = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent"}, account="acct_1SomeoneElse0001")
    assert client.post("/stripe/webhook", data=foreign, headers=signed(foreign, PLATFORM_WEBHOOK_SECRET)).status_code == 200
    assert _invoice(stripe_app, world).state == "sent"  # no tenant has that account

    recorded = event_payload("payment_intent.succeeded", {"id": intent_id, "object": "payment_intent", "status": "succeeded"},
                             account=world["account"])
    assert client.post("/stripe/webhook", data=recorded, headers=signed(recorded, PLATFORM_WEBHOOK_SECRET)).status_code == 200
    assert _invoice(stripe_app, world).state == "paid"
    session = _session(stripe_app)
    try:
        with platform_access(session):
            row = session.scalar(select(StripeEvent).where(StripeEvent.event_id == json.loads(recorded)["id"]))
        assert row.account == world["account"] and row.processed_at is not None and "paid" in row.outcome
    finally:
        session.close()


def test_a_payment_page_for_a_tenant_without_stripe_says_to_pay_by_bank_transfer(stripe_app, quiet_localstripe):
    with stripe_app.app_context(), stripe_app.extensions["saas.db"].session_scope() as session:
        tenant = factories.make_tenant(session)
        factories.give_bank_account(session)
        admin = factories.make_user(session, tenant, roles=("admin",))
        company = factories.make_company(session, tenant)
        invoice = invoices.manual_invoice(session, admin, tenant, {"company_id": company.id, "lines": [
            dict(description="Rådgivning", quantity=100, unit_price=100_000, vat_code="high")]}, today_in_oslo())
        token = invoice.public_token
    response = stripe_app.test_client().post(f"/faktura/{token}/betal")
    assert response.status_code == 422 and "kontonummeret med KID" in response.get_data(as_text=True)


def test_pressing_pay_after_a_payment_whose_webhook_is_late_marks_it_paid_from_stripe(stripe_app, quiet_localstripe):
    world = _tenant_with_invoice(stripe_app, "own_key")
    _pay_by_card(stripe_app, world, _start_payment(stripe_app, world))
    assert _invoice(stripe_app, world).state == "sent"  # no webhook has come

    response = stripe_app.test_client().post(f"/faktura/{world['token']}/betal")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/faktura/{world['token']}/kvittering")
    assert _invoice(stripe_app, world).state == "paid"
    assert _count(stripe_app, Payment, world["tenant"]) == 1
