"""Getting an invoice to the client: its PDF (rendered once by a job, then kept: the invoice never changes),
the e-mail to the company's contact persons with the PDF and pay links, and reminders when it is overdue.

Reminders: the daily job marks open invoices past their due date as overdue and e-mails a reminder on the
first day overdue and again every ``REMINDER_EVERY_DAYS`` days, at most ``MAX_REMINDERS`` times; the
invoice row is locked while it is decided, so two runs on one day send one reminder.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from saas import storage
from saas.billing import pricing
from saas.billing.models import Invoice
from saas.billing.services.invoices import CREDITED, ISSUED, OPEN_STATES, OVERDUE, PAID, SENT
from saas.clients.models import ContactPerson
from saas.db import utcnow
from saas.mail import send_mail
from saas.norway import format_date, format_money, format_org_number
from saas.pdf import render_pdf
from saas.tenants.models import Tenant, User
from saas.tenants.services import branding

REMINDER_EVERY_DAYS = 14
MAX_REMINDERS = 3


def public_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail or a PDF (a job has no request to build it from)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path


def file_name(invoice: Invoice) -> str:
    kind = "kreditnota" if invoice.is_credit_note else "faktura"
    name = unicodedata.normalize("NFKD", invoice.buyer.get("name", "")).encode("ascii", "ignore").decode()
    return f"{kind}-{invoice.number}-{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower()[:40]}.pdf"


# -- the PDF ------------------------------------------------------------------------------------------

def pdf_context(session: Session, invoice: Invoice) -> dict:
    """Everything the invoice PDF shows, as plain text and numbers, from the invoice's own snapshot."""
    tenant = session.get(Tenant, invoice.tenant_id)
    seller, buyer = invoice.seller, invoice.buyer
    credits = None
    if invoice.credits_invoice_id:
        original = session.scalar(select(Invoice).where(Invoice.id == invoice.credits_invoice_id))
        credits = dict(number=original.number, issue_date=format_date(original.issue_date))
    lines = [dict(description=l.description, quantity=pricing.format_quantity(l.quantity),
                  period=(f"{format_date(l.period_from)}–{format_date(l.period_to)}" if l.period_from and l.period_to else ""),
                  unit_price=format_money(l.unit_price), vat=pricing.format_rate(l.vat_rate), net=format_money(l.net_amount))
             for l in invoice.lines]
    return dict(
        # The PDF's letterhead shows the seller as it was when the invoice was issued, not as it is now.
        tenant=dict(branding(tenant), name=seller["name"], org_number=seller["org_number"], address=seller.get("address", ""),
                    postcode=seller.get("postcode", ""), city=seller.get("city", "")),
        invoice=dict(number=invoice.number, credit_note=invoice.is_credit_note, credits=credits,
                     issue_date=format_date(invoice.issue_date), due_date=format_date(invoice.due_date), kid=invoice.kid,
                     note=invoice.note, net=format_money(invoice.net_total), vat=format_money(invoice.vat_total),
                     gross=format_money(invoice.gross_total), currency=invoice.currency,
                     groups=[dict(rate=pricing.format_rate(g["rate"]), basis=format_money(g["basis"]), vat=format_money(g["vat"]))
                             for g in invoice.vat_groups],
                     pay_url=None if invoice.is_credit_note or invoice.gross_total <= 0
                     else public_url("billing_public.invoice", token=invoice.public_token)),
        seller=dict(name=seller["name"], registration=pricing.seller_registration(seller["org_number"], seller["vat_registered"],
                                                                                   seller.get("org_form", "")),
                    address=seller.get("address", ""), postcode=seller.get("postcode", ""), city=seller.get("city", ""),
                    email=seller.get("email", ""), bank_account=pricing.format_bank_account(seller.get("bank_account", "")),
                    invoice_text=seller.get("invoice_text", "")),
        buyer=dict(name=buyer["name"], org_number=format_org_number(buyer["org_number"]) if buyer.get("org_number") else "",
                   address=buyer.get("address", ""), postcode=buyer.get("postcode", ""), city=buyer.get("city", ""),
                   postal_address=buyer.get("postal_address", "")),
        lines=lines,
    )


