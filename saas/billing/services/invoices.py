"""Invoices and credit notes: the gap-free number series, KID, issuing (for a certificate, or by hand),
crediting, and reading them back as plain data.

Numbers: each tenant has one counter row.  The transaction that stores an invoice first locks that row
(an UPDATE, so it is a row lock on PostgreSQL and the write lock on SQLite), then assigns the next number
and stores the invoice.  Concurrent issuers queue on the lock; a transaction that rolls back takes its
number back with it, so the series has no gaps and no duplicates, and nobody can choose a number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from saas.audit.services import record
from saas.billing import pricing
from saas.billing.models import Invoice, InvoiceCounter, InvoiceLine, InvoiceState
from saas.billing.services import NotFound, Refused
from saas.billing.services.settings import price_table, settings_values
from saas.clients.models import ClientCompany
from saas.clients.services import visible_company_ids
from saas.db import utcnow
from saas.norway import kid_mod10, kid_mod11
from saas.schemas import FieldErrors
from saas.tenants.models import Tenant, User

ISSUED, SENT, PAID, OVERDUE, CREDITED = (s.value for s in InvoiceState)
OPEN_STATES = (ISSUED, SENT, OVERDUE)  # money is still owed
STATE_LABELS = {ISSUED: "Utstedt", SENT: "Sendt", PAID: "Betalt", OVERDUE: "Forfalt", CREDITED: "Kreditert"}
STATE_BADGES = {ISSUED: "", SENT: "", PAID: "ok", OVERDUE: "bad", CREDITED: "warn"}
PAGE_SIZE = 50
NO_BANK_ACCOUNT = "Fakturaer kan ikke utstedes før kontonummeret er lagt inn i fakturainnstillingene."
HELD = "invoice.held"  # the audit action of a certificate invoice waiting for the bank account


def require_bank_account(settings: dict) -> None:
    """An invoice without an account to pay into is no invoice: raises FieldErrors on ``bank_account``."""
    if not (settings.get("bank_account") or "").strip():
        raise FieldErrors({"bank_account": lazy_gettext(NO_BANK_ACCOUNT)})


# -- the number series and KID ----------------------------------------------------------------------------

def _lock_series(session: Session) -> int:
    """Lock the bound tenant's counter row until the transaction ends and return the last number used."""
    touch = (update(InvoiceCounter).values(last_number=InvoiceCounter.last_number)
             .returning(InvoiceCounter.last_number).execution_options(synchronize_session=False))
    last = session.execute(touch).scalar()
    if last is not None:
        return last
    try:
        with session.begin_nested():
            session.add(InvoiceCounter(last_number=0))
        return session.execute(touch).scalar_one()
    except IntegrityError:  # another transaction created the row first: wait for its lock instead
        return session.execute(touch).scalar_one()


def _take_number(session: Session, last: int) -> int:
    number = last + 1
    session.execute(update(InvoiceCounter).values(last_number=number).execution_options(synchronize_session=False))
    return number


def kid_for(number: int, method: str) -> str:
    """A 10-digit KID: "0" and the invoice number in 8 digits, then the check digit.  Where MOD11 gives
    no check digit (remainder 1), the leading "0" becomes "9", which always gives one and stays unique."""
    base = f"0{number:08d}"
    if method != "mod11":
        return kid_mod10(base)
    try:
        return kid_mod11(base)
    except ValueError:
        return kid_mod11(f"9{number:08d}")


# -- snapshots ----------------------------------------------------------------------------------------

def seller_snapshot(tenant: Tenant, settings: dict) -> dict:
    return dict(name=tenant.name, org_number=tenant.org_number, vat_registered=bool(tenant.vat_registered),
                org_form=settings["org_form"], address=tenant.address, postcode=tenant.postcode, city=tenant.city,
                email=tenant.contact_email, bank_account=settings["bank_account"], invoice_text=settings["invoice_text"])


