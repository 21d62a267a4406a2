"""Billing: settings and a price, the invoice counter, an invoice of the certificate with its line and a
payment, a credit note, the Stripe connection and customer, and the tenant's subscription."""
from datetime import date

from saas.billing.models import (BillingSettings, Invoice, InvoiceCounter, InvoiceLine, Payment, Price, StripeConnection,
                                 StripeCustomer, TenantSubscription)


def _invoice(base, number, **fields):
    key, company = base["key"].upper(), base["company"]
    return Invoice(number=number, company_id=company.id, issue_date=date(2026, 6, 1), due_date=date(2026, 6, 15),
                   kid=f"00000000{number}{'0' if number == 2 else '8'}"[-10:],
                   seller={"name": f"Tilbyder {key} AS", "org_number": base["tenant"].org_number, "vat_registered": True,
                           "org_form": "AS", "bank_account": "15031234562", "invoice_text": f"Fakturatekst {key} Hemmelig"},
                   buyer={"name": company.name, "org_number": company.org_number}, note=f"Merknad {key} Hemmelig",
                   vat_groups=[{"rate": 2500, "basis": 490000, "vat": 122500}], **fields)


def populate(session, base):
    key = base["key"].upper()
    session.add_all([BillingSettings(org_form="AS", bank_account="15031234562", invoice_text=f"Fakturatekst {key} Hemmelig"),
                     Price(cert_class="A", band=0, amount=490000), InvoiceCounter(last_number=2)])
    invoice = _invoice(base, 1, certificate_id=base["certificate"].id, net_total=490000, vat_total=122500, gross_total=612500,
                       state="credited", paid_amount=612500)
    session.add(invoice)
    session.flush()
    credit = _invoice(base, 2, credits_invoice_id=invoice.id, net_total=-490000, vat_total=-122500, gross_total=-612500)
    credit.vat_groups = [{"rate": 2500, "basis": -490000, "vat": -122500}]
    session.add(credit)
    session.flush()
    for target, amount in ((invoice, 490000), (credit, -490000)):
        session.add(InvoiceLine(invoice_id=target.id, position=1, description=f"HMS-sertifikat klasse A {key} Hemmelig",
                                period_from=date(2026, 6, 1), period_to=date(2027, 5, 31), quantity=100, unit_price=amount,
                                vat_code="high", vat_rate=2500, net_amount=amount))
    payment = Payment(invoice_id=invoice.id, reference=f"pi_world_{key}", amount=612500)
    session.add_all([payment,
                     StripeConnection(mode="connect", ref=f"world-connection-{key}", account_encrypted="", hint="1234"),
                     StripeCustomer(company_id=base["company"].id, account_ref=f"world-connection-{key}", customer_id=f"cus_world_{key}"),
                     TenantSubscription(customer_id=f"cus_tenant_{key}", subscription_id=f"sub_world_{key}", plan="start",
                                        status="active")])
    session.flush()
    return dict(invoice=invoice, credit_note=credit, payment=payment)
