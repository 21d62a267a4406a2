"""Stripe webhooks that are correctly signed but malformed are acknowledged (2xx, so Stripe stops delivering
them), recorded as rejected, never processed or retried, and never a 500."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from saas.billing import webhooks
from saas.billing.models import StripeEvent
from saas.tenancy import platform_access

SECRET = "whsec_robustness0000000000001"


def _signed(payload: bytes, secret: str = SECRET) -> dict:
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def _event(**changes) -> dict:
    event = {"id": "evt_robust_0001", "object": "event", "type": "payment_intent.succeeded", "livemode": False,
             "created": int(time.time()), "data": {"object": {"id": "pi_robust_0001", "object": "payment_intent"}}}
    event.update(changes)
    return event


@pytest.fixture
def platform_secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)


def _rows(db, **where):
    with platform_access(db):
        return db.scalars(select(StripeEvent).filter_by(**where)).all()


MALFORMED = {
    "a JSON array": b'[{"id": "evt_1", "type": "payment_intent.succeeded"}]',
    "a JSON string": b'"evt_1"',
    "data as a string": json.dumps(_event(data="payment_intent")).encode(),
    "data.object as a list": json.dumps(_event(data={"object": ["pi_1"]})).encode(),
    "an event id over 100 characters": json.dumps(_event(id="evt_" + "x" * 120)).encode(),
    "no id": json.dumps({k: v for k, v in _event().items() if k != "id"}).encode(),
    "no type": json.dumps({k: v for k, v in _event().items() if k != "type"}).encode(),
    "an id that is a number": json.dumps(_event(id=12345)).encode(),
    "an object id over 100 characters": json.dumps(_event(data={"object": {"id": "pi_" + "9" * 200, "object": "payment_intent"}})).encode(),
    "an account that is an object": json.dumps(_event(account={"id": "acct_1"})).encode(),
    "a NUL in the type": json.dumps(_event(type="payment_intent.succeeded\x00")).encode(),
    "not JSON at all": "ikke JSON \x00 i det hele tatt".encode(),
    "deeply nested": b'{"id": "evt_deep", "type": "x", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_signed_malformed_event_is_acknowledged_recorded_as_rejected_and_never_retried(client, db, platform_secret, name):
    payload = MALFORMED[name]
    before = len(_rows(db))

    response = client.post("/stripe/webhook", data=payload, headers=_signed(payload))

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["received"] is True and response.get_json()["rejected"]
    rows = _rows(db, type="rejected")
    assert len(_rows(db)) == before + 1 and len(rows) == 1
    row = rows[0]
    assert row.event_id == "rejected-" + hashlib.sha256(payload).hexdigest()
    assert row.outcome.startswith("rejected: ") and row.processed_at is not None
    with platform_access(db):
        assert row.event_id not in webhooks.unprocessed(db, timedelta(seconds=-60))  # the daily retry never sees it

    again = client.post("/stripe/webhook", data=payload, headers=_signed(payload))
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert len(_rows(db, type="rejected")) == 1


def test_a_tenant_endpoint_records_a_malformed_event_for_that_tenant(client, db, two_tenants, monkeypatch):
    from saas.billing.services import settings

    monkeypatch.setattr(settings, "tenant_webhook_secret", lambda session: SECRET)
    monkeypatch.setattr("saas.billing.views.webhooks.tenant_webhook_secret", lambda session: SECRET)
    payload = b"[1, 2, 3]"
    response = client.post("/stripe/webhook/tenant-a", data=payload, headers=_signed(payload))
    assert response.status_code == 200
    (row,) = _rows(db, type="rejected")
    assert row.tenant_id == two_tenants["a"]["tenant"].id and row.source == "tenant"


def test_a_malformed_body_with_a_wrong_signature_is_still_refused_and_not_recorded(client, db, platform_secret):
    payload = b"[1, 2, 3]"
    response = client.post("/stripe/webhook", data=payload, headers=_signed(payload, "whsec_someone_else_000000001"))
    assert response.status_code == 400
    assert _rows(db, type="rejected") == []


def test_a_well_formed_event_is_still_stored_and_processed(client, db, platform_secret):
    payload = json.dumps(_event(type="customer.created", data={"object": {"id": "cus_1", "object": "customer"}})).encode()
    response = client.post("/stripe/webhook", data=payload, headers=_signed(payload))
    assert response.status_code == 200 and "rejected" not in response.get_json()
    (row,) = _rows(db, event_id="evt_robust_0001")
    assert row.type == "customer.created" and row.outcome == "ignored" and row.processed_at is not None
    with platform_access(db):
        assert db.scalar(select(func.count()).select_from(StripeEvent).where(StripeEvent.type == "rejected")) == 0