def buyer_snapshot(company: ClientCompany) -> dict:
    return dict(name=company.name, org_number=company.org_number, address=company.address, postcode=company.postcode,
                city=company.city, postal_address=company.postal_address)


# -- issuing ------------------------------------------------------------------------------------------

def _store(session: Session, tenant: Tenant, company: ClientCompany, lines: list[dict], last: int, *, issue_date: date,
           actor_id: int | None, certificate_id: int | None = None, credits: Invoice | None = None, note: str = "") -> Invoice:
    """Store an invoice with the next number; the caller holds the series lock (``last`` from _lock_series).
    Raises FieldErrors (``bank_account``) when the tenant has no bank account; a credit note keeps its original's."""
    settings = settings_values(session, tenant)
    if credits is None:
        require_bank_account(settings)
    result = pricing.totals(pricing.Line(description=l["description"], quantity=l["quantity"], unit_price=l["unit_price"],
                                         vat_code=l["vat_code"]) for l in lines)
    number = _take_number(session, last)
    invoice = Invoice(
        number=number, company_id=company.id, certificate_id=certificate_id,
        credits_invoice_id=credits.id if credits is not None else None, issue_date=issue_date,
        due_date=issue_date if credits is not None else issue_date + timedelta(days=settings["payment_terms_days"]),
        kid=kid_for(number, settings["kid_method"]),
        seller=credits.seller if credits is not None else seller_snapshot(tenant, settings),
        buyer=credits.buyer if credits is not None else buyer_snapshot(company), note=note,
        net_total=result.net, vat_total=result.vat, gross_total=result.gross,
        vat_groups=[dict(rate=g.rate, basis=g.basis, vat=g.vat) for g in result.groups], created_by=actor_id,
        state=PAID if result.gross == 0 and credits is None else ISSUED,
    )
    if invoice.state == PAID:
        invoice.paid_at = utcnow()  # nothing to pay (a certificate on a follow-up agreement)
    session.add(invoice)
    session.flush()
    for position, (line, priced) in enumerate(zip(lines, result.lines), 1):
        session.add(InvoiceLine(invoice_id=invoice.id, position=position, description=line["description"],
                                period_from=line.get("period_from"), period_to=line.get("period_to"),
                                quantity=line["quantity"], unit_price=line["unit_price"], vat_code=line["vat_code"],
                                vat_rate=priced.vat_rate, net_amount=priced.net_amount))
    session.flush()
    from saas.billing.jobs import deliver_invoice
    from saas.jobs import enqueue

    enqueue(session, deliver_invoice, invoice.id, tenant_id=invoice.tenant_id, job_id=f"invoice-deliver-{invoice.id}")
    return invoice


def certificate_line(certificate, company: ClientCompany, settings: dict, prices: dict, on: date) -> dict:
    from saas.norway import format_date

    free = company.follow_up_active(on)
    description = (f"HMS-sertifikat klasse {certificate.cert_class}, nr. {certificate.number}, gyldig "
                   f"{format_date(certificate.issued_on)}–{format_date(certificate.valid_until)}")
    if free:
        description += " (inkludert i oppfølgingsavtalen)"
    return dict(description=description, period_from=certificate.issued_on, period_to=certificate.valid_until, quantity=100,
                unit_price=pricing.certificate_price(prices, certificate.cert_class, company.employee_count, free),
                vat_code=settings["certificate_vat"])