def ensure_pdf(session: Session, invoice: Invoice) -> str:
    """Render and store the invoice's PDF unless it already has one; returns the storage key."""
    if invoice.pdf_key and storage.exists(invoice.pdf_key):
        return invoice.pdf_key
    pdf = render_pdf("invoice.html", **pdf_context(session, invoice))
    stored = storage.save_bytes(pdf, "pdf", file_name(invoice), "application/pdf")
    storage.remove_on_rollback(session, stored)
    invoice.pdf_key = stored.key
    return stored.key


# -- e-mail -------------------------------------------------------------------------------------------

def recipients(session: Session, company_id: int) -> list[tuple[str, str]]:
    """(e-mail, name) of each contact person of the company, the login's address where the contact has an
    active login; one per address."""
    rows = session.execute(
        select(ContactPerson.name, ContactPerson.email, User.email.label("user_email"), User.active)
        .outerjoin(User, User.id == ContactPerson.user_id)
        .where(ContactPerson.company_id == company_id).order_by(ContactPerson.id)).all()
    seen: set[str] = set()
    result = []
    for r in rows:
        email = r.user_email if r.user_email and r.active else r.email
        if email and email.lower() not in seen:
            seen.add(email.lower())
            result.append((email, r.name))
    return result


def _mail_context(invoice: Invoice) -> dict:
    return dict(number=invoice.number, credit_note=invoice.is_credit_note, seller_name=invoice.seller["name"],
                company_name=invoice.buyer["name"], amount=format_money(invoice.gross_total),
                due_date=format_date(invoice.due_date), kid=invoice.kid,
                bank_account=pricing.format_bank_account(invoice.seller.get("bank_account", "")),
                link=public_url("billing_public.invoice", token=invoice.public_token),
                pdf_link=public_url("billing_public.pdf", token=invoice.public_token),
                payable=invoice.state in OPEN_STATES and invoice.gross_total > 0 and not invoice.is_credit_note)


def _send(session: Session, invoice: Invoice) -> int:
    people = recipients(session, invoice.company_id)
    kind = "Kreditnota" if invoice.is_credit_note else "Faktura"
    for email, name in people:
        send_mail(session, email, f"{kind} {invoice.number} fra {invoice.seller['name']}", "invoice",
                  tenant_id=invoice.tenant_id, name=name, **_mail_context(invoice))
    if people:
        invoice.sent_at = utcnow()
        if invoice.state == ISSUED:
            invoice.state = SENT
    return len(people)


def deliver(session: Session, invoice_id: int) -> int:
    """Render the PDF and e-mail the invoice to the company's contact persons, once; the state goes from
    issued to sent.  Returns the number of e-mails sent (0 when already sent or nobody to send to)."""
    # Lock before reading (a row lock on PostgreSQL, the write lock on SQLite): two runs queue here.
    session.execute(update(Invoice).where(Invoice.id == invoice_id).values(state=Invoice.state)
                    .execution_options(synchronize_session=False))
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines)))
    if invoice is None:
        return 0
    ensure_pdf(session, invoice)
    if invoice.sent_at is not None:
        return 0
    return _send(session, invoice)


def resend(session: Session, invoice: Invoice) -> int:
    """Send the invoice again because staff asked; returns the number of e-mails."""
    return _send(session, invoice)


def remind_overdue(session: Session, today: date) -> int:
    """Mark the bound tenant's open invoices past due as overdue and send the reminders due today;
    returns the number of e-mails sent."""
    due = session.scalars(select(Invoice).where(Invoice.state.in_(OPEN_STATES), Invoice.due_date < today,
                                                Invoice.gross_total > 0, Invoice.credits_invoice_id.is_(None))
                          .order_by(Invoice.id).with_for_update()).all()
    sent = 0
    for invoice in due:
        invoice.state = OVERDUE
        if invoice.reminder_count >= MAX_REMINDERS:
            continue
        if invoice.last_reminder_on is not None and (today - invoice.last_reminder_on).days < REMINDER_EVERY_DAYS:
            continue
        people = recipients(session, invoice.company_id)
        for email, name in people:
            send_mail(session, email, f"Påminnelse: faktura {invoice.number} fra {invoice.seller['name']} er forfalt",
                      "invoice_reminder", tenant_id=invoice.tenant_id, name=name, days_late=(today - invoice.due_date).days,
                      reminder=invoice.reminder_count + 1, **_mail_context(invoice))
            sent += 1
        invoice.reminder_count += 1
        invoice.last_reminder_on = today
    return sent


def is_closed(state: str) -> bool:
    return state in (PAID, CREDITED)
