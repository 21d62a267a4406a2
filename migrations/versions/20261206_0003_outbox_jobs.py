"""outbox jobs: every background job recorded with its cause

Revision ID: 0003
Revises: 0010
Create Date: 2026-12-06 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import saas.db
from saas.migrate import enable_row_level_security


revision = "0003"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("job_key", sa.String(length=160), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", saas.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dispatched_at", saas.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("not_before", saas.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", saas.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_outbox_jobs_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_jobs")),
        sa.UniqueConstraint("job_key", name=op.f("uq_outbox_jobs_job_key")),
    )
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_jobs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_jobs_tenant_id"), ["tenant_id"], unique=False)
    # A tenant sees its own jobs; platform-level jobs (no tenant: daily runs, e-mail delivery, Stripe
    # events) are written and read under platform access (saas.outbox._as_owner).
    enable_row_level_security(op, "outbox_jobs")


def downgrade() -> None:
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_jobs_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_jobs_status"))
    op.drop_table("outbox_jobs")
