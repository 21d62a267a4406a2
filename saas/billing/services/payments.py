"""Card payments of invoices through the tenant's Stripe account.

The pay page asks for a PaymentIntent (``start_payment``) and Stripe.js confirms it in the payer's browser.
What the browser says afterwards decides nothing: only a PaymentIntent re-fetched from Stripe (after a
verified webhook, ``apply_payment_intent``) marks an invoice paid, and each PaymentIntent is recorded once.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.billing import gateway
from saas.billing.models import Invoice, Payment, StripeCustomer
from saas.billing.services import Refused
from saas.billing.services.invoices import CREDITED, OPEN_STATES, PAID
from saas.billing.services.settings import tenant_credentials
from saas.clients.models import ClientCompany
from saas.db import utcnow
from saas.hygiene import db_int

REUSABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


def payable(invoice: Invoice) -> bool:
    return invoice.state in OPEN_STATES and invoice.gross_total > 0 and not invoice.is_credit_note


def ensure_customer(session: Session, creds: gateway.Credentials, ref: str, company: ClientCompany, email: str) -> str:
    """The company's Stripe customer in the tenant's account, created on first payment."""
    row = session.scalar(select(StripeCustomer).where(StripeCustomer.company_id == company.id, StripeCustomer.account_ref == ref))
    if row is not None:
        return row.customer_id
    customer_id = gateway.create_customer(creds, company.name, email, {"company_id": str(company.id), "org_number": company.org_number},
                                          idempotency_key=f"customer-{company.tenant_id}-{company.id}-{ref[:16]}")
    try:
        with session.begin_nested():
            session.add(StripeCustomer(company_id=company.id, account_ref=ref, customer_id=customer_id))
    except IntegrityError:  # a payment started at the same moment stored it first (same idempotency key)
        pass
    return customer_id


def start_payment(session: Session, invoice: Invoice, email: str = "") -> dict:
    """A PaymentIntent for the invoice's total (reused while it can still be paid), with what Stripe.js
    needs; ``{"paid": True}`` when Stripe says the last one already succeeded (and the invoice is now
    marked paid).  Raises Refused when the invoice is not payable or the tenant has not connected Stripe,
    and gateway.GatewayError when Stripe fails."""
    if not payable(invoice):
        raise Refused("Fakturaen har ikke noe å betale.")
    connection = tenant_credentials(session)
    if connection is None or not connection[0].usable:
        raise Refused("Tilbyderen tar ikke imot kortbetaling ennå. Betal til kontonummeret med KID.")
    creds, ref = connection
    if invoice.payment_intent_id:
        current = gateway.retrieve_payment_intent(creds, invoice.payment_intent_id)
        if current["status"] == "succeeded":  # its webhook is late: the re-fetched object is enough
            apply_payment_intent(session, current)
            return dict(paid=True)
        if current["status"] in REUSABLE and current["amount"] == invoice.gross_total:
            return _checkout(creds, invoice, current)
    customer = ensure_customer(session, creds, ref, invoice.company, email)
    intent = gateway.create_payment_intent(
        creds, invoice.gross_total, customer,
        {"invoice_id": str(invoice.id), "tenant_id": str(invoice.tenant_id), "invoice_number": str(invoice.number),
         "kid": invoice.kid, "description": f"Faktura {invoice.number} fra {invoice.seller['name']}"},
        idempotency_key=f"pi-{invoice.tenant_id}-{invoice.id}-after-{invoice.payment_intent_id or 'none'}")
    invoice.payment_intent_id = intent["id"]
    return _checkout(creds, invoice, intent)


def _checkout(creds: gateway.Credentials, invoice: Invoice, intent: dict) -> dict:
    return dict(client_secret=intent["client_secret"], publishable_key=creds.publishable_key, account=creds.account,
                payment_intent_id=intent["id"], amount=invoice.gross_total)


def apply_payment_intent(session: Session, intent: dict) -> str:
    """Act on a PaymentIntent as re-fetched from Stripe; returns what happened (kept on the event).

    Safe in any order and any number of times: only a succeeded intent counts, each is recorded once
    (unique reference), and an invoice never goes back from paid or credited."""
    invoice_id = (intent.get("metadata") or {}).get("invoice_id", "")
    invoice = None
    if db_int(invoice_id) is not None:
        invoice = session.scalar(select(Invoice).where(Invoice.id == int(invoice_id)).with_for_update())
    if invoice is None:
        invoice = session.scalar(select(Invoice).where(Invoice.payment_intent_id == intent["id"]).with_for_update())
    if invoice is None:
        return "no invoice of this tenant"
    if intent["status"] != "succeeded":
        return f"invoice {invoice.number}: payment {intent['status']}"
    if intent["currency"].lower() != gateway.CURRENCY:
        return f"invoice {invoice.number}: unexpected currency {intent['currency']}"
    if session.scalar(select(Payment.id).where(Payment.reference == intent["id"])) is not None:
        return f"invoice {invoice.number}: already recorded"
    session.add(Payment(invoice_id=invoice.id, reference=intent["id"], amount=intent["amount"]))
    invoice.paid_amount += intent["amount"]
    if invoice.state in OPEN_STATES and invoice.paid_amount >= invoice.gross_total:
        invoice.state = PAID
        invoice.paid_at = utcnow()
    record(session, None, "invoice.payment_received", invoice, f"Betaling for faktura {invoice.number} mottatt",
           amount=intent["amount"], reference=intent["id"])
    if invoice.state == CREDITED:
        return f"invoice {invoice.number}: paid after it was credited (refund by hand)"
    return f"invoice {invoice.number}: {invoice.state}"
