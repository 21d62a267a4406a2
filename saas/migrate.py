"""Alembic, driven from code: the only way the schema is made."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def enable_row_level_security(op, table: str, tenant_column: str = "tenant_id", nullable: bool = False) -> None:
    """The second wall: PostgreSQL RLS, forced even for the table owner.  Every migration that creates a
    tenant-owned table calls this (a test checks every such table has it).

    A row is visible when its tenant is the one bound by the application (``app.tenant_id``), or when
    the application has explicitly entered platform access (``app.platform = on``).
    """
    if op.get_bind().dialect.name != "postgresql":
        return
    condition = (
        f"(current_setting('app.platform', true) = 'on' OR "
        f"{tenant_column} = NULLIF(current_setting('app.tenant_id', true), '')::integer)"
    )
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'CREATE POLICY tenant_isolation ON "{table}" USING {condition} WITH CHECK {condition}')
