"""outbox claim lease, loop brake index by sent_at

Revision ID: 7c1e5a9d2b40
Revises: 39503ff7e644
Create Date: 2026-11-30 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e5a9d2b40'
down_revision = '39503ff7e644'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_outbox_message_to_address_created_at')
        batch_op.create_index('ix_outbox_message_to_address_sent_at', ['to_address', 'sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_to_address_sent_at')
        batch_op.create_index('ix_outbox_message_to_address_created_at', ['to_address', 'created_at'], unique=False)
        batch_op.drop_column('claimed_until')
