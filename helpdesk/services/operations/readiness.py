"""Whether this process can serve: the database answers and its schema is the code's."""
import functools
import logging
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

# A probe that waits longer than a load balancer's own timeout tells it nothing.
STATEMENT_TIMEOUT_MS = 2000


@functools.cache
def code_heads(migrations_folder: str) -> frozenset[str]:
    """The head revisions of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory(migrations_folder).get_heads())


def readiness_problem(engine: sa.Engine, migrations_folder: str) -> str | None:
    """None when the database answers and is migrated to the code's head, else a short reason.

    The reason names no host, user or error text: it is shown to whoever asks.
    """
    if _missing_sqlite_file(engine):
        return "database unreachable"
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
            connection.execute(sa.text("SELECT 1"))
            database_heads = frozenset(MigrationContext.configure(connection).get_current_heads())
    except sa.exc.SQLAlchemyError as error:
        # The class only: the message may name the server and the user.
        log.warning("readiness: database unreachable (%s)", type(error.orig or error).__name__)
        return "database unreachable"
    if database_heads != code_heads(migrations_folder):
        return "database migrations not current"
    return None


def _missing_sqlite_file(engine: sa.Engine) -> bool:
    """SQLite would make an empty database of a missing file, and answer: that is not ready."""
    database = engine.url.database
    return (engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"
            and not database.startswith("file:") and not Path(database).is_file())
