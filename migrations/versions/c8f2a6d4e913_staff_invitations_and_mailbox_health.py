"""staff invitations by mail; the mailbox's last pass, last error and mail waiting

Revision ID: c8f2a6d4e913
Revises: c8d2f4a6b913
Create Date: 2026-12-04 01:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8f2a6d4e913'
down_revision = 'c8d2f4a6b913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('agent', 'manager', 'admin', name='staff_role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['staff_member.id'], name=op.f('fk_staff_invitation_invited_by_id_staff_member')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_staff_invitation_staff_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_invitation_token_hash'))
    )
    with op.batch_alter_table('staff_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_invitation_email'), ['email'], unique=False)

    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=500), nullable=True))
        # The server default fills the rows there are; the model gives new rows their 0.
        batch_op.add_column(sa.Column('mail_waiting', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.alter_column('mail_waiting', server_default=None)


def downgrade():
    with op.batch_alter_table('mailbox_state', schema=None) as batch_op:
        batch_op.drop_column('mail_waiting')
        batch_op.drop_column('last_error')
        batch_op.drop_column('last_pass_at')

    with op.batch_alter_table('staff_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_invitation_email'))

    op.drop_table('staff_invitation')
