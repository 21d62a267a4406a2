"""Certification schemes as data (issue 14): kinds, versions, scopes, requirement catalogues.

A new tenant gets the built-in library (saas.schemes.library) through the tenants' creation hook.
"""
from saas.tenants import hooks as _tenant_hooks


def _seed_new_tenant(session, tenant) -> None:
    from saas.schemes.services import seed_library

    seed_library(session, tenant.id)


if not any(getattr(s, "__name__", "") == "_seed_new_tenant" for s in _tenant_hooks.TENANT_CREATED):
    _tenant_hooks.TENANT_CREATED.append(_seed_new_tenant)
