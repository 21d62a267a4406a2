"""Billing: certificate invoices to client companies, card payments through Stripe, the platform's
subscriptions of tenants, and the ledger.

Issuing a certificate enqueues exactly one invoice job for it (after the deciding transaction commits;
the job id and a unique constraint make it one invoice however often it runs).
"""
from __future__ import annotations

from saas.certification import hooks as _certificate_hooks


def invoice_new_certificate(session, certificate) -> None:
    """certification hook: enqueue the certificate's invoice for after the commit."""
    from saas.billing.jobs import invoice_certificate
    from saas.jobs import enqueue

    enqueue(session, invoice_certificate, certificate.id, tenant_id=certificate.tenant_id,
            job_id=f"invoice-certificate-{certificate.id}")


if invoice_new_certificate not in _certificate_hooks.SUBSCRIBERS:
    _certificate_hooks.SUBSCRIBERS.append(invoice_new_certificate)
