"""Alembic, driven from code: the only way the schema is made.

Migrations run as the OWNER role (``MIGRATION_DATABASE_URL``); the application runs as a RUNTIME role
(``DATABASE_URL``) that owns nothing and holds only the grants made here after every upgrade.  See
``saas/rls.sql`` and the README's production section for the roles and for how row-level security tells
the application's scope (one tenant, or platform-level work) from a setting anyone could ``SET``.
"""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import make_url

from saas.resources import resource_path


def alembic_config(url: str) -> Config:
    config = Config(str(resource_path("alembic.ini")))
    config.set_main_option("script_location", str(resource_path("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def analyze(url: str) -> bool:
    """``ANALYZE`` every table, as the role of ``url`` (the owner's: PostgreSQL skips, with only a warning,
    the tables a role that does not own them names, so the runtime role's ANALYZE gathers nothing).  After
    a bulk import or the demo the planner otherwise has no statistics until autovacuum's auto-analyze comes
    round (row estimates of 1 and nested loops over every row: the consultant home at 2,000 companies took
    0.45 s instead of 0.04 s).  Returns False on SQLite (nothing to do)."""
    if not url.startswith("postgresql"):
        return False
    from sqlalchemy import pool

    from saas.db import make_engine

    engine = make_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return True


def upgrade(url: str, revision: str = "head", *, runtime_url: str | None = None, scope_proof: str | None = None) -> None:
    """Migrate the database at ``url`` (the owner's) to ``revision``.

    On PostgreSQL, then: store the hash of ``scope_proof`` (the application's proof, see
    ``saas.db.scope_proof``) and grant the role of ``runtime_url`` exactly what the application needs,
    now and for tables later migrations create (default privileges).  Both steps are idempotent.
    """
    command.upgrade(alembic_config(url), revision)
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import pool

    from saas.db import make_engine

    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            if scope_proof and _has_scope_support(connection):
                connection.execute(
                    text("UPDATE saas_private.scope_key SET proof_hash = encode(sha256(convert_to(:proof, 'UTF8')), 'hex')"),
                    {"proof": scope_proof},
                )
            runtime_role = make_url(runtime_url).username if runtime_url else None
            owner = connection.execute(text("SELECT current_user")).scalar()
            if runtime_role and runtime_role != owner:
                grant_runtime_privileges(connection, runtime_role)
    finally:
        engine.dispose()


def _has_scope_support(connection) -> bool:
    return bool(connection.execute(text("SELECT to_regclass('saas_private.scope_key') IS NOT NULL")).scalar())


def grant_runtime_privileges(connection, role: str) -> None:
    """Give the runtime role data access (never ownership, DDL or TRUNCATE) to the application's tables.

    ``ALTER DEFAULT PRIVILEGES`` covers tables and sequences the owner creates later, so a migration
    that adds a table does not need to remember the grant.  The audit log is append-only for the
    runtime role: it may read and insert, never update or delete.
    """
    quoted = connection.execute(text("SELECT quote_ident(:r)"), {"r": role}).scalar()
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]
    revocations = {
        "audit_events": f"REVOKE UPDATE, DELETE ON TABLE audit_events FROM {quoted}",
        # alembic's bookkeeping is the owner's business only
        "alembic_version": f"REVOKE ALL ON TABLE alembic_version FROM {quoted}",
    }
    for table, statement in revocations.items():
        if connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": table}).scalar():
            statements.append(statement)
    for statement in statements:
        connection.execute(text(statement))


# -- row-level security ---------------------------------------------------------------------------

def install_scope_support(op) -> None:
    """Create (idempotently) the ``saas_private`` schema that row-level security policies call into.

    Called by ``enable_row_level_security`` and by migration 0004, so policies made by any migration, in
    any order, find the functions they name.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    from importlib import resources

    op.execute(resources.files("saas").joinpath("rls.sql").read_text(encoding="utf-8"))


def tenant_condition(tenant_column: str = "tenant_id") -> str:
    """The policy condition: every row for the owner role or a sealed platform scope, else only the rows
    of the sealed tenant.  Each function runs once per statement (a scalar subquery is an initplan),
    not once per row."""
    return (f"((SELECT saas_private.rls_sees_all()) OR "
            f"{tenant_column} = (SELECT saas_private.rls_tenant()))")


def create_tenant_policy(op, table: str, tenant_column: str = "tenant_id") -> None:
    condition = tenant_condition(tenant_column)
    op.execute(f'CREATE POLICY tenant_isolation ON "{table}" USING {condition} WITH CHECK {condition}')


def enable_platform_only_security(op, table: str) -> None:
    """Row-level security for a platform-level table with no tenant column (e.g. a job registry): its rows
    are visible only under ``platform_access`` and to the owner role.  A table with a nullable
    ``tenant_id`` uses ``enable_row_level_security`` instead (a tenant then sees its own rows)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    install_scope_support(op)
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    condition = "((SELECT saas_private.rls_sees_all()))"
    op.execute(f'CREATE POLICY platform_only ON "{table}" USING {condition} WITH CHECK {condition}')


def enable_row_level_security(op, table: str, tenant_column: str = "tenant_id", nullable: bool = False) -> None:
    """The second wall: PostgreSQL RLS, forced even for the table owner.  Every migration that creates a
    tenant-owned table calls this (a test checks every such table has it).

    A row is visible when its tenant is the one the application sealed for this transaction
    (``saas_private.enter_scope``), when the application sealed platform-level access, or to the owner
    role (migrations, backups).  A bare ``SET app.tenant_id`` / ``SET app.platform`` changes nothing.
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    install_scope_support(op)
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    create_tenant_policy(op, table, tenant_column)
