"""erasure: certificates, files still to delete, erased contacts and organisations

Revision ID: e7a3c1f9b5d2
Revises: 1a3d50255aa8
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a3c1f9b5d2'
down_revision = 'b7e1c9d4a2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasure_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('pseudonym', sa.String(length=40), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('instructed_by', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_certificate')),
    sa.UniqueConstraint('pseudonym', name=op.f('uq_erasure_certificate_pseudonym'))
    )
    op.create_table('erasure_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['erasure_certificate.id'], name=op.f('fk_erasure_file_certificate_id_erasure_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_file'))
    )
    op.create_index(op.f('ix_erasure_file_certificate_id'), 'erasure_file', ['certificate_id'], unique=False)
    op.create_index(op.f('ix_erasure_file_deleted_at'), 'erasure_file', ['deleted_at'], unique=False)
    # Plain ADD COLUMN (no batch copy) on both databases: the columns are nullable.
    op.add_column('contact', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('organisation', sa.Column('retention_notice_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('organisation', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('retention_notice_at')
    with op.batch_alter_table('contact') as batch_op:
        batch_op.drop_column('erased_at')
    op.drop_index(op.f('ix_erasure_file_deleted_at'), table_name='erasure_file')
    op.drop_index(op.f('ix_erasure_file_certificate_id'), table_name='erasure_file')
    op.drop_table('erasure_file')
    op.drop_table('erasure_certificate')
