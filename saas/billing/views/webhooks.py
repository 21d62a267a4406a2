"""Stripe's webhook endpoints: the platform's (its own events, and Connect events of tenants' accounts)
and one per tenant that uses its own key.  CSRF-exempt: the signature on the raw body is the check."""
from __future__ import annotations

from flask import abort, jsonify, request
from sqlalchemy import select

from saas.app import csrf
from saas.auth import public
from saas.billing import gateway, webhooks
from saas.billing.services.settings import tenant_webhook_secret
from saas.billing.views import webhook_bp
from saas.db import current_session
from saas.hygiene import raw_body
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

csrf.exempt(webhook_bp)


def _receive(secret: str, source: str, tenant_id: int | None):
    payload = request.get_data(cache=False)  # the raw bytes Stripe signed, before anything parses them
    try:
        event = gateway.verify_event(payload, request.headers.get("Stripe-Signature"), secret)
    except gateway.InvalidSignature:
        return jsonify(error="invalid_signature"), 400
    except gateway.MalformedEvent as error:
        event, reason = None, str(error)
    session = current_session()
    # Only reads happened so far: begin the write afresh (SQLite cannot turn a reader whose snapshot is old into
    # a writer, and concurrent deliveries make it old).
    session.rollback()
    if event is None:
        # Signed, so it came from Stripe (or the secret's holder): acknowledged, so it is not delivered again,
        # and recorded as rejected, so nothing acts on it.
        new = webhooks.reject(session, payload, reason, source, tenant_id)
        return jsonify(received=True, rejected=reason, duplicate=not new), 200
    new = webhooks.receive(session, event, source, tenant_id)
    return jsonify(received=True, duplicate=not new), 200


@webhook_bp.post("/webhook")
@raw_body
def platform_webhook():
    return _receive(gateway.setting("STRIPE_WEBHOOK_SECRET"), "platform", None)


@webhook_bp.post("/webhook/<slug>")
@public
@raw_body
def tenant_webhook(slug: str):
    session = current_session()
    with platform_access(session):
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == slug, Tenant.active.is_(True)))
    if tenant_id is None:
        abort(404)
    bind_tenant(session, tenant_id)
    secret = tenant_webhook_secret(session)
    return _receive(secret, "tenant", tenant_id)
