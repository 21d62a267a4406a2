"""Row-level security: the policies' two functions in PL/pgSQL, which keeps their plan for the session
(a SQL definer function is planned again in every statement: 0.05 ms a call, now 0.002-0.008 ms).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:50:00
"""
from alembic import op

from saas.migrate import install_scope_support


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_scope_support(op)  # CREATE OR REPLACE of rls_tenant() and rls_sees_all(), same answers


def downgrade() -> None:
    # The SQL definitions gave the same answers, only slower: nothing to undo.
    pass
