"""Billing: the tenant's price list and invoice settings, invoices and credit notes with their lines,
payments, the tenant's Stripe connection, the platform's subscriptions of tenants, and Stripe events.

An issued invoice is never edited or deleted (bokføringsforskriften): its content, including a snapshot
of seller and buyer, is written once; afterwards only its bookkeeping columns (state, sent, paid,
reminders, PDF) change, and corrections are credit notes.  ``_refuse_edits`` below enforces that on
every flush.
"""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from saas.clients.models import ClientCompany
from saas.db import Base, utcnow
from saas.tenancy import TenantOwned

__all__ = ["BillingSettings", "Price", "InvoiceCounter", "Invoice", "InvoiceLine", "InvoiceState", "Payment",
           "StripeConnection", "StripeCustomer", "TenantSubscription", "StripeEvent", "InvoiceImmutable"]


class InvoiceState(str, enum.Enum):
    ISSUED = "issued"
    SENT = "sent"
    PAID = "paid"
    OVERDUE = "overdue"
    CREDITED = "credited"


class BillingSettings(TenantOwned, Base):
    """The seller's invoice details a tenant keeps beside its profile: one row per tenant."""

    __tablename__ = "billing_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_form: Mapped[str] = mapped_column(String(10), default="")  # AS, ASA, NUF, ENK, ...
    bank_account: Mapped[str] = mapped_column(String(11), default="")  # kontonummer, 11 digits
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=14)
    certificate_vat: Mapped[str] = mapped_column(String(10), default="high")  # a pricing.VAT_RATES code
    kid_method: Mapped[str] = mapped_column(String(5), default="mod10")
    invoice_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Price(TenantOwned, Base):
    """The price of a certificate in one class for companies in one size band, in øre without VAT."""

    __tablename__ = "billing_prices"
    __table_args__ = (UniqueConstraint("tenant_id", "cert_class", "band"),
                      CheckConstraint("amount >= 0", name="amount"))

    id: Mapped[int] = mapped_column(primary_key=True)
    cert_class: Mapped[str] = mapped_column(String(2))
    band: Mapped[int] = mapped_column(Integer)  # index into pricing.SIZE_BANDS
    amount: Mapped[int] = mapped_column(Integer)


class InvoiceCounter(TenantOwned, Base):
    """The tenant's last invoice number.  Locked FOR UPDATE by the transaction that stores the next
    invoice, so numbers are consecutive: a rolled-back invoice takes its number back with it."""

    __tablename__ = "billing_invoice_counters"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def _public_token() -> str:
    return secrets.token_urlsafe(32)


