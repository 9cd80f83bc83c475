"""audit trail: hash chain and whose data an entry concerns

Revision ID: b7e1c9d4a2f6
Revises: 1a3d50255aa8
Create Date: 2026-12-04 04:30:00

Entries written before the chain are chained here, in id order, so `flask audit verify`
walks one chain from the first entry. Their organisation (and a ticket's raiser) is filled in
from what they name, so the access report covers them too.
"""
from alembic import op
import sqlalchemy as sa

from helpdesk.domain import audit_chain
from helpdesk.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'b7e1c9d4a2f6'
down_revision = 'e4b7c2a91d05'
branch_labels = None
depends_on = None

entry = sa.table(
    'audit_entry', sa.column('id', sa.Integer), sa.column('at', UTCDateTime),
    sa.column('staff_id', sa.Integer), sa.column('contact_id', sa.Integer),
    sa.column('organisation_id', sa.Integer), sa.column('action', sa.String),
    sa.column('subject_type', sa.String), sa.column('subject_id', sa.Integer),
    sa.column('detail', sa.String), sa.column('detail_digest', sa.String),
    sa.column('previous_digest', sa.String), sa.column('digest', sa.String))

BACKFILL = [
    "UPDATE audit_entry SET organisation_id = subject_id WHERE subject_type = 'organisation'",
    "UPDATE audit_entry SET contact_id = subject_id WHERE subject_type = 'contact'",
    "UPDATE audit_entry SET organisation_id = (SELECT organisation_id FROM contact"
    " WHERE contact.id = audit_entry.subject_id) WHERE subject_type = 'contact'",
    "UPDATE audit_entry SET contact_id = (SELECT raised_by_id FROM ticket"
    " WHERE ticket.id = audit_entry.subject_id), organisation_id = (SELECT organisation_id"
    " FROM ticket WHERE ticket.id = audit_entry.subject_id) WHERE subject_type = 'ticket'",
]


def upgrade():
    with op.batch_alter_table('audit_entry') as batch:
        batch.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('detail_digest', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('previous_digest', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('redacted', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    head = op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    connection = op.get_bind()
    for statement in BACKFILL:
        connection.execute(sa.text(statement))
    previous, count = audit_chain.GENESIS, 0
    rows = connection.execute(sa.select(entry).order_by(entry.c.id)).mappings().all()
    for row in rows:
        detail_digest = audit_chain.detail_digest(row['detail'])
        digest = audit_chain.ChainedFields(
            at=row['at'], staff_id=row['staff_id'], contact_id=row['contact_id'],
            organisation_id=row['organisation_id'], action=row['action'],
            subject_type=row['subject_type'], subject_id=row['subject_id'],
            detail_digest=detail_digest, previous_digest=previous).digest()
        connection.execute(entry.update().where(entry.c.id == row['id']).values(
            detail_digest=detail_digest, previous_digest=previous, digest=digest))
        previous, count = digest, count + 1
    op.bulk_insert(head, [{'id': 1, 'digest': previous, 'entry_count': count}])
    with op.batch_alter_table('audit_entry') as batch:
        batch.alter_column('detail_digest', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('previous_digest', existing_type=sa.String(length=64),
                           nullable=False)
        batch.alter_column('digest', existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(batch.f('uq_audit_entry_digest'), ['digest'])
        batch.create_index('ix_audit_entry_contact_at', ['contact_id', 'at'])
        batch.create_index('ix_audit_entry_organisation_at', ['organisation_id', 'at'])


def downgrade():
    with op.batch_alter_table('audit_entry') as batch:
        batch.drop_index('ix_audit_entry_organisation_at')
        batch.drop_index('ix_audit_entry_contact_at')
        batch.drop_constraint(batch.f('uq_audit_entry_digest'), type_='unique')
        batch.drop_column('redacted')
        batch.drop_column('digest')
        batch.drop_column('previous_digest')
        batch.drop_column('detail_digest')
        batch.drop_column('organisation_id')
    op.drop_table('audit_chain_head')
