"""daily work: rule-date fixes, findings as actions, responsible users, notifications, calendar, search

Revision ID: 0008
Revises: 0002
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import saas.db
from saas.migrate import enable_row_level_security


revision = '0008'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_significant_hazards', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('conclusion_note', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', saas.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_action_items_verified_by_users'), 'users', ['verified_by'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_items_verified_by_users'), type_='foreignkey')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_by')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_column('conclusion_note')
        batch_op.drop_column('no_significant_hazards')
