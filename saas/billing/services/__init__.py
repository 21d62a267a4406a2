"""Billing services: the price list and settings, invoices and credit notes, payments, the platform's
subscriptions and the ledger.

Services raise ``FieldErrors`` (bad input, 422), ``NotFound`` (404) and ``Refused`` (not allowed in the
invoice's or the tenant's state, 422), with bokmål messages for the person who tried.
"""
from __future__ import annotations

from saas.clients.services import NotFound  # noqa: F401  (one NotFound for every feature's views)


class Refused(Exception):
    """The action is not allowed now; ``str(error)`` says why."""
