"""Invoice pages: the list, one invoice, its PDF, credit notes, manual invoices (staff) and a client
contact's own invoices."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from saas import storage
from saas.auth import staff_required
from saas.billing import pricing
from saas.billing.schemas import CreditNoteSchema, ManualInvoiceSchema
from saas.billing.services import NotFound, Refused, delivery, invoices
from saas.billing.views import bp
from saas.db import current_session
from saas.scheduler import today_in_oslo
from saas.schemas import FieldErrors, load_form, load_json

LINE_ROWS = 5
LINE_FIELDS = ("description", "period_from", "period_to", "quantity", "unit_price", "vat_code")


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _invoice_or_404(invoice_id: int):
    try:
        return invoices.get_invoice(current_session(), current_user, invoice_id)
    except NotFound:
        abort(404)


@bp.get("/invoices")
@staff_required
def invoice_list():
    flt = invoices.InvoiceFilter(state=request.args.get("state", "")[:10], company_id=_int_arg("company"),
                                 page=_int_arg("page") or 1)
    items, total = invoices.list_invoices(current_session(), current_user, flt)
    return render_template("billing/invoices.html", items=items, total=total, flt=flt, labels=invoices.STATE_LABELS,
                           pages=max(1, -(-total // flt.per_page)), args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/my-invoices")
def my_invoices():
    items, total = invoices.list_invoices(current_session(), current_user, invoices.InvoiceFilter(per_page=200))
    return render_template("billing/my_invoices.html", items=items)


def _detail_page(invoice_id: int, errors: dict | None = None, message: str = "", status: int = 200):
    session = current_session()
    if status >= 400:
        session.rollback()
    try:
        data = invoices.invoice_detail(session, current_user, invoice_id)
    except NotFound:
        abort(404)
    return render_template("billing/invoice.html", invoice=data, errors=errors or {}, message=message,
                           public_link=url_for("billing_public.invoice", token=data["public_token"])), status


@bp.get("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id: int):
    return _detail_page(invoice_id)


@bp.get("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    if not invoice.pdf_key or not storage.exists(invoice.pdf_key):
        flash("PDF-en lages fortsatt. Prøv igjen om et øyeblikk.", "info")
        return redirect(url_for("billing.invoice_detail", invoice_id=invoice.id))
    return storage.download_response(invoice.pdf_key, delivery.file_name(invoice), "application/pdf")


@bp.post("/invoices/<int:invoice_id>/credit")
@staff_required
def credit(invoice_id: int):
    _invoice_or_404(invoice_id)
    try:
        data = load_form(CreditNoteSchema(), request.form)
        note = invoices.credit_invoice(current_session(), current_user, g.tenant, invoice_id, data["reason"], today_in_oslo())
    except FieldErrors as error:
        return _detail_page(invoice_id, errors=error.errors, status=422)
    except Refused as error:
        return _detail_page(invoice_id, message=str(error), status=422)
    flash(f"Kreditnota {note.number} er utstedt.", "success")
    return redirect(url_for("billing.invoice_detail", invoice_id=note.id))


@bp.post("/invoices/<int:invoice_id>/resend")
@staff_required
def resend(invoice_id: int):
    invoice = _invoice_or_404(invoice_id)
    sent = delivery.resend(current_session(), invoice)
    flash(f"Fakturaen er sendt til {sent} mottaker(e)." if sent else "Kunden har ingen kontaktperson med e-post.",
          "success" if sent else "error")
    return redirect(url_for("billing.invoice_detail", invoice_id=invoice.id))


def form_lines(form) -> list[dict]:
    """The manual-invoice form's line rows that have anything in them, in the shape LineSchema loads."""
    lines = []
    for n in range(LINE_ROWS):
        row = {name: form.get(f"line-{n}-{name}", "").strip() for name in LINE_FIELDS}
        if not row["description"] and not row["unit_price"]:
            continue
        lines.append({k: v for k, v in row.items() if v != ""})
    return lines


def _form_page(values: dict, errors: dict, status: int = 200):
    return render_template("billing/invoice_form.html", values=values, errors=errors, rows=range(LINE_ROWS),
                           companies=invoices.invoicable_companies(current_session()),
                           vat_options=list(pricing.VAT_LABELS.items())), status


@bp.route("/invoices/new", methods=["GET", "POST"])
@staff_required
def new_invoice():
    if request.method == "GET":
        values = {f"line-{n}-vat_code": "high" for n in range(LINE_ROWS)}
        values.update({"line-0-quantity": "1", "company_id": str(_int_arg("company") or "")})
        return _form_page(values, {})
    payload = {"company_id": request.form.get("company_id", ""), "note": request.form.get("note", ""),
               "lines": form_lines(request.form)}
    if not str(payload["company_id"]).isdigit():
        payload.pop("company_id")
    try:
        data = load_json(ManualInvoiceSchema(), payload)
        invoice = invoices.manual_invoice(current_session(), current_user, g.tenant, data, today_in_oslo())
    except FieldErrors as error:
        # "lines.0.unit_price" names the row as the form numbers it, once empty rows are left out.
        rows = [n for n in range(LINE_ROWS) if request.form.get(f"line-{n}-description", "").strip()
                or request.form.get(f"line-{n}-unit_price", "").strip()]
        errors = {}
        for key, messages in error.errors.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
                errors[f"line-{rows[int(parts[1])]}-{parts[2]}"] = messages
            elif key == "bank_account":  # not a field of this form: said above it, with the way to fix it
                errors["_bank_account"] = messages
            else:
                errors["_schema" if parts[0] == "lines" else key] = messages
        return _form_page(dict(request.form), errors, 422)
    flash(f"Faktura {invoice.number} er utstedt.", "success")
    return redirect(url_for("billing.invoice_detail", invoice_id=invoice.id))
