"""/api/v1/t/<slug>/: invoices (list, one, its PDF, credit note, manual invoice) and the price list."""
from __future__ import annotations

from flask import abort, g, jsonify, request
from flask_login import current_user

from saas import storage
from saas.api.core import json_body, page_body, pagination, tenant_api
from saas.api.spec import documented, query
from saas.auth import admin_required, staff_required
from saas.billing.schemas import CreditNoteSchema, InvoiceListItemSchema, InvoiceSchema, ManualInvoiceSchema, PriceListSchema
from saas.billing.services import NotFound, Refused, delivery, invoices, settings
from saas.db import current_session
from saas.scheduler import today_in_oslo

TAG = "billing"


def _refused(error: Refused):
    return jsonify(error="refused", message=str(error)), 422


def _invoice(invoice_id: int):
    try:
        return invoices.get_invoice(current_session(), current_user, invoice_id)
    except NotFound:
        abort(404)


@tenant_api.get("/invoices")
@documented("/invoices", "get", "List invoices and credit notes, newest first (state=issued|sent|paid|overdue|credited, company=<id>); "
            "client contacts see their own companies' only", response=InvoiceListItemSchema, many=True, tag=TAG,
            query=(query("state", {"type": "string", "enum": ["issued", "sent", "paid", "overdue", "credited"]}),
                   query("company", {"type": "integer", "minimum": 0})))
def list_invoices():
    page, per_page = pagination()
    company = request.args.get("company", "")
    flt = invoices.InvoiceFilter(state=request.args.get("state", "")[:10],
                                 company_id=int(company) if company.isascii() and company.isdigit() and len(company) < 10 else None,
                                 page=page, per_page=per_page)
    items, total = invoices.list_invoices(current_session(), current_user, flt)
    return page_body(InvoiceListItemSchema(many=True).dump(items), total, page, per_page)


@tenant_api.get("/invoices/<int:invoice_id>")
@documented("/invoices/{invoice_id}", "get", "One invoice or credit note with its lines, VAT per rate and KID (amounts in øre)",
            response=InvoiceSchema, params=("invoice_id",), tag=TAG)
def get_invoice(invoice_id: int):
    _invoice(invoice_id)
    return InvoiceSchema().dump(invoices.invoice_detail(current_session(), current_user, invoice_id))


@tenant_api.get("/invoices/<int:invoice_id>/pdf")
@documented("/invoices/{invoice_id}/pdf", "get", "The invoice PDF (application/pdf); 409 while it is still being rendered",
            params=("invoice_id",), tag=TAG, binary=("application/pdf",), responses={409: "PDF-en lages fortsatt"})
def invoice_pdf(invoice_id: int):
    invoice = _invoice(invoice_id)
    if not invoice.pdf_key or not storage.exists(invoice.pdf_key):
        return jsonify(error="not_ready", message="PDF-en lages fortsatt. Prøv igjen om et øyeblikk."), 409
    return storage.download_response(invoice.pdf_key, delivery.file_name(invoice), "application/pdf")


@tenant_api.post("/invoices")
@staff_required
@documented("/invoices", "post", "Issue a manual invoice (the number is assigned; prices in øre, quantity as a number)",
            request=ManualInvoiceSchema, response=InvoiceSchema, status=201, tag=TAG)
def create_invoice():
    data = json_body(ManualInvoiceSchema())
    invoice = invoices.manual_invoice(current_session(), current_user, g.tenant, data, today_in_oslo())
    return InvoiceSchema().dump(invoices.invoice_detail(current_session(), current_user, invoice.id)), 201


@tenant_api.post("/invoices/<int:invoice_id>/credit-note")
@staff_required
@documented("/invoices/{invoice_id}/credit-note", "post", "Credit the whole invoice; the original stays as it was",
            request=CreditNoteSchema, response=InvoiceSchema, params=("invoice_id",), status=201, tag=TAG)
def credit_note(invoice_id: int):
    _invoice(invoice_id)
    data = json_body(CreditNoteSchema())
    try:
        note = invoices.credit_invoice(current_session(), current_user, g.tenant, invoice_id, data["reason"], today_in_oslo())
    except Refused as error:
        return _refused(error)
    return InvoiceSchema().dump(invoices.invoice_detail(current_session(), current_user, note.id)), 201


def _price_list() -> dict:
    session = current_session()
    return PriceListSchema().dump(dict(settings.settings_values(session, g.tenant), prices=settings.price_rows(session)))


@tenant_api.get("/price-list")
@admin_required
@documented("/price-list", "get", "The price list (øre without VAT per class and size band) and invoice settings",
            response=PriceListSchema, tag=TAG)
def get_price_list():
    return _price_list()


@tenant_api.put("/price-list")
@admin_required
@documented("/price-list", "put", "Change the price list and invoice settings (prices not named keep their value)",
            request=PriceListSchema, response=PriceListSchema, tag=TAG)
def put_price_list():
    current = settings.settings_values(current_session(), g.tenant)
    data = json_body(PriceListSchema(), partial=True)
    settings.update_price_list(current_session(), current_user, g.tenant, {**current, **data})
    return _price_list()
