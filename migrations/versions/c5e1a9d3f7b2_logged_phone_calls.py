"""logged phone calls: a message kind of their own, with the call's end

A call an agent logs is the agent's record of it, no longer a customer message: message.kind
takes 'call', and message.call_ended_at keeps when the call ended (the first response when
it was answered during the call).

SQLite cannot alter a CHECK constraint. Copying the message table (batch mode) would copy
every row, drop the full-text triggers and turn the raw_mail_id reference into one that a
later DROP COLUMN refuses; instead the constraint's text in the schema is changed in place,
as SQLite documents for loosening a CHECK constraint (every stored row satisfies both).

Revision ID: c5e1a9d3f7b2
Revises: a6d19c4e7b52
Create Date: 2026-12-02 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5e1a9d3f7b2'
down_revision = 'a6d19c4e7b52'
branch_labels = None
depends_on = None

OLD_KINDS = ('inbound', 'outbound', 'note')
NEW_KINDS = (*OLD_KINDS, 'call')
CONSTRAINT = 'ck_message_message_kind'


def _check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _set_kinds(old, new) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f(CONSTRAINT), 'message', type_='check')
        op.create_check_constraint(op.f(CONSTRAINT), 'message', _check(new))
        return
    table = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'message'")
    schema = bind.scalar(table)
    before, after = (f"CONSTRAINT {CONSTRAINT} CHECK ({_check(kinds)})" for kinds in (old, new))
    if before not in schema:
        raise RuntimeError(f'the message table has no constraint "{before}" to change')
    version = bind.scalar(sa.text("PRAGMA schema_version"))
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql "
                         "WHERE type = 'table' AND name = 'message'"),
                 {"sql": schema.replace(before, after)})
    bind.execute(sa.text(f"PRAGMA schema_version = {version + 1}"))  # others re-read it
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade():
    op.add_column('message', sa.Column('call_ended_at', sa.DateTime(timezone=True),
                                       nullable=True))
    _set_kinds(OLD_KINDS, NEW_KINDS)


def downgrade():
    # A logged call becomes what it was before this revision: the caller's message.
    op.execute("UPDATE message SET kind = 'inbound' WHERE kind = 'call'")
    _set_kinds(NEW_KINDS, OLD_KINDS)
    op.drop_column('message', 'call_ended_at')