def invoice_certificate(session: Session, certificate_id: int, today: date) -> Invoice | None:
    """Issue the invoice of a certificate; None when it already has one (or the certificate is gone), or when
    the tenant has no bank account yet: then the certificate is recorded as held (audit ``invoice.held``) and
    saving a bank account issues it (``release_held_invoices``).

    The series lock comes first: two runs for the same certificate queue on it, and the second finds the
    first one's invoice (the unique constraint on ``certificate_id`` backs this)."""
    from saas.certification.models import Certificate

    last = _lock_series(session)
    if session.scalar(select(Invoice.id).where(Invoice.certificate_id == certificate_id)) is not None:
        return None
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id))
    if certificate is None:
        return None
    company = session.scalar(select(ClientCompany).where(ClientCompany.id == certificate.company_id))
    tenant = session.get(Tenant, certificate.tenant_id)
    settings = settings_values(session, tenant)
    if not (settings.get("bank_account") or "").strip():
        record(session, None, HELD, certificate, f"Faktura for sertifikat {certificate.number} venter på kontonummer",
               company_id=company.id)
        return None
    line = certificate_line(certificate, company, settings, price_table(session), certificate.issued_on)
    invoice = _store(session, tenant, company, [line], last, issue_date=today, actor_id=None, certificate_id=certificate.id)
    record(session, None, "invoice.issued", invoice, f"Faktura {invoice.number} for sertifikat {certificate.number}",
           company_id=company.id)
    return invoice


def held_certificate_ids(session: Session) -> list[int]:
    """Certificates whose invoice waits for the bank account (held, and still without an invoice)."""
    from saas.audit.models import AuditEvent

    held = set(session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == HELD,
                                                                   AuditEvent.object_id.is_not(None))))
    done = set(session.scalars(select(Invoice.certificate_id).where(Invoice.certificate_id.in_(held)))) if held else set()
    return sorted(held - done)


def release_held_invoices(session: Session, tenant_id: int) -> int:
    """Enqueue (after commit) the invoice job of every held certificate; returns how many."""
    from saas.billing.jobs import invoice_certificate as job
    from saas.jobs import enqueue

    ids = held_certificate_ids(session)
    for certificate_id in ids:
        enqueue(session, job, certificate_id, tenant_id=tenant_id, job_id=f"invoice-certificate-{certificate_id}-released")
    return len(ids)


def manual_invoice(session: Session, actor: User, tenant: Tenant, data: dict, today: date) -> Invoice:
    """Invoice other items by hand.  Raises FieldErrors for an unknown or archived company, or (on
    ``bank_account``) when the tenant has no bank account."""
    company = session.scalar(select(ClientCompany).where(ClientCompany.id == data["company_id"],
                                                         ClientCompany.archived_at.is_(None)))
    if company is None:
        raise FieldErrors({"company_id": "Velg en kunde."})
    require_bank_account(settings_values(session, tenant))
    last = _lock_series(session)
    invoice = _store(session, tenant, company, data["lines"], last, issue_date=today, actor_id=actor.id, note=data.get("note", ""))
    record(session, actor, "invoice.issued", invoice, f"Faktura {invoice.number} til {company.name}", company_id=company.id)
    return invoice


def credit_invoice(session: Session, actor: User | None, tenant: Tenant, invoice_id: int, reason: str, today: date) -> Invoice:
    """Issue a credit note for the whole invoice; the invoice itself keeps every field it had and only its
    state becomes "credited".  Raises NotFound, or Refused for a credit note or an invoice already credited."""
    last = _lock_series(session)
    original = session.scalar(select(Invoice).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines))
                              .with_for_update())
    if original is None:
        raise NotFound(invoice_id)
    if original.is_credit_note:
        raise Refused("En kreditnota kan ikke krediteres.")
    if original.state == CREDITED:
        raise Refused(f"Faktura {original.number} er allerede kreditert.")
    lines = [dict(description=l.description, period_from=l.period_from, period_to=l.period_to, quantity=l.quantity,
                  unit_price=-l.unit_price, vat_code=l.vat_code) for l in original.lines]
    note = f"Krediterer faktura {original.number} datert {original.issue_date.strftime('%d.%m.%Y')}. {reason.strip()}"
    credit = _store(session, tenant, original.company, lines, last, issue_date=today, actor_id=getattr(actor, "id", None),
                    credits=original, note=note)
    original.state = CREDITED
    original.credited_at = utcnow()
    record(session, actor, "invoice.credited", original, f"Faktura {original.number} kreditert med {credit.number}: {reason}"[:500])
    return credit


# -- reading ------------------------------------------------------------------------------------------

