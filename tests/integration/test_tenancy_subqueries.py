"""Tenant criteria also reach tenant tables that appear only inside a subquery or select_from."""
import pytest
from sqlalchemy import func, select

from saas.clients.models import ClientCompany
from saas.tenancy import TenantNotBound, bind_tenant


def test_a_count_over_a_subquery_counts_only_the_bound_tenants_rows(db, two_tenants):
    bind_tenant(db, two_tenants["a"]["tenant"].id)
    inner = select(ClientCompany).where(ClientCompany.archived_at.is_(None)).subquery()
    assert db.scalar(select(func.count()).select_from(inner)) == 2
    assert db.scalar(select(func.count()).select_from(ClientCompany)) == 2


def test_a_subquery_count_with_no_tenant_bound_fails_closed(db, two_tenants):
    bind_tenant(db, None)
    with pytest.raises(TenantNotBound):
        db.scalar(select(func.count()).select_from(select(ClientCompany).subquery()))
