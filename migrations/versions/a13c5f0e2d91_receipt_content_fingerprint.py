"""receipt content fingerprint: a reused Message-ID no longer swallows a different mail

Revision ID: a13c5f0e2d91
Revises: c7d1e5a9b3f2
Create Date: 2026-12-02 14:00:00

Receipts were unique by dedupe key (the Message-ID) alone. They are now unique by dedupe key
and content fingerprint; receipts written before have no fingerprint and go on standing for
every mail with their key, as they did.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a13c5f0e2d91'
down_revision = 'c7d1e5a9b3f2'
branch_labels = None
depends_on = None

KEY_ONLY = 'CONSTRAINT uq_mail_receipt_dedupe_key UNIQUE (dedupe_key)'
KEY_AND_FINGERPRINT = ('CONSTRAINT uq_mail_receipt_dedupe_key_fingerprint '
                       'UNIQUE (dedupe_key, fingerprint)')


def upgrade():
    op.add_column('mail_receipt', sa.Column('fingerprint', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(KEY_ONLY, KEY_AND_FINGERPRINT)
    else:
        op.drop_constraint('uq_mail_receipt_dedupe_key', 'mail_receipt', type_='unique')
        op.create_unique_constraint('uq_mail_receipt_dedupe_key_fingerprint', 'mail_receipt',
                                    ['dedupe_key', 'fingerprint'])


def downgrade():
    # Mails that share a Message-ID keep the receipt of the first only.
    op.execute('DELETE FROM mail_receipt WHERE id NOT IN '
               '(SELECT MIN(id) FROM mail_receipt GROUP BY dedupe_key)')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_on_sqlite(KEY_AND_FINGERPRINT, KEY_ONLY)
    else:
        op.drop_constraint('uq_mail_receipt_dedupe_key_fingerprint', 'mail_receipt',
                           type_='unique')
        op.create_unique_constraint('uq_mail_receipt_dedupe_key', 'mail_receipt', ['dedupe_key'])
    op.drop_column('mail_receipt', 'fingerprint')


def _rebuild_on_sqlite(old: str, new: str) -> None:
    """SQLite cannot drop a table constraint: copy the table with its own definition edited.

    Not Alembic's batch copy: that would turn the column-level foreign key of raw_mail_id
    into a table constraint, which the downgrade of f4b8d2e6a1c7 could then not drop.
    """
    bind = op.get_bind()
    create = bind.scalar(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'mail_receipt'"))
    indexes = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mail_receipt' "
        "AND sql IS NOT NULL")).scalars().all()
    if old not in create:
        raise RuntimeError(f'mail_receipt has no {old!r}: {create}')
    op.execute(create.replace(old, new).replace(
        'CREATE TABLE "mail_receipt"', 'CREATE TABLE "mail_receipt_copy"', 1))
    op.execute('INSERT INTO mail_receipt_copy SELECT * FROM mail_receipt')
    op.execute('DROP TABLE mail_receipt')
    op.execute('ALTER TABLE mail_receipt_copy RENAME TO mail_receipt')
    for index in indexes:
        op.execute(index)
