"""agent workspace: queue urgency index, full-text search, ticket presence

Revision ID: b7d4e2a91c3f
Revises: 0789a50f9524
Create Date: 2026-11-30 12:00:00.000000

The search structures differ per database and are not in the models (Alembic's autogenerate
is told to leave them alone in migrations/env.py):
- PostgreSQL: GIN indexes on to_tsvector('simple', ...) expressions; the database keeps them
  current by itself.
- SQLite: FTS5 tables over message(sender, body_text) and ticket(subject) with triggers that
  keep them current, also for bulk inserts. A later migration that makes SQLite recreate the
  message or ticket table (batch mode "move and copy") drops those triggers: recreate them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d4e2a91c3f'
down_revision = '0789a50f9524'
branch_labels = None
depends_on = None

OPEN_STATUSES_SQL = "status IN ('new', 'open', 'waiting')"
CALAMITY_FIRST_SQL = "(CASE WHEN category = 'calamity' THEN 0 ELSE 1 END)"
UNDUE_LAST_SQL = "(CASE WHEN response_due_at IS NULL THEN 1 ELSE 0 END)"

PG_MESSAGE_DOCUMENT = "to_tsvector('simple', translate(sender || ' ' || body_text, '@.', '  '))"
PG_TICKET_DOCUMENT = "to_tsvector('simple', translate(subject, '@.', '  '))"

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE message_search USING fts5(sender, body_text, content='message', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON message BEGIN "
    "INSERT INTO message_search(rowid, sender, body_text) "
    "VALUES (new.id, new.sender, new.body_text); END",
    "CREATE TRIGGER message_search_delete AFTER DELETE ON message BEGIN "
    "INSERT INTO message_search(message_search, rowid, sender, body_text) "
    "VALUES ('delete', old.id, old.sender, old.body_text); END",
    "CREATE TRIGGER message_search_update AFTER UPDATE OF sender, body_text ON message BEGIN "
    "INSERT INTO message_search(message_search, rowid, sender, body_text) "
    "VALUES ('delete', old.id, old.sender, old.body_text); "
    "INSERT INTO message_search(rowid, sender, body_text) "
    "VALUES (new.id, new.sender, new.body_text); END",
    "INSERT INTO message_search(message_search) VALUES ('rebuild')",
    "CREATE VIRTUAL TABLE ticket_search USING fts5(subject, content='ticket', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket BEGIN "
    "INSERT INTO ticket_search(rowid, subject) VALUES (new.id, new.subject); END",
    "CREATE TRIGGER ticket_search_delete AFTER DELETE ON ticket BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); END",
    "CREATE TRIGGER ticket_search_update AFTER UPDATE OF subject ON ticket BEGIN "
    "INSERT INTO ticket_search(ticket_search, rowid, subject) "
    "VALUES ('delete', old.id, old.subject); "
    "INSERT INTO ticket_search(rowid, subject) VALUES (new.id, new.subject); END",
    "INSERT INTO ticket_search(ticket_search) VALUES ('rebuild')",
]
SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS message_search_insert",
    "DROP TRIGGER IF EXISTS message_search_delete",
    "DROP TRIGGER IF EXISTS message_search_update",
    "DROP TABLE IF EXISTS message_search",
    "DROP TRIGGER IF EXISTS ticket_search_insert",
    "DROP TRIGGER IF EXISTS ticket_search_delete",
    "DROP TRIGGER IF EXISTS ticket_search_update",
    "DROP TABLE IF EXISTS ticket_search",
]


def upgrade():
    op.create_table('ticket_presence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replying_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id'], name=op.f('fk_ticket_presence_staff_id_staff_member')),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_presence_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_presence')),
    sa.UniqueConstraint('ticket_id', 'staff_id', name=op.f('uq_ticket_presence_ticket_id'))
    )
    op.create_index('ix_ticket_queue_urgency', 'ticket',
                    [sa.text(CALAMITY_FIRST_SQL), sa.text(UNDUE_LAST_SQL),
                     'response_due_at', 'created_at', 'id'],
                    unique=False, sqlite_where=sa.text(OPEN_STATUSES_SQL),
                    postgresql_where=sa.text(OPEN_STATUSES_SQL))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"CREATE INDEX ix_message_search ON message USING gin ({PG_MESSAGE_DOCUMENT})")
        op.execute(f"CREATE INDEX ix_ticket_search ON ticket USING gin ({PG_TICKET_DOCUMENT})")
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_message_search")
        op.execute("DROP INDEX IF EXISTS ix_ticket_search")
    else:
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    op.drop_index('ix_ticket_queue_urgency', table_name='ticket')
    op.drop_table('ticket_presence')
