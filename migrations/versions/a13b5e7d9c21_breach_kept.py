"""a breach stays a breach: the missed due moment is kept on the response record

A recompute (category or calendar change) may move a response's due moment later; the due
moment that passed without a response is kept in breached_due_at, which nothing moves, and the
statistics count the response as late by it. Existing late responses get it from due_at; a
response flagged breached whose due moment has since moved gets the moment of its breach notice
(the sweep sent it at or just after the missed moment), the only trace left of it. The
statistics rollup is emptied, as it was summed by the old definitions; the worker sums it anew.

Revision ID: a13b5e7d9c21
Revises: f4b8d2e6a1c7
Create Date: 2026-12-02 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a13b5e7d9c21'
down_revision = 'f4b8d2e6a1c7'
branch_labels = None
depends_on = None

OLD_RECEIVED_AT_INDEX = ['received_at', 'is_first', 'category', 'met_at', 'due_at',
                         'cancelled_at', 'promise_seconds_to_response', 'ticket_id']
NEW_RECEIVED_AT_INDEX = [*OLD_RECEIVED_AT_INDEX, 'breached_due_at']


# Plain ALTER TABLE and index statements on both databases (SQLite 3.35+ drops a column):
# a batch copy of the table would reflect and copy every row.


def upgrade():
    op.add_column('response_record', sa.Column('breached_due_at', sa.DateTime(timezone=True),
                                               nullable=True))
    op.execute("UPDATE response_record SET breached_due_at = due_at"
               " WHERE met_at > due_at OR (met_at IS NULL AND cancelled_at > due_at)")
    op.execute("UPDATE response_record SET breached_due_at = (SELECT MIN(ticket_event.at)"
               " FROM ticket_event WHERE ticket_event.once_key = 'breach:'"
               " || CAST(response_record.ticket_id AS VARCHAR(20)) || ':'"
               " || CAST(response_record.id AS VARCHAR(20)))"
               " WHERE breached_due_at IS NULL AND breached")
    op.drop_index('ix_response_record_received_at', 'response_record')
    op.create_index('ix_response_record_received_at', 'response_record',
                    NEW_RECEIVED_AT_INDEX, unique=False)
    # The rollup was summed by the old definitions (late by the moved due moment, responses
    # under the category they were owed under, not the ticket's): the worker sums it anew.
    for table in ('stats_rollup', 'stats_rollup_day', 'stats_rollup_month'):
        op.execute(f'DELETE FROM {table}')


def downgrade():
    op.drop_index('ix_response_record_received_at', 'response_record')
    op.create_index('ix_response_record_received_at', 'response_record',
                    OLD_RECEIVED_AT_INDEX, unique=False)
    op.drop_column('response_record', 'breached_due_at')
