"""Person certification follow-ups (issue 15): card withdrawal and replacement, structured individual
training plans, submissions from a training company to a register keeper.

Revision ID: 0014
Revises: 0003
Create Date: 2026-12-06 05:10:00
"""
from alembic import op
import sqlalchemy as sa
import saas.db
from saas.migrate import enable_row_level_security


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person_cards') as batch:
        batch.add_column(sa.Column('withdrawn_at', saas.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('withdrawn_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('withdrawal_reason', sa.String(length=12), nullable=False, server_default=''))
        batch.add_column(sa.Column('withdrawal_note', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_person_cards_withdrawn_by_users'), 'users', ['withdrawn_by'], ['id'],
                                 ondelete='RESTRICT')
        batch.create_foreign_key(op.f('fk_person_cards_replaced_by_id_person_cards'), 'person_cards',
                                 ['replaced_by_id'], ['id'], ondelete='SET NULL')
    op.create_table('person_training_plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('holding_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('completed_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['holding_id'], ['person_holdings.id'], name=op.f('fk_person_training_plan_items_holding_id_person_holdings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_person_training_plan_items_completed_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_person_training_plan_items_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_training_plan_items'))
    )
    op.create_index(op.f('ix_person_training_plan_items_holding_id'), 'person_training_plan_items', ['holding_id'], unique=False)
    op.create_index(op.f('ix_person_training_plan_items_tenant_id'), 'person_training_plan_items', ['tenant_id'], unique=False)
    op.create_table('person_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('training_company', sa.String(length=200), nullable=False),
    sa.Column('register_keeper', sa.String(length=200), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('submitted_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_person_submissions_decided_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_person_submissions_created_by_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_person_submissions_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_submissions')),
    sa.UniqueConstraint('tenant_id', 'reference', 'direction', name=op.f('uq_person_submissions_tenant_id_reference_direction'))
    )
    op.create_index(op.f('ix_person_submissions_tenant_id'), 'person_submissions', ['tenant_id'], unique=False)
    for table in ('person_training_plan_items', 'person_submissions'):
        enable_row_level_security(op, table)


def downgrade() -> None:
    op.drop_index(op.f('ix_person_submissions_tenant_id'), table_name='person_submissions')
    op.drop_table('person_submissions')
    op.drop_index(op.f('ix_person_training_plan_items_tenant_id'), table_name='person_training_plan_items')
    op.drop_index(op.f('ix_person_training_plan_items_holding_id'), table_name='person_training_plan_items')
    op.drop_table('person_training_plan_items')
    with op.batch_alter_table('person_cards') as batch:
        batch.drop_constraint(op.f('fk_person_cards_replaced_by_id_person_cards'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_person_cards_withdrawn_by_users'), type_='foreignkey')
        for column in ('replaced_by_id', 'withdrawal_note', 'withdrawal_reason', 'withdrawn_by', 'withdrawn_at'):
            batch.drop_column(column)
