"""saas.db.ids_in: ids passed in bulk as one array parameter on PostgreSQL, an IN list on SQLite."""
from __future__ import annotations

from sqlalchemy import event, select

from saas.clients.models import ClientCompany
from saas.db import ids_in
from saas.tenancy import bind_tenant
from tests import factories
from tests.conftest import BACKEND


def test_ids_in_matches_the_listed_ids_with_one_parameter_on_postgresql(app, db):
    tenant = factories.make_tenant(db)
    bind_tenant(db, tenant.id)
    companies = [factories.make_company(db, tenant) for _ in range(4)]
    wanted = [companies[0].id, companies[2].id, 10**9]
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = app.extensions["saas.db"].engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        found = db.scalars(select(ClientCompany.id).where(ids_in(db, ClientCompany.id, wanted * 200))).all()
        none = db.scalars(select(ClientCompany.id).where(ids_in(db, ClientCompany.id, []))).all()
    finally:
        event.remove(engine, "before_cursor_execute", before)

    assert sorted(found) == sorted(wanted[:2]) and none == []
    statement, parameters = next((s, p) for s, p in seen if "client_companies.id" in s and "FROM client_companies" in s)
    if BACKEND == "postgres":
        assert "= ANY (" in statement and len(parameters) <= 3  # the array and the tenant filter
    else:
        assert " IN (" in statement
