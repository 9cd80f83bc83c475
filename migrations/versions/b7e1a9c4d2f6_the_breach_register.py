"""the breach register: breaches and the organisations each one affects

Revision ID: b7e1a9c4d2f6
Revises: 1a3d50255aa8
Create Date: 2026-12-06 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1a9c4d2f6'
down_revision = '1a3d50255aa8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('breach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_to', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('what_happened', sa.Text(), nullable=False),
    sa.Column('data_categories', sa.Text(), nullable=False),
    sa.Column('approximate_subjects', sa.Integer(), nullable=False),
    sa.Column('approximate_records', sa.Integer(), nullable=False),
    sa.Column('likely_consequences', sa.Text(), nullable=False),
    sa.Column('measures_taken', sa.Text(), nullable=False),
    sa.Column('contact_point', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('open', 'closed', name='breach_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('informed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_member.id'], name=op.f('fk_breach_recorded_by_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breach'))
    )
    with op.batch_alter_table('breach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breach_recorded_at'), ['recorded_at'], unique=False)

    op.create_table('breach_organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('informed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], name=op.f('fk_breach_organisation_breach_id_breach')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_breach_organisation_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breach_organisation')),
    sa.UniqueConstraint('breach_id', 'organisation_id', name=op.f('uq_breach_organisation_breach_id'))
    )
    with op.batch_alter_table('breach_organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_breach_organisation_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('breach_organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breach_organisation_organisation_id'))

    op.drop_table('breach_organisation')
    with op.batch_alter_table('breach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_breach_recorded_at'))

    op.drop_table('breach')
