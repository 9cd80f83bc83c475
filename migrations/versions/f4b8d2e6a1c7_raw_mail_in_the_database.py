"""raw mail in the database

A received mail's raw bytes move from a blob-store path on each of message, held_message and
mail_receipt to one raw_mail row they all name: small mail keeps its bytes in the row, larger
mail (and all mail stored before) keeps its blob-store path there.

Revision ID: f4b8d2e6a1c7
Revises: e2c4a7b9f013
Create Date: 2026-11-28 07:10:00.000000

"""
import sqlite3

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f4b8d2e6a1c7'
down_revision = 'e2c4a7b9f013'
branch_labels = None
depends_on = None

TABLES = ('message', 'held_message', 'mail_receipt')


def upgrade():
    op.create_table(
        'raw_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('blob_path', sa.String(length=200), nullable=True),
        sa.CheckConstraint('(content IS NULL) <> (blob_path IS NULL)',
                           name=op.f('ck_raw_mail_content_or_blob_path')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_mail')),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite' and sqlite3.sqlite_version_info < (3, 35):
        raise RuntimeError(f'this migration needs SQLite 3.35 or newer (ALTER TABLE DROP '
                           f'COLUMN); Python here uses SQLite {sqlite3.sqlite_version}')
    for table in TABLES:
        _add_raw_mail_id(table)
    # Stored paths are "ab/<sha256>.eml": the digest is the 64 characters after the folder.
    paths = ' UNION '.join(f"SELECT raw_path FROM {t} WHERE raw_path IS NOT NULL "
                           f"AND raw_path <> ''" for t in TABLES)
    op.execute(f'INSERT INTO raw_mail (sha256, blob_path) '
               f'SELECT substr(raw_path, 4, 64), raw_path FROM ({paths}) AS stored')
    # Each stored row finds its raw_mail row by path: an index for the while it takes.
    op.create_index('ix_raw_mail_blob_path', 'raw_mail', ['blob_path'])
    for table in TABLES:
        op.execute(f'UPDATE {table} SET raw_mail_id = (SELECT raw_mail.id FROM raw_mail '
                   f'WHERE raw_mail.blob_path = {table}.raw_path) WHERE raw_path IS NOT NULL')
        # Plain ALTER TABLE on both databases: SQLite's batch copy of the message table would
        # drop its full-text triggers and copy every row.
        op.drop_column(table, 'raw_path')
    op.drop_index('ix_raw_mail_blob_path', 'raw_mail')


def _add_raw_mail_id(table: str) -> None:
    name = op.f(f'fk_{table}_raw_mail_id_raw_mail')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN raw_mail_id INTEGER '
                   f'CONSTRAINT {name} REFERENCES raw_mail (id)')
    else:
        op.add_column(table, sa.Column('raw_mail_id', sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, 'raw_mail', ['raw_mail_id'], ['id'])


def downgrade():
    bind = op.get_bind()
    if bind.scalar(sa.text('SELECT count(*) FROM raw_mail WHERE content IS NOT NULL')):
        raise RuntimeError('raw mail is stored in the database: write it to the blob store '
                           'before downgrading, or it would be lost')
    for table in TABLES:
        op.add_column(table, sa.Column('raw_path', sa.String(length=200), nullable=True))
        op.execute(f'UPDATE {table} SET raw_path = (SELECT raw_mail.blob_path FROM raw_mail '
                   f'WHERE raw_mail.id = {table}.raw_mail_id)')
        if bind.dialect.name != 'sqlite':  # SQLite drops the column's constraint with it
            op.drop_constraint(op.f(f'fk_{table}_raw_mail_id_raw_mail'), table,
                               type_='foreignkey')
        op.drop_column(table, 'raw_mail_id')
    op.drop_table('raw_mail')
