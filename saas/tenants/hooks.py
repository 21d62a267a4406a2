"""What other features hear about tenants.

``tenant_created(session, tenant)`` runs inside ``create_tenant``'s transaction, under platform access
(no tenant is bound yet: a subscriber stamps its rows with ``tenant.id``).  The scheme library
subscribes to seed the built-in schemes:

    from saas.tenants import hooks
    hooks.TENANT_CREATED.append(seed)   # seed(session, tenant) -> None
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

TENANT_CREATED: list[Callable[[Session, object], None]] = []


def tenant_created(session: Session, tenant) -> None:
    for subscriber in list(TENANT_CREATED):
        subscriber(session, tenant)
