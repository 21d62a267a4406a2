"""outbox jobs: marking a job done is a heap-only update (no index on status, room on every page)

A job's row is written once with its cause and updated once when the work is done.  The index on
``status`` made that update write a new entry in every index of the table; without it (and with a
fillfactor that leaves room on each page) PostgreSQL updates the row in place (HOT).  The sweeper and
the job pages read ``status`` from rows found by tenant or by a scan of a table that keeps 30 days of jobs.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:30:00
"""
from alembic import op


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_jobs_status"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_jobs SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox_jobs RESET (fillfactor)")
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_jobs_status"), ["status"], unique=False)
