"""export requests: a super-user's export, built by the worker and fetched once

Revision ID: e4b7c2a91d05
Revises: 1a3d50255aa8
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b7c2a91d05'
down_revision = 'b7e1a9c4d2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('build_attempts', sa.Integer(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_export_request_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['contact.id'], name=op.f('fk_export_request_requested_by_id_contact')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_request')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_export_request_token_hash'))
    )
    with op.batch_alter_table('export_request', schema=None) as batch_op:
        batch_op.create_index('ix_export_request_built_at', ['built_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_request_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_request_organisation_id'))
        batch_op.drop_index('ix_export_request_built_at')
    op.drop_table('export_request')
