"""least privilege: sealed row-level security scope, policies on every table

Revision ID: 0004
Revises: 0002

The application's scope (one tenant, or platform-level work) is sealed by ``saas_private.enter_scope``
(see ``saas/rls.sql``) instead of resting on ``app.platform``, which any session could SET.  Every
``tenant_isolation`` policy is rewritten to read the sealed scope once per statement; the tables that had
no policy get one: ``tenants`` (a tenant sees its own row), ``outbox_messages`` and ``stripe_events``
(the bound tenant's rows; rows without a tenant only at platform level).
"""
from alembic import op
from sqlalchemy import text

from saas.migrate import create_tenant_policy, install_scope_support

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

NEWLY_PROTECTED = {"tenants": "id", "outbox_messages": "tenant_id", "stripe_events": "tenant_id"}
LEGACY_CONDITION = ("(current_setting('app.platform', true) = 'on' OR "
                    "{column} = NULLIF(current_setting('app.tenant_id', true), '')::integer)")


def _policy_tables(connection) -> list[tuple[str, str]]:
    """(table, tenant column) of every table with a tenant_isolation policy, whichever migration made it."""
    rows = connection.execute(text(
        "SELECT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE p.polname = 'tenant_isolation' AND n.nspname = current_schema() ORDER BY c.relname")).scalars().all()
    return [(name, NEWLY_PROTECTED.get(name, "tenant_id")) for name in rows]


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    install_scope_support(op)
    for table, column in _policy_tables(connection):
        op.execute(f'DROP POLICY tenant_isolation ON "{table}"')
        create_tenant_policy(op, table, column)
    for table, column in NEWLY_PROTECTED.items():
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
        op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
        create_tenant_policy(op, table, column)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    for table in NEWLY_PROTECTED:
        op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    for table, column in _policy_tables(connection):
        condition = LEGACY_CONDITION.format(column=column)
        op.execute(f'DROP POLICY tenant_isolation ON "{table}"')
        op.execute(f'CREATE POLICY tenant_isolation ON "{table}" USING {condition} WITH CHECK {condition}')
    op.execute("DROP SCHEMA saas_private CASCADE")
