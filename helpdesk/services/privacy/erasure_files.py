"""After an erasure's commit: its files deleted, and the database's free space wiped.

The files were listed in `erasure_file` in the erasure's own transaction; each deletion is
committed on its own, so a crash part-way leaves the rest for the next run (or the worker).
"""
import logging
from datetime import datetime

import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import ErasureFile
from helpdesk.services.transaction import job

log = logging.getLogger(__name__)
SQLITE_SEARCH_TABLES = ("message_search", "ticket_search")


@job
def finish_pending_files(now: datetime, limit: int = 1000) -> int:
    """Delete the files erasures left to do (a missing one is done already); how many."""
    pending = db.session.scalars(sa.select(ErasureFile).where(ErasureFile.deleted_at.is_(None))
                                 .order_by(ErasureFile.id).limit(limit)).all()
    store = blob_store()
    done = 0
    for erasure_file in pending:
        try:
            store.path(erasure_file.path).unlink(missing_ok=True)
        except (OSError, ValueError):
            log.exception("erasure file %s could not be deleted", erasure_file.id)
            db.session.rollback()
            continue
        erasure_file.deleted_at = now
        db.session.commit()
        done += 1
    db.session.rollback()
    return done


def optimise_search_index() -> None:
    """SQLite: merge the full-text index, so no segment keeps a replaced word (in the erasure's
    transaction). PostgreSQL's indexes are expressions over the rows: VACUUM clears them."""
    if db.engine.dialect.name != "sqlite":
        return
    for table in SQLITE_SEARCH_TABLES:
        db.session.execute(sa.text(f"INSERT INTO {table}({table}) VALUES('optimize')"))


def wipe_free_space(tables: list[str]) -> None:
    """Old row versions gone from the files, after the commit (outside any transaction).

    SQLite zeroes what it frees (`secure_delete`, set on every connection); the log still holds
    the pages as they were until a checkpoint empties it. PostgreSQL keeps dead rows until
    VACUUM, which cannot run inside a transaction.
    """
    db.session.rollback()  # the session's connection back in the pool: no reader holds the log
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            known = set(sa.inspect(connection).get_table_names())
            for table in tables:
                if table in known:
                    connection.execute(sa.text(f'VACUUM "{table}"'))
