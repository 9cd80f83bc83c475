"""link requests answered by the worker

Revision ID: a13d4e5f6b70
Revises: c5e1a9d3f7b2
Create Date: 2026-12-02 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13d4e5f6b70'
down_revision = 'c5e1a9d3f7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'link_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_link_request')),
    )


def downgrade():
    op.drop_table('link_request')
