"""Least privilege on PostgreSQL, attacked as the runtime role with committed data of two tenants: it owns
nothing, cannot switch row-level security off, cannot widen its view by setting any session variable
(``app.platform``, ``app.tenant_id``, a copied seal), and the product refuses to start in production as a
superuser, as a role with BYPASSRLS or as the tables' owner."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from saas.app import create_app
from saas.clients.models import ClientCompany
from saas.db import UnsafeDatabaseRole
from saas.tenancy import bind_tenant, platform_access, tenant_tables
from saas.tenants.models import OutboxMessage
from tests import factories
from tests.conftest import PG_ADMIN_URL, PG_OWNER, PG_ROLE, app_config, create_database, drop_database, owner_url, role_url

pytestmark = pytest.mark.postgres

PROTECTED = ("client_companies", "users", "tenants", "outbox_messages", "stripe_events", "audit_events")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A database of its own with two tenants' rows committed (visible to any connection)."""
    url = create_database(f"saas_least_privilege_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    app = create_app(app_config(url, tmp_path_factory.mktemp("least-privilege")))
    ids = {}
    with app.test_request_context(), app.extensions["saas.db"].session_scope() as session:
        for key in ("a", "b"):
            tenant = factories.make_tenant(session, slug=f"lp-{key}")
            bind_tenant(session, tenant.id)
            factories.make_user(session, tenant, roles=("admin",))
            factories.make_company(session, tenant, name=f"Bedrift {key.upper()} AS")
            session.add(OutboxMessage(to=f"{key}@example.no", subject="Hei", body="Hei", tenant_id=tenant.id))
            ids[key] = tenant.id
        bind_tenant(session, None)
        with platform_access(session):
            session.execute(text("INSERT INTO stripe_events (event_id, type, source, tenant_id, object_type, object_id, "
                                 "livemode, received_at, outcome) VALUES ('evt_lp_1', 'x', 'platform', :t, 'x', 'x', "
                                 "false, now(), '')"), {"t": ids["b"]})
    yield {"app": app, "url": url, **ids}
    app.extensions["saas.db"].engine.dispose()
    drop_database(url)


@pytest.fixture
def raw(world):
    """A plain connection as the runtime role, without the application's proof (a leaked DATABASE_URL)."""
    engine = create_engine(world["url"])
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _counts(connection) -> dict[str, int]:
    return {table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() for table in PROTECTED}


def _refused(connection, statement: str, match: str) -> None:
    with pytest.raises(DBAPIError, match=match):
        with connection.begin_nested():
            connection.execute(text(statement))


def test_the_runtime_role_owns_nothing_and_holds_only_data_grants(raw):
    assert raw.execute(text("SELECT current_user")).scalar() == PG_ROLE
    owned = raw.execute(text("SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
                             "WHERE rolname = current_user)")).scalars().all()
    assert owned == []
    assert raw.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar() is False
    for table in tenant_tables() + ["tenants", "outbox_messages", "stripe_events"]:
        assert raw.execute(text("SELECT has_table_privilege(:t, 'SELECT') AND NOT has_table_privilege(:t, 'TRUNCATE') "
                                "AND NOT has_table_privilege(:t, 'TRIGGER') AND NOT has_table_privilege(:t, 'REFERENCES')"),
                           {"t": table}).scalar(), table
    assert raw.execute(text("SELECT has_sequence_privilege('client_companies_id_seq', 'USAGE')")).scalar()
    assert not raw.execute(text("SELECT has_schema_privilege('public', 'CREATE')")).scalar()
    assert not raw.execute(text("SELECT has_table_privilege('alembic_version', 'SELECT')")).scalar()


def test_the_runtime_role_cannot_switch_row_level_security_off(raw):
    for statement in ('ALTER TABLE client_companies NO FORCE ROW LEVEL SECURITY',
                      'ALTER TABLE client_companies DISABLE ROW LEVEL SECURITY',
                      'ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY',
                      'DROP POLICY tenant_isolation ON client_companies',
                      'ALTER POLICY tenant_isolation ON client_companies USING (true)',
                      'CREATE POLICY open ON client_companies USING (true)'):
        _refused(raw, statement, "must be owner")
    _refused(raw, f"SET ROLE {PG_OWNER}", "permission denied")
    _refused(raw, "SET row_security = off; SELECT count(*) FROM client_companies", "row-level security")


def test_no_session_variable_shows_another_tenants_rows(raw, world):
    nothing = dict.fromkeys(PROTECTED, 0)
    with raw.begin():
        assert _counts(raw) == nothing
    with raw.begin():
        raw.execute(text("SET LOCAL app.platform = 'on'"))
        assert _counts(raw) == nothing
    with raw.begin():
        raw.execute(text("SELECT set_config('app.tenant_id', :t, true), set_config('app.platform', 'on', true)"),
                    {"t": str(world["b"])})
        assert _counts(raw) == nothing
    with raw.begin():
        raw.execute(text("SELECT set_config('app.tenant_id', :t, true), set_config('app.scope_seal', :s, true)"),
                    {"t": str(world["b"]), "s": "0" * 64})
        assert _counts(raw) == nothing


def test_the_seal_cannot_be_made_or_read_without_the_applications_proof(raw, world):
    _refused(raw, f"SELECT saas_private.enter_scope({world['b']}, true, 'guess')", "proof is wrong")
    _refused(raw, "SELECT saas_private.seal('1', 'on')", "permission denied")
    _refused(raw, "SELECT * FROM saas_private.scope_key", "permission denied")
    _refused(raw, "CREATE FUNCTION saas_private.rls_sees_all() RETURNS boolean LANGUAGE sql AS 'SELECT true'",
             "permission denied|already exists")
    _refused(raw, "CREATE OR REPLACE FUNCTION saas_private.rls_sees_all() RETURNS boolean LANGUAGE sql AS 'SELECT true'",
             "must be owner|permission denied")


def test_a_seal_copied_from_the_applications_transaction_is_worthless_elsewhere(world, raw):
    """What an injected statement could read during tenant A's request: the seal of that transaction.  In
    another transaction, or with another tenant named next to it, it opens nothing."""
    session = world["app"].extensions["saas.db"].sessionmaker()
    try:
        bind_tenant(session, world["a"])
        names = session.scalars(select(ClientCompany.name)).all()
        assert names == ["Bedrift A AS"]
        tenant, platform, seal = session.execute(text(
            "SELECT current_setting('app.tenant_id'), current_setting('app.platform'), current_setting('app.scope_seal')")).one()
        # In the same transaction, naming tenant B next to A's seal shows nothing at all.
        session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(world["b"])})
        assert session.execute(text("SELECT count(*) FROM client_companies")).scalar() == 0
        session.execute(text("SET LOCAL app.platform = 'on'"))
        assert session.execute(text("SELECT count(*) FROM tenants")).scalar() == 0
    finally:
        session.close()
    with raw.begin():
        raw.execute(text("SELECT set_config('app.tenant_id', :t, true), set_config('app.platform', :p, true), "
                         "set_config('app.scope_seal', :s, true)"), {"t": tenant, "p": platform, "s": seal})
        assert _counts(raw) == dict.fromkeys(PROTECTED, 0)


