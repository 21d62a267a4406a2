"""Stripe, and only here: the one module that imports ``stripe`` (a test greps the tree for it).

Everything that comes back from Stripe leaves this module as plain dicts with the fields the product uses;
every Stripe failure leaves it as ``GatewayError`` with a Norwegian message.  ``STRIPE_API_BASE`` points
the official library elsewhere (tests use localstripe on loopback).

Settings (Flask config, else the environment): STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY (the
platform's account: tenant subscriptions, and Connect payments on behalf of tenants), STRIPE_WEBHOOK_SECRET
(the platform endpoint's signing secret), STRIPE_API_BASE, STRIPE_JS_URL.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import stripe
from flask import current_app

from saas.billing import pricing

log = logging.getLogger(__name__)

DEFAULTS = {
    "STRIPE_API_BASE": "https://api.stripe.com",
    "STRIPE_JS_URL": "https://js.stripe.com/v3/",
    "STRIPE_SECRET_KEY": "",
    "STRIPE_PUBLISHABLE_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
}
WEBHOOK_TOLERANCE = 300  # seconds between Stripe signing an event and our accepting it
CURRENCY = "nok"


class GatewayError(RuntimeError):
    """Stripe refused or could not be reached; ``str(error)`` is for the person who tried."""


class InvalidSignature(ValueError):
    """A webhook's body does not carry a valid, fresh Stripe signature."""


def setting(name: str) -> str:
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, DEFAULTS[name])
    return value


def stripe_origins() -> tuple[str, str]:
    """The origins of Stripe.js and the API, for the payment page's Content-Security-Policy."""
    def origin(url: str) -> str:
        parts = urlparse(url)
        return f"{parts.scheme}://{parts.netloc}"

    return origin(setting("STRIPE_JS_URL")), origin(setting("STRIPE_API_BASE"))


@dataclass(frozen=True)
class Credentials:
    """Whose Stripe account a call acts on: an API key, and a Connect account to act for (or None)."""

    api_key: str
    account: str | None = None
    publishable_key: str = ""

    @property
    def usable(self) -> bool:
        return bool(self.api_key)


def platform_credentials() -> Credentials:
    return Credentials(api_key=setting("STRIPE_SECRET_KEY"), publishable_key=setting("STRIPE_PUBLISHABLE_KEY"))


def _client(creds: Credentials) -> stripe.StripeClient:
    if not creds.usable:
        raise GatewayError("Stripe er ikke koblet til.")
    return stripe.StripeClient(creds.api_key, stripe_account=creds.account,
                               base_addresses={"api": setting("STRIPE_API_BASE")}, max_network_retries=2)


def _call(what: str, fn, *args, **kwargs) -> Any:
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.StripeError as error:
        log.warning("stripe %s failed: %s", what, error)
        raise GatewayError(f"Stripe svarte med en feil ({what}). Prøv igjen om litt.") from error


# -- webhooks -----------------------------------------------------------------------------------------

def verify_event(payload: bytes, signature: str | None, secret: str) -> dict:
    """Check the signature of a webhook's raw body and return the event's essentials.

    Raises InvalidSignature for a missing secret or a bad or stale signature (the body is not Stripe's), and
    MalformedEvent for a correctly signed body that is not an event the product can store (not a JSON object,
    ``data`` not an object, an id or type that is missing, not text or longer than the columns hold): that one
    came from Stripe (or from someone holding the secret) and is acknowledged and recorded, never retried."""
    if not secret or not signature:
        raise InvalidSignature("missing secret or signature")
    try:
        stripe.WebhookSignature.verify_header(payload, signature, secret, tolerance=WEBHOOK_TOLERANCE)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise InvalidSignature(str(error)) from None
    return parse_event(payload)


class MalformedEvent(ValueError):
    """A correctly signed webhook body that is not a usable event; ``str()`` says why."""


