"""statistics indexes

Covering indexes so the manager statistics read a period's tickets and response records
from the index alone (by created_at, resolved_at and received_at), join a response to its
ticket's organisation and assignee without reading the ticket row, and find the calamities of a
period directly.

Revision ID: d3a8f61c2b57
Revises: b7d4e2a91c3f
Create Date: 2026-11-28 01:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd3a8f61c2b57'
down_revision = 'b7d4e2a91c3f'
branch_labels = None
depends_on = None

TICKET_DIMENSIONS = ['category', 'channel', 'organisation_id', 'assignee_id']


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_created_at_dimensions',
                              ['created_at', *TICKET_DIMENSIONS], unique=False)
        batch_op.create_index('ix_ticket_resolved_at_dimensions',
                              ['resolved_at', *TICKET_DIMENSIONS], unique=False)
        batch_op.create_index('ix_ticket_category_created_at', ['category', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_ticket_id_dimensions',
                              ['id', 'organisation_id', 'assignee_id', 'channel'], unique=False)
    with op.batch_alter_table('response_record', schema=None) as batch_op:
        batch_op.create_index('ix_response_record_received_at',
                              ['received_at', 'is_first', 'category', 'met_at', 'due_at',
                               'cancelled_at', 'working_seconds_to_response', 'ticket_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('response_record', schema=None) as batch_op:
        batch_op.drop_index('ix_response_record_received_at')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_id_dimensions')
        batch_op.drop_index('ix_ticket_category_created_at')
        batch_op.drop_index('ix_ticket_resolved_at_dimensions')
        batch_op.drop_index('ix_ticket_created_at_dimensions')
