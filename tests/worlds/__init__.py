"""One of every tenant-owned object for a tenant, for the cross-tenant attack tests.

Each feature adds a module here with ``populate(session, base: dict) -> dict`` that creates at least one
row of each of its tenant-owned models for ``base["tenant"]`` (``base`` holds what earlier modules made:
tenant, admin, consultant, reviewer, client, company, ...) and returns the new objects by name.  The tests
fail for a tenant-owned model that no module creates, so a new model cannot be forgotten.
"""
from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy.orm import Session


def populate_all(session: Session, base: dict) -> dict:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        base.update(module.populate(session, base) or {})
    return base