def _text(value: Any, name: str, maximum: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedEvent(f"{name} is not a non-empty string")
    if len(value) > maximum:
        raise MalformedEvent(f"{name} is longer than {maximum} characters")
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise MalformedEvent(f"{name} contains control characters")
    return value


def parse_event(payload: bytes) -> dict:
    """The essentials of an event body (already verified); MalformedEvent when it has not got their shape."""
    import json

    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise MalformedEvent("the body is not JSON") from None
    if not isinstance(event, dict):
        raise MalformedEvent(f"the body is a JSON {type(event).__name__}, not an object")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("data.object is not an object")
    obj = data["object"]
    if "livemode" in event and not isinstance(event["livemode"], bool):
        raise MalformedEvent("livemode is not a boolean")
    account = _text(event.get("account"), "account", 100, required=False) or None
    return dict(id=_text(event.get("id"), "id", 100), type=_text(event.get("type"), "type", 100), account=account,
                livemode=bool(event.get("livemode")), object_type=_text(obj.get("object"), "data.object.object", 50, required=False),
                object_id=_text(obj.get("id"), "data.object.id", 100, required=False))


# -- customers and payments ---------------------------------------------------------------------------

def create_customer(creds: Credentials, name: str, email: str, metadata: dict, idempotency_key: str) -> str:
    client = _client(creds)
    params = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    customer = _call("opprette kunde", client.v1.customers.create, params, {"idempotency_key": idempotency_key})
    return customer["id"]


def _payment_intent(pi) -> dict:
    return dict(id=pi["id"], status=pi["status"], amount=int(pi["amount"]), currency=pi["currency"],
                client_secret=pi.get("client_secret"), customer=pi.get("customer"),
                metadata=dict(pi.get("metadata") or {}))


def create_payment_intent(creds: Credentials, amount: int, customer: str, metadata: dict, idempotency_key: str) -> dict:
    params = {"amount": amount, "currency": CURRENCY, "customer": customer, "metadata": metadata,
              "payment_method_types": ["card"]}
    return _payment_intent(_call("starte betaling", _client(creds).v1.payment_intents.create, params,
                                 {"idempotency_key": idempotency_key}))


def retrieve_payment_intent(creds: Credentials, payment_intent_id: str) -> dict:
    return _payment_intent(_call("hente betaling", _client(creds).v1.payment_intents.retrieve, payment_intent_id))


def confirm_payment_intent(creds: Credentials, payment_intent_id: str, payment_method: str) -> dict:
    """Confirm with a saved payment method (off-page payments and tests; the pay page uses Stripe.js)."""
    client = _client(creds)
    _call("bekrefte betaling", client.v1.payment_intents.update, payment_intent_id, {"payment_method": payment_method})
    return _payment_intent(_call("bekrefte betaling", client.v1.payment_intents.confirm, payment_intent_id))


# -- the platform's subscriptions (Stripe Billing) ------------------------------------------------------

def create_setup_intent(creds: Credentials, customer: str, metadata: dict) -> dict:
    si = _call("registrere kort", _client(creds).v1.setup_intents.create,
               {"customer": customer, "usage": "off_session", "metadata": metadata})
    return dict(id=si["id"], client_secret=si["client_secret"], status=si["status"])


def retrieve_setup_intent(creds: Credentials, setup_intent_id: str) -> dict:
    si = _call("hente kortregistrering", _client(creds).v1.setup_intents.retrieve, setup_intent_id)
    return dict(id=si["id"], status=si["status"], customer=si.get("customer"), payment_method=si.get("payment_method"),
                metadata=dict(si.get("metadata") or {}))


def confirm_setup_intent(creds: Credentials, setup_intent_id: str, payment_method: str) -> dict:
    """Confirm a card registration server-side (tests; the subscription page uses Stripe.js)."""
    si = _call("registrere kort", _client(creds).v1.setup_intents.confirm, setup_intent_id, {"payment_method": payment_method})
    return dict(id=si["id"], status=si["status"], payment_method=si.get("payment_method"))


def set_default_payment_method(creds: Credentials, customer: str, payment_method: str) -> None:
    client = _client(creds)
    # Stripe attaches a card registered through a SetupIntent with a customer already; attach only if not.
    if _call("lagre kort", client.v1.payment_methods.retrieve, payment_method).get("customer") != customer:
        _call("lagre kort", client.v1.payment_methods.attach, payment_method, {"customer": customer})
    _call("lagre kort", client.v1.customers.update, customer, {"invoice_settings": {"default_payment_method": payment_method}})


def plan_id(plan: pricing.Plan) -> str:
    return f"hms-plan-{plan.code}"


def ensure_plan(creds: Credentials, plan: pricing.Plan) -> str:
    """The Stripe plan (a monthly recurring price) for ``plan``, created under a fixed id when missing."""
    client = _client(creds)
    try:
        return client.v1.plans.retrieve(plan_id(plan)).to_dict()["id"]
    except stripe.InvalidRequestError:
        pass  # not there yet: create it below
    except stripe.StripeError as error:
        raise GatewayError("Stripe svarte med en feil (hente abonnementsplan).") from error
    created = _call("opprette abonnementsplan", client.v1.plans.create, {
        "id": plan_id(plan), "amount": plan.monthly_price, "currency": CURRENCY, "interval": "month",
        "product": {"name": f"HMS-sertifisering {plan.name}"}})
    return created["id"]


def _subscription(sub) -> dict:
    items = ((sub.get("items") or {}).get("data")) or []
    first = items[0] if items else {}
    plan = first.get("plan") or sub.get("plan") or {}
    # Newer API versions keep the period on the item, older ones (and localstripe) on the subscription.
    period_end = first.get("current_period_end") or sub.get("current_period_end")
    return dict(id=sub["id"], status=sub["status"], customer=sub.get("customer"), plan_id=plan.get("id"),
                item_id=first.get("id"), current_period_end=int(period_end) if period_end else None,
                cancel_at_period_end=bool(sub.get("cancel_at_period_end")), metadata=dict(sub.get("metadata") or {}))


def create_subscription(creds: Credentials, customer: str, plan: str, metadata: dict, idempotency_key: str) -> dict:
    # ``plan`` in the item is accepted by Stripe (a plan is a recurring price) and is what localstripe knows.
    sub = _call("starte abonnement", _client(creds).v1.subscriptions.create,
                {"customer": customer, "items": [{"plan": plan}], "metadata": metadata},
                {"idempotency_key": idempotency_key})
    return _subscription(sub)


def retrieve_subscription(creds: Credentials, subscription_id: str) -> dict:
    return _subscription(_call("hente abonnement", _client(creds).v1.subscriptions.retrieve, subscription_id))


def change_subscription_plan(creds: Credentials, subscription_id: str, item_id: str, plan: str) -> dict:
    sub = _call("endre abonnement", _client(creds).v1.subscriptions.update, subscription_id,
                {"items": [{"id": item_id, "plan": plan}]})
    return _subscription(sub)


def retrieve_invoice_subscription(creds: Credentials, invoice_id: str) -> str | None:
    """The subscription a Stripe invoice belongs to (events about subscription invoices name the invoice)."""
    invoice = _call("hente abonnementsfaktura", _client(creds).v1.invoices.retrieve, invoice_id)
    subscription = invoice.get("subscription")
    if subscription is None:
        parent = invoice.get("parent") or {}
        subscription = (parent.get("subscription_details") or {}).get("subscription")
    return subscription if isinstance(subscription, str) else (subscription or {}).get("id")
