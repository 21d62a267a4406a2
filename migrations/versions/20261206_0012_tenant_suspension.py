"""tenant suspension: the platform operator can close a tenant's logins and API with a reason

Revision ID: 0012
Revises: 0003
Create Date: 2026-12-06 05:00:00
"""
from alembic import op
import sqlalchemy as sa
import saas.db


revision = "0012"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", saas.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("suspended_at")
