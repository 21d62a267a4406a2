"""/faktura/<token>: the link in the invoice e-mail.  Whoever holds it sees that one invoice, downloads its
PDF and pays it by card; no login, the tenant comes from the invoice the token names."""
from __future__ import annotations

import re

from flask import abort, g, redirect, render_template, url_for
from sqlalchemy import select

from saas import storage
from saas.billing import gateway
from saas.billing.models import Invoice
from saas.billing.services import Refused, delivery, invoices, payments
from saas.billing.services.settings import connection
from saas.billing.views import public_bp
from saas.billing.views.stripe_page import render_with_stripe
from saas.db import current_session
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import Tenant

TOKEN = re.compile(r"[A-Za-z0-9_-]{40,64}")


def _resolve(token: str) -> Invoice:
    """The invoice the token names, with the request bound to its tenant; 404 for anything else."""
    if not TOKEN.fullmatch(token):
        abort(404)
    session = current_session()
    with platform_access(session):
        tenant_id = session.scalar(select(Invoice.tenant_id).where(Invoice.public_token == token))
    if tenant_id is None:
        abort(404)
    bind_tenant(session, tenant_id)
    g.tenant = session.get(Tenant, tenant_id)
    return session.scalar(select(Invoice).where(Invoice.public_token == token))


def _page(invoice: Invoice, message: str = "", status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
        invoice = session.scalar(select(Invoice).where(Invoice.id == invoice.id))
    return render_template("billing/public_invoice.html", invoice=invoices.invoice_dict(invoice), token=invoice.public_token,
                           card=connection(session) is not None, message=message), status


@public_bp.get("/<token>")
def invoice(token: str):
    return _page(_resolve(token))


@public_bp.get("/<token>/pdf")
def pdf(token: str):
    found = _resolve(token)
    if not found.pdf_key or not storage.exists(found.pdf_key):
        return _page(found, "PDF-en lages fortsatt. Prøv igjen om et øyeblikk.", 404)
    return storage.download_response(found.pdf_key, delivery.file_name(found), "application/pdf")


@public_bp.post("/<token>/betal")
def pay(token: str):
    found = _resolve(token)
    try:
        checkout = payments.start_payment(current_session(), found)
    except Refused as error:
        return _page(found, str(error), 422)
    except gateway.GatewayError as error:
        return _page(found, str(error), 502)
    if checkout.get("paid"):
        return redirect(url_for("billing_public.receipt", token=token))
    return render_with_stripe("billing/pay.html", invoice=invoices.invoice_dict(found), token=token, checkout=checkout)


@public_bp.get("/<token>/kvittering")
def receipt(token: str):
    found = _resolve(token)
    return render_template("billing/receipt.html", invoice=invoices.invoice_dict(found), token=token)
