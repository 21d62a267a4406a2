"""security: server-side sessions, one-time survey codes bound to groups, open-link surveys marked,
impartial decisions as a rule (the tenant setting is removed)

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-06 02:10:00
"""
import json

from alembic import op
import sqlalchemy as sa
import saas.db
from saas.migrate import enable_platform_only_security


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', saas.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', saas.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)
    enable_platform_only_security(op, 'user_sessions')  # read only under platform_access (the user loader)

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_link', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Surveys made before this revision took answers on their shared link without a code: they stay open
    # links (posters are printed), and their results say so.  (env.py runs migrations with platform access,
    # so PostgreSQL's row-level security lets this reach every tenant's surveys.)
    op.execute(sa.text("UPDATE surveys SET open_link = shared_link"))

    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=8), nullable=False, server_default='email'))
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('batch', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_survey_invitations_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_survey_invitations_group_id_survey_groups'), 'survey_groups',
                                    ['group_id'], ['id'], ondelete='RESTRICT')

    # Impartiality is a rule now (saas.certification.impartiality), not a tenant setting.
    tenants = sa.table('tenants', sa.column('id', sa.Integer), sa.column('settings', sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(tenants.c.id, tenants.c.settings)).all():
        settings = row.settings if isinstance(row.settings, dict) else json.loads(row.settings or "{}")
        if "impartial_decisions" in settings:
            settings.pop("impartial_decisions")
            connection.execute(tenants.update().where(tenants.c.id == row.id).values(settings=settings))


def downgrade() -> None:
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_survey_invitations_group_id_survey_groups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_survey_invitations_group_id'))
        batch_op.drop_column('batch')
        batch_op.drop_column('group_id')
        batch_op.drop_column('kind')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_column('open_link')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
    op.drop_table('user_sessions')
