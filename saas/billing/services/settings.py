"""The tenant's price list and invoice settings, and its Stripe connection (secrets encrypted at rest)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from saas.audit.services import record
from saas.billing import crypto, gateway, pricing
from saas.billing.models import BillingSettings, Price, StripeConnection
from saas.billing.schemas import PRICE_FIELDS, price_field
from saas.schemas import FieldErrors
from saas.tenants.models import Tenant, User

SETTING_FIELDS = ("org_form", "bank_account", "payment_terms_days", "certificate_vat", "kid_method", "invoice_text")


def _row(session: Session) -> BillingSettings | None:
    return session.scalar(select(BillingSettings))


def settings_values(session: Session, tenant: Tenant) -> dict:
    """The settings as plain data; defaults (org form from the tenant's name) when never saved."""
    row = _row(session)
    if row is None:
        return dict(org_form=pricing.org_form_from_name(tenant.name), bank_account="", payment_terms_days=14,
                    certificate_vat="high", kid_method="mod10", invoice_text="")
    return {name: getattr(row, name) for name in SETTING_FIELDS}


def price_table(session: Session) -> dict[tuple[str, int], int]:
    """Every (class, band) price in øre: the tenant's own, else the default."""
    table = dict(pricing.DEFAULT_PRICES)
    for price in session.scalars(select(Price)):
        table[(price.cert_class, price.band)] = price.amount
    return table


def price_rows(session: Session) -> list[dict]:
    table = price_table(session)
    return [dict(cert_class=c, band=b, band_label=pricing.band_label(b), amount=table[(c, b)])
            for c in pricing.CLASSES for b in range(len(pricing.SIZE_BANDS))]


def form_values(session: Session, tenant: Tenant) -> dict:
    """What the settings form shows: the settings, and prices as kroner typed by a person."""
    values = settings_values(session, tenant)
    for (cert_class, band), amount in price_table(session).items():
        kroner, ore = divmod(amount, 100)
        values[price_field(cert_class, band)] = f"{kroner},{ore:02d}"
    return values


def update_price_list(session: Session, actor: User, tenant: Tenant, data: dict) -> None:
    """Save the settings and prices (``data`` from PriceListFormSchema, or the API's ``prices`` list)."""
    row = _row(session)
    had_account = bool(row is not None and row.bank_account)
    if row is None:
        row = BillingSettings()
        session.add(row)
    for name in SETTING_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    prices = {PRICE_FIELDS[k]: v for k, v in data.items() if k in PRICE_FIELDS}
    prices.update({(p["cert_class"], p["band"]): p["amount"] for p in data.get("prices", [])})
    existing = {(p.cert_class, p.band): p for p in session.scalars(select(Price))}
    for key, amount in prices.items():
        if key in existing:
            existing[key].amount = amount
        else:
            session.add(Price(cert_class=key[0], band=key[1], amount=amount))
    session.flush()
    record(session, actor, "billing.price_list_updated", row, "Prisliste og fakturainnstillinger",
           prices=len(prices))
    if row.bank_account and not had_account:
        from saas.billing.services.invoices import release_held_invoices

        release_held_invoices(session, tenant.id)


# -- the Stripe connection ------------------------------------------------------------------------------

def connection(session: Session) -> StripeConnection | None:
    return session.scalar(select(StripeConnection))


def connection_view(session: Session) -> dict | None:
    """What the settings page shows: never a secret, only its last four characters."""
    row = connection(session)
    if row is None:
        return None
    return dict(mode=row.mode, hint=row.hint, publishable_key=row.publishable_key, connected_at=row.connected_at)


def save_connection(session: Session, actor: User, data: dict) -> StripeConnection:
    """Connect (or reconnect) Stripe.  Raises FieldErrors when another tenant already uses the account."""
    row = connection(session)
    if row is None:
        row = StripeConnection(mode=data["mode"])
        session.add(row)
    row.mode = data["mode"]
    row.connected_by = actor.id
    if data["mode"] == "connect":
        secret = data["account_id"]
        row.ref = crypto.lookup_hash("acct:" + secret)
        row.account_encrypted = crypto.encrypt(secret)
        row.secret_key_encrypted = row.webhook_secret_encrypted = ""
        row.publishable_key = ""
    else:
        secret = data["secret_key"]
        row.ref = crypto.lookup_hash("key:" + secret)
        row.account_encrypted = ""
        row.secret_key_encrypted = crypto.encrypt(secret)
        row.webhook_secret_encrypted = crypto.encrypt(data["webhook_secret"])
        row.publishable_key = data["publishable_key"]
    row.hint = crypto.hint(secret)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise FieldErrors({"account_id" if data["mode"] == "connect" else "secret_key":
                           "Denne Stripe-kontoen er allerede koblet til en annen tilbyder."}) from None
    record(session, actor, "billing.stripe_connected", row, f"Stripe koblet til ({row.mode}, …{row.hint})")
    return row


def disconnect(session: Session, actor: User) -> None:
    row = connection(session)
    if row is not None:
        record(session, actor, "billing.stripe_disconnected", row, f"Stripe koblet fra (…{row.hint})")
        session.delete(row)


def tenant_credentials(session: Session) -> tuple[gateway.Credentials, str] | None:
    """The bound tenant's Stripe credentials and the account reference, or None when not connected."""
    row = connection(session)
    if row is None:
        return None
    if row.mode == "connect":
        platform = gateway.platform_credentials()
        return gateway.Credentials(api_key=platform.api_key, account=crypto.decrypt(row.account_encrypted),
                                   publishable_key=platform.publishable_key), row.ref
    return gateway.Credentials(api_key=crypto.decrypt(row.secret_key_encrypted), publishable_key=row.publishable_key), row.ref


def tenant_webhook_secret(session: Session) -> str:
    """The bound tenant's own-key webhook signing secret ("" when it has none)."""
    row = connection(session)
    if row is None or row.mode != "own_key":
        return ""
    return crypto.decrypt(row.webhook_secret_encrypted)
