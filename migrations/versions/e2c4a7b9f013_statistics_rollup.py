"""statistics rollup

Settled days' and months' statistics summed per combination of dimensions (stats_rollup),
which of them may be read (stats_rollup_day, stats_rollup_month) and the changes that make them
stale (stats_change);
and the seconds to each response on the wall clock and on the promise's clock stored with it,
so percentiles walk an index instead of sorting a period; and an index that holds the
backlog.

Revision ID: e2c4a7b9f013
Revises: d3a8f61c2b57
Create Date: 2026-11-28 04:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e2c4a7b9f013'
down_revision = 'd3a8f61c2b57'
branch_labels = None
depends_on = None

CATEGORIES = ('bug', 'outage', 'wish', 'configuration', 'question', 'calamity')
CHANNELS = ('email', 'portal', 'phone')
COUNTERS = ('received', 'resolved', 'on_time', 'late', 'first_on_time', 'first_late',
            'first_met', 'first_met_within_1_hour', 'first_met_1_to_4_hours',
            'first_met_4_to_8_hours', 'first_met_8_to_24_hours', 'first_met_over_24_hours',
            *(f'arrived_h{hour:02d}' for hour in range(24)))
OLD_RECEIVED_AT_INDEX = ['received_at', 'is_first', 'category', 'met_at', 'due_at',
                         'cancelled_at', 'working_seconds_to_response', 'ticket_id']
BACKLOG_INDEX = ['status', 'created_at', 'response_due_at', 'category', 'organisation_id',
                 'assignee_id', 'channel']
NEW_RECEIVED_AT_INDEX = [*OLD_RECEIVED_AT_INDEX[:-2], 'promise_seconds_to_response', 'ticket_id']


def epoch_seconds(column: str, bind) -> str:
    """Whole seconds since 1970 of a stored UTC moment, as services/portable_sql.py has it."""
    if bind.dialect.name == 'postgresql':
        return f"CAST(FLOOR(date_part('epoch', {column})) AS BIGINT)"
    if bind.dialect.dbapi.sqlite_version_info >= (3, 38, 0):
        return f"unixepoch(substr({column}, 1, 19))"
    return f"CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"


def upgrade():
    op.create_table(
        'stats_rollup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('span', sa.Enum('day', 'month', name='rollup_span', native_enum=False,
                                  create_constraint=True, length=8), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('weekday', sa.SmallInteger(), nullable=False),
        sa.Column('category', sa.Enum(*CATEGORIES, name='category', native_enum=False,
                                      create_constraint=True, length=24), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.Enum(*CHANNELS, name='channel', native_enum=False,
                                     create_constraint=True, length=24), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS],
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_rollup')),
    )
    op.create_index('ix_stats_rollup_span', 'stats_rollup',
                    ['span', 'starts_on', 'category', 'organisation_id', 'assignee_id',
                     'channel'])
    op.create_table(
        'stats_rollup_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('rolled_changes', sa.BigInteger(), nullable=False),
        sa.Column('rolled_up_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_stats_rollup_day')),
    )
    op.create_table(
        'stats_rollup_month',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('rolled_changes', sa.BigInteger(), nullable=False),
        sa.Column('rolled_up_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_stats_rollup_month')),
    )
    op.create_table(
        'stats_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('utc_day', sa.Date(), nullable=False),
        sa.Column('weight', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_change')),
    )
    op.create_index('ix_stats_change_utc_day', 'stats_change', ['utc_day', 'weight'])
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_backlog', BACKLOG_INDEX, unique=False)
    with op.batch_alter_table('response_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wall_seconds_to_response', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('promise_seconds_to_response', sa.Integer(),
                                      nullable=True))
    bind = op.get_bind()
    op.execute("UPDATE response_record SET wall_seconds_to_response = "
               f"{epoch_seconds('met_at', bind)} - {epoch_seconds('received_at', bind)}"
               " WHERE met_at IS NOT NULL")
    op.execute("UPDATE response_record SET promise_seconds_to_response = CASE"
               " WHEN category = 'calamity' THEN wall_seconds_to_response"
               " ELSE working_seconds_to_response END WHERE met_at IS NOT NULL")
    with op.batch_alter_table('response_record', schema=None) as batch_op:
        batch_op.drop_index('ix_response_record_received_at')
        batch_op.create_index('ix_response_record_received_at', NEW_RECEIVED_AT_INDEX,
                              unique=False)
        for clock in ('promise', 'wall'):
            batch_op.create_index(f'ix_response_record_first_{clock}_seconds',
                                  ['is_first', f'{clock}_seconds_to_response', 'received_at'],
                                  unique=False)
    if bind.dialect.name == 'sqlite' and bind.execute(sa.text(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
        # An analysed database has statistics for every index but the new ones, and SQLite
        # would then prefer the new ones (the queue took the backlog's index): measure them.
        op.execute("ANALYZE ticket")
        op.execute("ANALYZE response_record")


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_backlog')
    with op.batch_alter_table('response_record', schema=None) as batch_op:
        for clock in ('promise', 'wall'):
            batch_op.drop_index(f'ix_response_record_first_{clock}_seconds')
        batch_op.drop_index('ix_response_record_received_at')
        batch_op.create_index('ix_response_record_received_at', OLD_RECEIVED_AT_INDEX,
                              unique=False)
        batch_op.drop_column('promise_seconds_to_response')
        batch_op.drop_column('wall_seconds_to_response')
    op.drop_index('ix_stats_change_utc_day', table_name='stats_change')
    op.drop_table('stats_change')
    op.drop_table('stats_rollup_month')
    op.drop_table('stats_rollup_day')
    op.drop_index('ix_stats_rollup_span', table_name='stats_rollup')
    op.drop_table('stats_rollup')