def visible_invoices(user: User):
    """Invoices the user may see: all of the tenant's for staff, only their companies' for client contacts."""
    query = select(Invoice)
    if not user.is_staff:
        query = query.where(Invoice.company_id.in_(visible_company_ids(user.is_staff, user.id)))
    return query


def get_invoice(session: Session, user: User, invoice_id: int) -> Invoice:
    """Return the invoice (with its lines) or raise NotFound."""
    invoice = session.scalar(visible_invoices(user).where(Invoice.id == invoice_id).options(selectinload(Invoice.lines)))
    if invoice is None:
        raise NotFound(invoice_id)
    return invoice


def invoice_dict(invoice: Invoice, company_name: str | None = None, credited_by_id: int | None = None) -> dict:
    data = dict(id=invoice.id, number=invoice.number, kind="credit_note" if invoice.is_credit_note else "invoice",
                company_id=invoice.company_id, company_name=company_name or invoice.buyer.get("name", ""),
                issue_date=invoice.issue_date, due_date=invoice.due_date, state=invoice.state,
                state_label=STATE_LABELS[invoice.state], state_badge=STATE_BADGES[invoice.state], kid=invoice.kid,
                net_total=invoice.net_total, vat_total=invoice.vat_total, gross_total=invoice.gross_total,
                certificate_id=invoice.certificate_id, credits_invoice_id=invoice.credits_invoice_id,
                credited_by_id=credited_by_id, seller=invoice.seller, buyer=invoice.buyer, note=invoice.note,
                vat_groups=invoice.vat_groups, sent_at=invoice.sent_at, paid_at=invoice.paid_at,
                paid_amount=invoice.paid_amount, pdf_ready=invoice.pdf_key is not None, public_token=invoice.public_token,
                payable=invoice.state in OPEN_STATES and invoice.gross_total > 0 and not invoice.is_credit_note)
    if "lines" in invoice.__dict__:
        data["lines"] = [dict(position=l.position, description=l.description, period_from=l.period_from,
                              period_to=l.period_to, quantity=l.quantity, quantity_text=pricing.format_quantity(l.quantity),
                              unit_price=l.unit_price, vat_code=l.vat_code, vat_rate=l.vat_rate,
                              vat_label=pricing.format_rate(l.vat_rate), net_amount=l.net_amount) for l in invoice.lines]
    return data


def invoice_detail(session: Session, user: User, invoice_id: int) -> dict:
    invoice = get_invoice(session, user, invoice_id)
    credited_by = session.scalar(select(Invoice.id).where(Invoice.credits_invoice_id == invoice.id))
    data = invoice_dict(invoice, credited_by_id=credited_by)
    if invoice.credits_invoice_id:
        data["credits_number"] = session.scalar(select(Invoice.number).where(Invoice.id == invoice.credits_invoice_id))
    if credited_by:
        data["credited_by_number"] = session.scalar(select(Invoice.number).where(Invoice.id == credited_by))
    return data


@dataclass(frozen=True)
class InvoiceFilter:
    state: str = ""
    company_id: int | None = None
    page: int = 1
    per_page: int = PAGE_SIZE


def list_invoices(session: Session, user: User, flt: InvoiceFilter) -> tuple[list[dict], int]:
    """One page of invoices, newest first, and the number of matching invoices."""
    query = visible_invoices(user)
    if flt.state in STATE_LABELS:
        query = query.where(Invoice.state == flt.state)
    if flt.company_id:
        query = query.where(Invoice.company_id == flt.company_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Invoice.number.desc()).limit(flt.per_page)
                           .offset((max(flt.page, 1) - 1) * flt.per_page)).all()
    return [invoice_dict(i) for i in rows], total


def invoicable_companies(session: Session) -> list[dict]:
    rows = session.execute(select(ClientCompany.id, ClientCompany.name).where(ClientCompany.archived_at.is_(None))
                           .order_by(ClientCompany.name)).all()
    return [dict(id=r.id, name=r.name) for r in rows]
