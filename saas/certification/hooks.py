"""What other features hear about certificates.

``certificate_issued(session, certificate)`` runs right after a certificate is created, inside the
deciding transaction (a subscriber's rows commit or roll back with the certificate).  Billing
subscribes to charge for it:

    from saas.certification import hooks
    hooks.SUBSCRIBERS.append(charge_certificate)   # charge_certificate(session, certificate) -> None

A subscriber must not commit, and whatever it raises aborts the decision: nothing is issued.  It should
use only ``certificate``'s columns (id, company_id, year, cert_class, number, issued_on, valid_until).
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

SUBSCRIBERS: list[Callable[[Session, object], None]] = []


def certificate_issued(session: Session, certificate) -> None:
    """Tell every subscriber, in the order they subscribed."""
    for subscriber in list(SUBSCRIBERS):
        subscriber(session, certificate)
