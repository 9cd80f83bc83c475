"""resolutions counted by history event

The statistics count a resolution by its status-change event (open to resolved or closed) in
the period it happened, no longer by the ticket's resolved_at, which a reopen clears. Tickets
resolved without such an event (seeded in bulk) get one at their resolved_at, and the rollup's
days and months are read live until the next refresh rolls them up by the new definition.

Revision ID: a6d19c4e7b52
Revises: a13b5e7d9c21
Create Date: 2026-12-02 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a6d19c4e7b52'
down_revision = 'a13b5e7d9c21'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_event_action_at',
                              ['action', 'at', 'before', 'after', 'ticket_id'], unique=False)
    op.execute(
        "INSERT INTO ticket_event (ticket_id, at, action, before, after) "
        "SELECT ticket.id, ticket.resolved_at, 'status', 'open', ticket.status FROM ticket "
        "WHERE ticket.resolved_at IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM ticket_event WHERE ticket_event.ticket_id = ticket.id "
        "AND ticket_event.action = 'status' AND ticket_event.after IN ('closed', 'resolved') "
        "AND ticket_event.before NOT IN ('closed', 'resolved'))")
    op.execute("DELETE FROM stats_rollup_month")
    op.execute("DELETE FROM stats_rollup_day")


def downgrade():
    # The events stay: they are history. The rollup is made again by the old definition.
    op.execute("DELETE FROM stats_rollup_month")
    op.execute("DELETE FROM stats_rollup_day")
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_event_action_at')
