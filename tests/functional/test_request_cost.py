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
from tests.conftest import BACKEND, login


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = app.extensions["saas.db"].engine
    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def _own(seen: list[str]) -> list[str]:
    return [s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO"))]


def test_the_user_its_roles_and_its_tenant_are_read_in_one_statement(client, a, statements):
    login(client, a["consultant"])
    statements.clear()
    assert client.get("/t/tenant-a/companies/").status_code == 200
    reads = [s for s in _own(statements) if " FROM users" in s and "users.session_version" in s]
    assert len(reads) == 1
    assert "JOIN tenants" in reads[0] and "JOIN user_roles" in reads[0]
    assert not [s for s in _own(statements) if s.startswith("SELECT tenants.") and "WHERE tenants.slug" in s]


@pytest.mark.skipif(BACKEND != "postgres", reason="row-level security is PostgreSQL's")
def test_a_tenant_page_seals_its_scope_once_for_the_login_lookup_and_once_for_the_tenant(client, a, statements):
    login(client, a["consultant"])
    statements.clear()
    assert client.get("/t/tenant-a/companies/").status_code == 200
    seals = [s for s in _own(statements) if "saas_private.enter_scope" in s]
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
