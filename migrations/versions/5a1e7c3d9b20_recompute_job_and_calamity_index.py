"""recompute job and calamity index

Revision ID: 5a1e7c3d9b20
Revises: 7c1e5a9d2b40
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1e7c3d9b20'
down_revision = '7c1e5a9d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recompute_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('up_to_ticket_id', sa.Integer(), nullable=False),
    sa.Column('last_ticket_id', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_member.id'], name=op.f('fk_recompute_job_requested_by_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recompute_job'))
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_category_status', ['category', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_category_status')
    op.drop_table('recompute_job')
