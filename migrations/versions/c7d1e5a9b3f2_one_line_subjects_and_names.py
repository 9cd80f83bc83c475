"""one-line subjects and names

Subjects, names, titles and short notes stored before their columns cleaned every value are
put on one line too (no CR, LF or other control characters), by the rule the columns now
apply. Nothing to undo: the cleaned text is what the desk shows and sends anyway.

Revision ID: c7d1e5a9b3f2
Revises: a13d4e5f6b70
Create Date: 2026-12-02 14:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

from helpdesk.domain.text import single_line

# revision identifiers, used by Alembic.
revision = 'c7d1e5a9b3f2'
down_revision = 'a13d4e5f6b70'
branch_labels = None
depends_on = None

ONE_LINE_COLUMNS = (
    ('ticket', 'subject'), ('message', 'sender'), ('held_message', 'sender'),
    ('held_message', 'subject'), ('outbox_message', 'subject'), ('organisation', 'name'),
    ('contact', 'name'), ('contact', 'job_title'), ('contact', 'phone'),
    ('staff_member', 'name'), ('canned_reply', 'title'), ('closing_day', 'note'),
)
BATCH = 1000


def upgrade():
    connection = op.get_bind()
    for table_name, column_name in ONE_LINE_COLUMNS:
        table = sa.table(table_name, sa.column('id', sa.Integer),
                         sa.column(column_name, sa.String))
        column = table.c[column_name]
        last_id = 0
        while True:
            rows = connection.execute(
                sa.select(table.c.id, column)
                .where(table.c.id > last_id, column.is_not(None))
                .order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            last_id = rows[-1][0]
            for row_id, value in rows:
                cleaned = single_line(value)
                if cleaned != value:
                    connection.execute(sa.update(table).where(table.c.id == row_id)
                                       .values({column_name: cleaned}))


def downgrade():
    pass
