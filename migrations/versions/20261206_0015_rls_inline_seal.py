"""Row-level security: the policies' functions check the seal inline, one security-definer call each
instead of three nested ones (saas/rls.sql; issue 16).

Revision ID: 0015
Revises: 0003
Create Date: 2026-12-06 05:20:00
"""
from alembic import op

from saas.migrate import install_scope_support


revision = '0015'
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_scope_support(op)  # CREATE OR REPLACE of rls_tenant() and rls_sees_all(), same results


def downgrade() -> None:
    # The previous definitions gave the same answers, only slower: nothing to undo.
    pass
