"""Extraordinary and follow-up audit cases (issue 14): a case kind of its own, linked to the case and
nonconformity it follows up, or to the complaint whose decision led to it.

Revision ID: 0013
Revises: 0003
Create Date: 2026-12-06 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('initial', 'surveillance', 'recertification', 'change')"
NEW_KINDS = "kind IN ('initial', 'surveillance', 'recertification', 'change', 'extraordinary')"


def upgrade() -> None:
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_cases_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_cases_kind'), NEW_KINDS)
        batch_op.add_column(sa.Column('origin_case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin_finding_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('complaint_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(op.f('fk_audit_cases_origin_case_id_audit_cases'), 'audit_cases',
                                    ['origin_case_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(op.f('fk_audit_cases_origin_finding_id_audit_findings'), 'audit_findings',
                                    ['origin_finding_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(op.f('fk_audit_cases_complaint_id_complaints'), 'complaints',
                                    ['complaint_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index(batch_op.f('ix_audit_cases_origin_case_id'), ['origin_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_cases_complaint_id'), ['complaint_id'], unique=False)
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.alter_column('reason', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_cases_complaint_id'))
        batch_op.drop_index(batch_op.f('ix_audit_cases_origin_case_id'))
        batch_op.drop_constraint(op.f('fk_audit_cases_complaint_id_complaints'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_audit_cases_origin_finding_id_audit_findings'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_audit_cases_origin_case_id_audit_cases'), type_='foreignkey')
        batch_op.drop_column('reason')
        batch_op.drop_column('complaint_id')
        batch_op.drop_column('origin_finding_id')
        batch_op.drop_column('origin_case_id')
        batch_op.drop_constraint(op.f('ck_audit_cases_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_cases_kind'), OLD_KINDS)
