"""job heartbeats, backups and watchdog incidents

Revision ID: a5d3f7c1e9b2
Revises: e7a1c4d9b2f6
Create Date: 2026-12-04 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5d3f7c1e9b2'
down_revision = 'e7a1c4d9b2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('backup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.Enum('running', 'verified', 'failed', name='backup_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup'))
    )
    op.create_table('job_heartbeat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_succeeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_duration_ms', sa.Integer(), nullable=True),
    sa.Column('runs', sa.BigInteger(), nullable=False),
    sa.Column('failures', sa.BigInteger(), nullable=False),
    sa.Column('lease_holder', sa.String(length=200), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_heartbeat')),
    sa.UniqueConstraint('job', name=op.f('uq_job_heartbeat_job'))
    )
    op.create_table('watchdog_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('open_key', sa.String(length=250), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('told_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_told_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watchdog_incident')),
    sa.UniqueConstraint('open_key', name=op.f('uq_watchdog_incident_open_key'))
    )

    # The watchdog's "mail not fetched for N minutes" counts from the last pass that worked.
    op.add_column('mailbox_state',
                  sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True))
    # When each mail was stored, for the ingestion latency /metrics reports.
    op.add_column('mail_receipt',
                  sa.Column('stored_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Plain ALTERs: a batch copy would reflect (and copy) the tables they refer to.
    op.drop_column('mail_receipt', 'stored_at')
    op.drop_column('mailbox_state', 'last_success_at')
    op.drop_table('watchdog_incident')
    op.drop_table('job_heartbeat')
    op.drop_table('backup')
