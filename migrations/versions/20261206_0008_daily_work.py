"""daily work: rule-date fixes, findings as actions, responsible users, notifications, calendar, search

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import saas.db
from saas.migrate import enable_row_level_security


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

SEARCH_COLUMNS = (('client_companies', 'name'), ('certificates', 'number'), ('action_items', 'title'), ('users', 'name'),
                  ('users', 'email'), ('contact_persons', 'name'), ('contact_persons', 'email'))
NEW_TABLES = ('notifications', 'notification_settings', 'calendar_feeds')


def upgrade() -> None:
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_significant_hazards', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('conclusion_note', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('verified_at', saas.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_action_items_verified_by_users'), 'users', ['verified_by'], ['id'],
                                    ondelete='SET NULL')

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('target_type', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=False),
    sa.Column('created_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_notifications_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at'], unique=False)
        batch_op.create_index('uq_notifications_user_dedupe', ['user_id', 'dedupe_key'], unique=True,
                              sqlite_where=sa.text("dedupe_key <> ''"), postgresql_where=sa.text("dedupe_key <> ''"))

    op.create_table('notification_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('daily_digest', sa.Boolean(), nullable=False),
    sa.Column('last_digest_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_notification_settings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_settings')),
    sa.UniqueConstraint('user_id', name=op.f('uq_notification_settings_user_id'))
    )
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_settings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_calendar_feeds_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_tenant_id'), ['tenant_id'], unique=False)
    for table in ('physical_mappings', 'safety_rounds'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('planned_on', sa.Date(), nullable=True))
    for table in ('physical_mappings', 'psychosocial_mappings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('report_failed_version', sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column('report_error', sa.Text(), nullable=False, server_default=''))

    for table in NEW_TABLES:
        enable_row_level_security(op, table)
    if op.get_bind().dialect.name == "postgresql":
        # Search (saas.search): substring matches on lower(column) served by trigram indexes.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, column in SEARCH_COLUMNS:
            op.execute(f'CREATE INDEX ix_search_{table}_{column} ON "{table}" USING gin (lower({column}) gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in SEARCH_COLUMNS:
            op.execute(f"DROP INDEX IF EXISTS ix_search_{table}_{column}")
    for table in ('physical_mappings', 'safety_rounds'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('planned_on')
    for table in ('physical_mappings', 'psychosocial_mappings'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('report_error')
            batch_op.drop_column('report_failed_version')
    for table in reversed(NEW_TABLES):
        op.drop_table(table)
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_items_verified_by_users'), type_='foreignkey')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verified_by')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_column('conclusion_note')
        batch_op.drop_column('no_significant_hazards')
