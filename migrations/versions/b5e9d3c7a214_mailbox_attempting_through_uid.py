"""mailbox state: the batch being attempted, so a pass that dies in it is noticed

Revision ID: b5e9d3c7a214
Revises: a13c5f0e2d91
Create Date: 2026-12-02 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e9d3c7a214'
down_revision = 'a13c5f0e2d91'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('mailbox_state', sa.Column('attempting_through_uid', sa.BigInteger(),
                                             nullable=True))


def downgrade():
    op.drop_column('mailbox_state', 'attempting_through_uid')