class Invoice(TenantOwned, Base):
    """An invoice or a credit note (``credits_invoice_id`` set, negative amounts) of the tenant."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        # Exactly one invoice per certificate: the job that creates it may run twice.
        UniqueConstraint("certificate_id"),
        # A credit note credits the whole invoice, once.
        UniqueConstraint("credits_invoice_id"),
        CheckConstraint("state IN ('issued', 'sent', 'paid', 'overdue', 'credited')", name="state"),
    )
    __url_param__ = "invoice_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="RESTRICT"))
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    issue_date: Mapped[date]
    due_date: Mapped[date]
    kid: Mapped[str] = mapped_column(String(25))
    currency: Mapped[str] = mapped_column(String(3), default="NOK")
    seller: Mapped[dict] = mapped_column(JSON)  # snapshot: name, org number, address, bank account, ...
    buyer: Mapped[dict] = mapped_column(JSON)   # snapshot: name, org number, address
    note: Mapped[str] = mapped_column(Text, default="")
    net_total: Mapped[int] = mapped_column(Integer)
    vat_total: Mapped[int] = mapped_column(Integer)
    gross_total: Mapped[int] = mapped_column(Integer)
    vat_groups: Mapped[list] = mapped_column(JSON)  # [{"rate": 2500, "basis": øre, "vat": øre}, ...]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # For the link in the e-mail: whoever holds it may see and pay this one invoice.
    public_token: Mapped[str] = mapped_column(String(64), unique=True, default=_public_token)

    # Bookkeeping: the only columns that change after issue.
    state: Mapped[str] = mapped_column(String(10), default=InvoiceState.ISSUED.value, index=True)
    pdf_key: Mapped[str | None] = mapped_column(String(80))
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    paid_amount: Mapped[int] = mapped_column(Integer, default=0)
    credited_at: Mapped[datetime | None]
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_on: Mapped[date | None]
    payment_intent_id: Mapped[str | None] = mapped_column(String(100))

    company: Mapped[ClientCompany] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(back_populates="invoice", order_by="InvoiceLine.position")

    @property
    def is_credit_note(self) -> bool:
        return self.credits_invoice_id is not None


BOOKKEEPING_COLUMNS = frozenset({"state", "pdf_key", "sent_at", "paid_at", "paid_amount", "credited_at",
                                 "reminder_count", "last_reminder_on", "payment_intent_id"})


class InvoiceLine(TenantOwned, Base):
    """One line: a specific description of the service and its period, quantity, price and VAT rate."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    period_from: Mapped[date | None]
    period_to: Mapped[date | None]
    quantity: Mapped[int] = mapped_column(Integer)  # hundredths: 150 is 1.5
    unit_price: Mapped[int] = mapped_column(Integer)  # øre without VAT
    vat_code: Mapped[str] = mapped_column(String(10))
    vat_rate: Mapped[int] = mapped_column(Integer)  # basis points: 2500 is 25 %
    net_amount: Mapped[int] = mapped_column(Integer)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Payment(TenantOwned, Base):
    """Money received for an invoice; ``reference`` (the Stripe PaymentIntent) is recorded once."""

    __tablename__ = "billing_payments"
    __table_args__ = (UniqueConstraint("tenant_id", "reference"),)
    __url_param__ = "payment_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"), index=True)
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeConnection(TenantOwned, Base):
    """How a tenant takes payments: a Stripe Connect account of the platform, or the tenant's own
    (restricted) key with its webhook signing secret.  The secrets are Fernet-encrypted (saas.billing.crypto)
    and shown back only as their last four characters."""

    __tablename__ = "billing_stripe_connections"
    __table_args__ = (UniqueConstraint("tenant_id"), CheckConstraint("mode IN ('connect', 'own_key')", name="mode"))

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))
    account_encrypted: Mapped[str] = mapped_column(Text, default="")
    # A keyed hash of the account id or key (crypto.lookup_hash): finds the tenant of a Connect event
    # without decrypting every row, tells which account a StripeCustomer was made in, and keeps two
    # tenants from connecting the same account.
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    secret_key_encrypted: Mapped[str] = mapped_column(Text, default="")
    webhook_secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    publishable_key: Mapped[str] = mapped_column(String(200), default="")
    hint: Mapped[str] = mapped_column(String(8), default="")
    connected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)


class StripeCustomer(TenantOwned, Base):
    """The Stripe customer of a client company in the tenant's Stripe account (``account_ref`` tells
    which connection created it, so a changed connection gets new customers)."""

    __tablename__ = "billing_stripe_customers"
    __table_args__ = (UniqueConstraint("company_id", "account_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("client_companies.id", ondelete="RESTRICT"), index=True)
    account_ref: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(100))


class TenantSubscription(TenantOwned, Base):
    """The tenant's subscription to the platform (Stripe Billing on the platform's own account).
    ``status`` is Stripe's, copied from the subscription as re-fetched after each event."""

    __tablename__ = "billing_subscriptions"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(100))
    subscription_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    setup_intent_id: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24), default="incomplete")
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    lapsed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """Every verified Stripe event, once (platform-level: an event may belong to no tenant).

    The webhook stores the row; the job that acts on it locks it and sets ``processed_at`` in the same
    transaction as the effect, so a repeated delivery or a repeated job changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(10))  # platform | tenant
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    account: Mapped[str | None] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50), default="")
    object_id: Mapped[str] = mapped_column(String(100), default="")
    livemode: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(200), default="")


class InvoiceImmutable(RuntimeError):
    """Something tried to change or delete an issued invoice's content."""


@event.listens_for(Session, "before_flush")
def _refuse_edits(session: Session, flush_context, instances) -> None:
    from sqlalchemy import inspect

    for obj in session.deleted:
        if isinstance(obj, (Invoice, InvoiceLine, Payment)):
            raise InvoiceImmutable(f"{type(obj).__name__} {obj.id} kan ikke slettes.")
    for obj in session.dirty:
        if isinstance(obj, InvoiceLine) and session.is_modified(obj):
            raise InvoiceImmutable(f"Fakturalinje {obj.id} kan ikke endres.")
        if isinstance(obj, Invoice):
            state = inspect(obj)
            changed = {attr.key for attr in state.attrs if attr.history.has_changes()} - BOOKKEEPING_COLUMNS - {"lines", "company"}
            if changed:
                raise InvoiceImmutable(f"Faktura {obj.number} kan ikke endres ({', '.join(sorted(changed))}).")
