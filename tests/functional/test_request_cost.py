"""What every request pays before its own work: the user, its roles and its tenant in one statement, the
row-level security scope sealed once per transaction and again only when it changes, and an API read that
stays a read (the token's last use is written at most every five minutes)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from saas.auth import TOKEN_USE_RESOLUTION, create_api_token
from saas.tenancy import bind_tenant, platform_access
from saas.tenants.models import ApiToken
from tests.conftest import BACKEND, login, own_statements


def test_the_user_its_roles_and_its_tenant_are_read_in_one_statement(client, a, statements):
    login(client, a["consultant"])
    statements.clear()
    assert client.get("/t/tenant-a/companies/").status_code == 200
    reads = [s for s in own_statements(statements) if " FROM users" in s and "users.session_version" in s]
    assert len(reads) == 1
    assert "JOIN tenants" in reads[0] and "JOIN user_roles" in reads[0]
    assert not [s for s in own_statements(statements) if s.startswith("SELECT tenants.") and "WHERE tenants.slug" in s]


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_a_tenant_page_seals_its_scope_once_for_the_login_lookup_and_once_for_the_tenant(client, a, statements):
    login(client, a["consultant"])
    statements.clear()
    assert client.get("/t/tenant-a/companies/").status_code == 200
    seals = [s for s in own_statements(statements) if "saas_private.enter_scope" in s]
    assert len(seals) == 2


def test_an_api_read_writes_the_tokens_last_use_at_most_every_five_minutes(client, db, a, clock):
    _, token = create_api_token(db, a["consultant"], "måling")
    bind_tenant(db, None)
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}

    def last_used():
        db.expire_all()
        with platform_access(db):
            return db.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "måling"))

    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    clock.travel(first + TOKEN_USE_RESOLUTION - timedelta(seconds=30))
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    assert last_used() == first
    clock.travel(first + TOKEN_USE_RESOLUTION + timedelta(seconds=1))
    assert client.get("/api/v1/t/tenant-a/companies", headers=headers).status_code == 200
    assert last_used() > first


def test_the_menu_counts_ride_on_the_user_lookup_and_the_queue_is_read_only_for_reviewers(client, db, a, statements):
    from saas.certification import queue
    from saas.notifications.services import notify, unread_count

    notify(db, [a["reviewer"].id, a["consultant"].id], "test", "Noe skjedde")
    db.commit()
    pending = queue.pending_count(db)
    login(client, a["reviewer"])
    statements.clear()
    html = client.get("/t/tenant-a/companies/").get_data(as_text=True)
    # The unread count is read with the signed-in user (the session lookup), the queue's in one statement.
    counts = [s for s in own_statements(statements) if "FROM notifications" in s]
    assert len(counts) == 1 and "user_sessions.token_hash" in counts[0], counts
    queue_reads = [s for s in own_statements(statements) if "FROM certification_proposals" in s]
    assert len(queue_reads) == 1 and "FROM notifications" not in queue_reads[0]
    assert 'aria-label="1 uleste"' in html
    assert (f'aria-label="{pending} venter"' in html) == bool(pending)

    # A consultant's menu shows no decision queue: no statement of its own at all.
    client.post("/logout")
    login(client, a["consultant"])
    unread = unread_count(db, a["consultant"].id)
    statements.clear()
    html = client.get("/t/tenant-a/companies/").get_data(as_text=True)
    assert f'<span class="label">Varsler</span> <span class="count" aria-label="{unread} uleste"' in html, \
        html[html.find("notifications-link"):][:300]
    counts = [s for s in own_statements(statements) if "FROM notifications" in s]
    assert len(counts) == 1 and "user_sessions.token_hash" in counts[0] and "certification_proposals" not in counts[0]

    # Each page reads it afresh: a new notification is counted on the next page.
    notify(db, [a["consultant"].id], "test", "Enda en ting")
    db.commit()
    html = client.get("/t/tenant-a/companies/").get_data(as_text=True)
    assert f'aria-label="{unread + 1} uleste"' in html


def test_the_client_list_reads_its_page_and_total_in_one_statement(client, db, a, statements):
    from saas.clients.services import PAGE_SIZE
    from tests import factories

    for n in range(PAGE_SIZE + 3):
        factories.make_company(db, a["tenant"], name=f"Listebedrift {n:03d} AS", consultant_id=a["consultant"].id)
    db.commit()
    login(client, a["consultant"])
    statements.clear()
    html = client.get("/t/tenant-a/companies/?q=listebedrift").get_data(as_text=True)
    reads = [s for s in own_statements(statements) if "FROM client_companies" in s]
    assert len(reads) == 1, reads
    assert f"({PAGE_SIZE + 3})" in html and "Listebedrift 000 AS" in html and "Listebedrift 025 AS" not in html
    statements.clear()
    html = client.get("/t/tenant-a/companies/?q=listebedrift&page=2").get_data(as_text=True)
    assert len([s for s in own_statements(statements) if "FROM client_companies" in s]) == 1
    assert "Listebedrift 025 AS" in html and "Listebedrift 027 AS" in html
    # Past the last page no row carries the total: it is counted on its own.
    statements.clear()
    html = client.get("/t/tenant-a/companies/?q=listebedrift&page=9").get_data(as_text=True)
    assert len([s for s in own_statements(statements) if "FROM client_companies" in s]) == 2
    assert f"({PAGE_SIZE + 3})" in html


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite connections are files, never pinged")
def test_a_pooled_connection_is_pinged_only_after_lying_idle_and_replaced_when_dead(database_url, monkeypatch):
    from saas.db import make_engine

    engine = make_engine(database_url, ping_after_idle=0.5)
    pings = []

    def ping(dbapi_connection):
        pings.append(dbapi_connection)
        if len(pings) == 2:
            raise OSError("server closed the connection unexpectedly")
        return True

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    try:
        for _ in range(3):  # handed on at once: no ping
            with engine.connect() as connection:
                first = connection.connection.dbapi_connection
                assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        assert pings == []
        import time

        time.sleep(0.6)
        with engine.connect() as connection:  # idle long enough: pinged, alive
            assert connection.connection.dbapi_connection is first
        time.sleep(0.6)
        with engine.connect() as connection:  # pinged, dead: replaced by a new connection before use
            assert connection.connection.dbapi_connection is not first
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        assert len(pings) == 2
    finally:
        engine.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_a_savepoint_keeps_the_transactions_seal_and_the_scope_stays_right_around_it(app, statements):
    from sqlalchemy import text

    session = app.extensions["saas.db"].sessionmaker()
    tenant = text("SELECT saas_private.rls_tenant()")
    sees_all = text("SELECT saas_private.rls_sees_all()")

    def seals() -> int:
        return len([s for s in statements if "saas_private.enter_scope" in s])

    try:
        bind_tenant(session, 424242)
        assert session.execute(tenant).scalar() == 424242 and seals() == 1
        with session.begin_nested():  # a survey submit's INSERT runs in one
            assert session.execute(tenant).scalar() == 424242
        assert seals() == 1
        savepoint = session.begin_nested()
        with platform_access(session):
            assert session.execute(sees_all).scalar() is True
        savepoint.rollback()  # the platform seal made inside it is undone with it
        assert session.execute(tenant).scalar() == 424242 and session.execute(sees_all).scalar() is False
    finally:
        session.rollback()
        session.close()


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_a_signed_in_visitor_of_the_public_register_is_read_with_its_tenant_under_one_platform_seal(client, a, statements):
    login(client, a["consultant"])
    statements.clear()
    assert client.get("/t/tenant-a/register").status_code == 200
    own = own_statements(statements)
    assert len([s for s in own if "saas_private.enter_scope" in s]) == 2  # the user (with its tenant), then the tenant
    assert not [s for s in own if s.startswith("SELECT tenants.") and "WHERE tenants.slug" in s]
    # Another provider's register still finds its own tenant.
    statements.clear()
    assert client.get("/t/tenant-b/register").status_code == 200
    assert [s for s in own_statements(statements) if s.startswith("SELECT tenants.") and "WHERE tenants.slug" in s]


@pytest.mark.skipif(BACKEND != "postgres", reason="the deferred BEGIN is PostgreSQL's")
def test_a_transaction_sends_its_begin_with_the_scope_seal_and_stays_a_transaction(app):
    """BEGIN travels with the seal in one round trip; a connection whose first statement is anything else
    still gets its own BEGIN, so a rollback undoes what it wrote."""
    from sqlalchemy import text

    from saas.tenancy import platform_access
    from saas.tenants.models import Tenant

    database = app.extensions["saas.db"]
    sent: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split()))

    engine = database.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        session = database.sessionmaker()
        try:
            with platform_access(session):
                session.scalar(select(Tenant.id).limit(1))
            assert sent[0].startswith("BEGIN; SELECT saas_private.enter_scope(NULL, true, ")
            dbapi = session.connection().connection.dbapi_connection
            assert dbapi.info.transaction_status != 0  # in a transaction on the server
        finally:
            session.rollback()
            session.close()
        with engine.connect() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE deferred_begin (n integer) ON COMMIT PRESERVE ROWS"))
            connection.commit()
            connection.execute(text("INSERT INTO deferred_begin VALUES (1)"))
            connection.rollback()
            assert connection.execute(text("SELECT count(*) FROM deferred_begin")).scalar() == 0
            connection.execute(text("INSERT INTO deferred_begin VALUES (2)"))
            connection.commit()
            assert connection.execute(text("SELECT count(*) FROM deferred_begin")).scalar() == 1
            connection.execute(text("DROP TABLE deferred_begin"))
            connection.commit()
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_an_api_request_reads_its_token_user_roles_and_tenant_in_one_statement(client, db, a, statements):
    _, token = create_api_token(db, a["consultant"], "én spørring")
    bind_tenant(db, None)
    db.commit()
    statements.clear()
    assert client.get("/api/v1/t/tenant-a/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    reads = [s for s in own_statements(statements) if "FROM api_tokens" in s or "JOIN api_tokens" in s]
    assert len(reads) == 1 and " FROM users" in reads[0] and "JOIN tenants" in reads[0]
    # A revoked token is refused by the same statement.
    with platform_access(db):
        db.execute(ApiToken.__table__.update().where(ApiToken.name == "én spørring").values(revoked_at=db.scalar(select(ApiToken.created_at).where(ApiToken.name == "én spørring"))))
    db.commit()
    assert client.get("/api/v1/t/tenant-a/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 401
