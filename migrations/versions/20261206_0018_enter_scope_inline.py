"""Row-level security: enter_scope() writes the seal with seal()'s formula inline instead of calling the SQL
function, which was planned again in every transaction (saas/rls.sql); the same seal, some 0.07 ms less.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:35:00
"""
from alembic import op

from saas.migrate import install_scope_support


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    install_scope_support(op)  # CREATE OR REPLACE of enter_scope(), the same seal


def downgrade() -> None:
    # The previous definition wrote the same seal, only slower: nothing to undo.
    pass
