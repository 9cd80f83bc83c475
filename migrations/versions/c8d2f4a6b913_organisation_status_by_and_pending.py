"""organisation status: who set it, and a status that takes effect on a later date

Revision ID: c8d2f4a6b913
Revises: b5e9d3c7a214
Create Date: 2026-12-04 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8d2f4a6b913'
down_revision = 'b5e9d3c7a214'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_changed_by_id', sa.Integer(), nullable=True))
        # A plain column and its CHECK by name, so both engines have the same constraint
        # and the downgrade can drop it before the column.
        batch_op.add_column(sa.Column('pending_status', sa.String(length=24), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_organisation_organisation_pending_status'),
            "pending_status IN ('active', 'suspended', 'ended')")
        batch_op.add_column(sa.Column('pending_status_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('pending_status_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_organisation_status_changed_by_id_staff_member'), 'staff_member',
            ['status_changed_by_id'], ['id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_organisation_pending_status_by_id_staff_member'), 'staff_member',
            ['pending_status_by_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_organisation_pending_status_at'),
                              ['pending_status_at'], unique=False)


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_pending_status_at'))
        batch_op.drop_constraint(
            batch_op.f('fk_organisation_pending_status_by_id_staff_member'), type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('fk_organisation_status_changed_by_id_staff_member'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_organisation_organisation_pending_status'),
                                 type_='check')
        batch_op.drop_column('pending_status_by_id')
        batch_op.drop_column('pending_status_at')
        batch_op.drop_column('pending_status')
        batch_op.drop_column('status_changed_by_id')
