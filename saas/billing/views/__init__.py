"""Billing pages.  Blueprints (registered by saas.app through BLUEPRINTS):

* ``billing``: /t/<slug>/billing/ — price list and settings, Stripe connection, ledger (admin); invoices,
  manual invoices and credit notes (staff); a client contact's own invoices; the tenant's subscription.
* ``billing_public``: /faktura/<token> — the invoice link in the e-mail: see, download and pay one invoice.
* ``billing_webhooks``: /stripe/webhook — Stripe's calls (CSRF-exempt; the signature is the check).
* ``billing_platform``: /platform/billing — every tenant's subscription, for the platform operator.
"""
from __future__ import annotations

from flask import Blueprint

from saas.auth import tenant_blueprint
from saas.billing.guard import refuse_writes_when_lapsed

bp = tenant_blueprint("billing", __name__, "/billing")
bp.before_request(refuse_writes_when_lapsed)
public_bp = Blueprint("billing_public", __name__, url_prefix="/faktura")
webhook_bp = Blueprint("billing_webhooks", __name__, url_prefix="/stripe")
platform_bp = Blueprint("billing_platform", __name__, url_prefix="/platform/billing")

from saas.billing.views import invoices, pay, platform, settings, subscription, webhooks  # noqa: E402,F401  (the routes)

BLUEPRINTS = (bp, public_bp, webhook_bp, platform_bp)
