"""teams and temporary access grants

Revision ID: e7a1c4d9b2f6
Revises: 1a3d50255aa8
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c4d9b2f6'
down_revision = 'e7a3c1f9b5d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('team_member',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_team_member_staff_id_staff_member')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_member_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'staff_id', name=op.f('pk_team_member'))
    )
    op.create_index(op.f('ix_team_member_staff_id'), 'team_member', ['staff_id'], unique=False)
    op.create_table('team_organisation',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_team_organisation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_organisation_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'organisation_id', name=op.f('pk_team_organisation'))
    )
    op.create_index(op.f('ix_team_organisation_organisation_id'), 'team_organisation', ['organisation_id'], unique=False)
    op.create_table('access_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['staff_member.id'], name=op.f('fk_access_grant_granted_by_id_staff_member')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_access_grant_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_member.id'], name=op.f('fk_access_grant_revoked_by_id_staff_member')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_access_grant_staff_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grant'))
    )
    op.create_index(op.f('ix_access_grant_organisation_id'), 'access_grant', ['organisation_id'], unique=False)
    op.create_index('ix_access_grant_staff_expires', 'access_grant', ['staff_id', 'expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_access_grant_staff_expires', table_name='access_grant')
    op.drop_index(op.f('ix_access_grant_organisation_id'), table_name='access_grant')
    op.drop_table('access_grant')
    op.drop_index(op.f('ix_team_organisation_organisation_id'), table_name='team_organisation')
    op.drop_table('team_organisation')
    op.drop_index(op.f('ix_team_member_staff_id'), table_name='team_member')
    op.drop_table('team_member')
    op.drop_table('team')
