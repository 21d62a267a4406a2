"""saas.db.ids_in: ids passed in bulk as one array parameter on PostgreSQL, an IN list on SQLite."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from saas.clients.models import ClientCompany
from saas.db import LONG_ID_LIST, ids_in
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


@pytest.mark.skipif(BACKEND != "postgres", reason="plan_cache_mode is PostgreSQL's")
def test_a_long_id_list_has_its_transaction_planned_with_the_values_and_only_that_transaction(app):
    """Generic plans (kept after psycopg prepares a statement) are the default; a generic plan cannot see
    how long an id array is, so a transaction that passes a long one plans each statement with its values."""
    session = app.extensions["saas.db"].sessionmaker()  # real transactions (the db fixture's commits are savepoints)
    bind_tenant(session, 1)

    def mode():
        return session.execute(text("SHOW plan_cache_mode")).scalar()

    def companies(ids):
        return session.scalars(select(ClientCompany.id).where(ids_in(session, ClientCompany.id, ids))).all()

    try:
        assert mode() == "auto"
        companies(range(LONG_ID_LIST))
        assert mode() == "auto"  # a short list: the statement may keep a generic plan
        assert companies(range(LONG_ID_LIST + 1)) == [] and mode() == "force_custom_plan"
        companies(range(500))
        session.commit()
        assert mode() == "auto"  # SET LOCAL ended with its transaction
        companies(range(500))
        assert mode() == "force_custom_plan"  # and the next transaction asks again
    finally:
        session.rollback()
        session.close()
