"""outbox jobs: every background job recorded with its cause

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 02:00:00
"""
from alembic import op
import sqlalchemy as sa
import saas.db


revision = "0003"
down_revision = "0002"
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
    if op.get_bind().dialect.name == "postgresql":
        # Tenant rows as everywhere else; platform-level jobs (no tenant: daily runs, e-mail delivery,
        # Stripe events) are written by whichever session causes them and carry no tenant data.
        condition = ("(current_setting('app.platform', true) = 'on' OR tenant_id IS NULL OR "
                     "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::integer)")
        op.execute('ALTER TABLE "outbox_jobs" ENABLE ROW LEVEL SECURITY')
        op.execute('ALTER TABLE "outbox_jobs" FORCE ROW LEVEL SECURITY')
        op.execute(f'CREATE POLICY tenant_isolation ON "outbox_jobs" USING {condition} WITH CHECK {condition}')


def downgrade() -> None:
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_jobs_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_jobs_status"))
    op.drop_table("outbox_jobs")
