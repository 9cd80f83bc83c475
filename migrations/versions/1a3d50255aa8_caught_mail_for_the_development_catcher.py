"""caught mail for the development catcher

Revision ID: 1a3d50255aa8
Revises: c8f2a6d4e913
Create Date: 2026-12-05 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1a3d50255aa8'
down_revision = 'c8f2a6d4e913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('caught_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caught_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('envelope_from', sa.String(length=254), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_caught_mail_outbox_message_id_outbox_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caught_mail'))
    )


def downgrade():
    op.drop_table('caught_mail')