def test_the_application_sees_one_tenant_bound_and_everything_only_under_platform_access(world):
    session = world["app"].extensions["saas.db"].sessionmaker()
    try:
        bind_tenant(session, world["a"])
        assert session.execute(text("SELECT tenant_id FROM client_companies")).scalars().all() == [world["a"]]
        assert session.execute(text("SELECT id FROM tenants")).scalars().all() == [world["a"]]
        assert session.execute(text("SELECT count(*) FROM stripe_events")).scalar() == 0  # tenant B's event
        with platform_access(session):
            assert sorted(session.execute(text("SELECT id FROM tenants")).scalars()) == sorted([world["a"], world["b"]])
            assert session.execute(text("SELECT count(*) FROM stripe_events")).scalar() == 1
        bind_tenant(session, None)
        assert session.execute(text("SELECT count(*) FROM client_companies")).scalar() == 0
    finally:
        session.close()


def test_the_owner_role_sees_every_row_for_migrations_and_backups(world):
    engine = create_engine(owner_url(world["url"]))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM client_companies")).scalar() == 2
            owners = set(connection.execute(text(
                "SELECT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND relkind = 'r'")).scalars())
            assert owners == {PG_OWNER}
    finally:
        engine.dispose()


def test_policies_read_the_scope_once_per_statement(raw):
    plan = "\n".join(raw.execute(text("EXPLAIN SELECT * FROM client_companies")).scalars())
    assert plan.count("InitPlan") == 2, plan  # rls_sees_all() and rls_tenant(): once each, not per row
    for table in tenant_tables() + ["tenants", "outbox_messages", "stripe_events"]:
        (condition,) = raw.execute(text(
            "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy WHERE polrelid = CAST(:t AS regclass)"), {"t": table}).one()
        assert "( SELECT saas_private.rls_sees_all()" in condition and "( SELECT saas_private.rls_tenant()" in condition, table


def _production_app(url, tmp_path):
    return create_app(app_config(url, tmp_path, PRODUCTION=True))


def test_the_product_starts_in_production_as_the_runtime_role(world, tmp_path):
    app = _production_app(world["url"], tmp_path)
    app.extensions["saas.db"].engine.dispose()


def test_the_product_refuses_to_start_in_production_as_the_tables_owner(world, tmp_path):
    with pytest.raises(UnsafeDatabaseRole, match=f"role {PG_OWNER} owns .* tables"):
        _production_app(owner_url(world["url"]), tmp_path)


def test_the_product_refuses_to_start_in_production_as_a_superuser(world, tmp_path):
    superuser = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + world["url"].rsplit("/", 1)[1]
    with pytest.raises(UnsafeDatabaseRole, match="is a superuser"):
        _production_app(superuser, tmp_path)


def test_the_product_refuses_to_start_in_production_as_a_role_with_bypassrls(world, tmp_path):
    role = f"saas_test_bypass_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
            connection.execute(text(f"CREATE ROLE {role} LOGIN BYPASSRLS"))
        with pytest.raises(UnsafeDatabaseRole, match="has BYPASSRLS"):
            _production_app(role_url(world["url"], role), tmp_path)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_the_command_line_refuses_with_the_reason_instead_of_a_traceback(world, tmp_path):
    import subprocess
    import sys

    from tests.conftest import SECRET_KEY

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SAAS_ROOT": str(tmp_path), "SECRET_KEY": SECRET_KEY,
           "DATABASE_URL": owner_url(world["url"])}
    result = subprocess.run([sys.executable, "-m", "saas", "daily"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "owns" in result.stderr and "MIGRATION_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def _dump(url: str, role: str) -> str:
    import shutil
    import subprocess

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    result = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", role, "--data-only", "--enable-row-security",
                             "-t", "client_companies", url.rsplit("/", 1)[1]], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_dump_as_the_owner_holds_both_tenants_and_one_as_the_runtime_role_holds_none(world):
    """What backups rely on: they must connect as the owner (MIGRATION_DATABASE_URL)."""
    owner = _dump(world["url"], PG_OWNER)
    assert "Bedrift A AS" in owner and "Bedrift B AS" in owner
    runtime = _dump(world["url"], PG_ROLE)
    assert "Bedrift A AS" not in runtime and "Bedrift B AS" not in runtime


def test_every_table_of_the_product_has_forced_row_level_security_and_a_policy(raw):
    """Not only tenant-owned models: a new table without a policy would be readable by any session of the
    runtime role.  Use enable_row_level_security (tenant column, also nullable) or
    enable_platform_only_security (no tenant column) from saas.migrate in its migration."""
    from saas.db import Base

    rows = raw.execute(text(
        "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) FROM pg_class c "
        "WHERE c.relname = ANY(:names) AND c.relnamespace = 'public'::regnamespace"), {"names": list(Base.metadata.tables)}).all()
    assert {name for name, _, _ in rows} == set(Base.metadata.tables)
    unprotected = sorted(name for name, forced, policies in rows if not forced or policies == 0)
    assert unprotected == []


def test_a_platform_only_table_shows_its_rows_only_under_platform_access(world, raw):
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from saas.migrate import enable_platform_only_security

    owner = create_engine(owner_url(world["url"]))
    try:
        with owner.begin() as connection:
            connection.execute(text("CREATE TABLE lp_platform_probe (id integer PRIMARY KEY)"))
            connection.execute(text("INSERT INTO lp_platform_probe VALUES (1)"))
            enable_platform_only_security(Operations(MigrationContext.configure(connection)), "lp_platform_probe")
            connection.execute(text(f"GRANT SELECT ON lp_platform_probe TO {PG_ROLE}"))
        with raw.begin():
            raw.execute(text("SET LOCAL app.platform = 'on'"))
            assert raw.execute(text("SELECT count(*) FROM lp_platform_probe")).scalar() == 0
        session = world["app"].extensions["saas.db"].sessionmaker()
        try:
            bind_tenant(session, world["a"])
            assert session.execute(text("SELECT count(*) FROM lp_platform_probe")).scalar() == 0
            with platform_access(session):
                assert session.execute(text("SELECT count(*) FROM lp_platform_probe")).scalar() == 1
        finally:
            session.close()
    finally:
        with owner.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS lp_platform_probe"))
        owner.dispose()


def test_saas_db_upgrade_migrates_as_the_owner_and_the_product_then_runs_as_the_runtime_role(tmp_path):
    """The production path end to end: the release step with both URLs, then the product in production."""
    import subprocess
    import sys

    from tests.conftest import SECRET_KEY

    name = f"saas_release_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER {PG_OWNER}'))
    runtime = role_url(PG_ADMIN_URL, PG_ROLE).rsplit("/", 1)[0] + f"/{name}"
    try:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SAAS_ROOT": str(tmp_path), "SECRET_KEY": SECRET_KEY,
               "SAAS_ENV": "production", "DATABASE_URL": runtime, "MIGRATION_DATABASE_URL": owner_url(runtime)}
        result = subprocess.run([sys.executable, "-m", "saas", "db", "upgrade"], env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]

        app = create_app(app_config(runtime, tmp_path, PRODUCTION=True))
        database = app.extensions["saas.db"]
        with app.app_context(), database.session_scope() as session:
            tenant = factories.make_tenant(session, slug="release")
            bind_tenant(session, tenant.id)
            factories.make_company(session, tenant, name="Etter release AS")
        with database.session_scope() as session:
            assert session.execute(text("SELECT count(*) FROM client_companies")).scalar() == 0  # no scope, no rows
            with platform_access(session):
                assert session.execute(text("SELECT name FROM client_companies")).scalars().all() == ["Etter release AS"]
        database.engine.dispose()
        plain = create_engine(runtime)
        with plain.connect() as connection:
            assert connection.execute(text(
                "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )).scalar() == 0
        plain.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_policy_functions_give_the_answers_of_the_seal_in_every_state(world):
    """rls_tenant() and rls_sees_all() check the seal inline (one definer call each, saas/rls.sql): in
    each state an application or an intruder can put a transaction in, they answer as sealed() does."""
    owner = create_engine(owner_url(world["url"]))
    session = world["app"].extensions["saas.db"].sessionmaker()
    probe = text("SELECT saas_private.rls_tenant(), saas_private.rls_sees_all(), saas_private.sealed(), "
                 "pg_has_role(session_user, 'saas_test_owner', 'MEMBER')")
    try:
        # sealed() itself is not the runtime role's to call: the owner lends it for the comparison.
        with owner.begin() as connection:
            connection.execute(text(f"GRANT EXECUTE ON FUNCTION saas_private.sealed() TO {PG_ROLE}"))
        states = []
        bind_tenant(session, world["a"])
        states.append(("tenant A sealed", session.execute(probe).one()))
        session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(world["b"])})
        states.append(("tenant B named beside A's seal", session.execute(probe).one()))
        session.rollback()
        bind_tenant(session, None)
        with platform_access(session):
            states.append(("platform sealed", session.execute(probe).one()))
            session.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(world["a"])})
            states.append(("tenant named beside the platform seal", session.execute(probe).one()))
        session.rollback()
        bind_tenant(session, world["a"])
        session.execute(text("SET LOCAL app.platform = 'on'"))
        states.append(("platform claimed beside a tenant seal", session.execute(probe).one()))
        session.rollback()
        for name, (tenant, sees_all, sealed, owner_member) in states:
            assert not owner_member
            assert sees_all == bool(sealed and name.startswith("platform sealed")), name
            assert tenant == (world["a"] if sealed and name == "tenant A sealed" else None), name
        assert [s[1][2] for s in states] == [True, False, True, False, False]
    finally:
        session.close()
        with owner.begin() as connection:
            connection.execute(text(f"REVOKE EXECUTE ON FUNCTION saas_private.sealed() FROM {PG_ROLE}"))
        owner.dispose()
