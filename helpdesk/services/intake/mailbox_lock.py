"""One ingester per mailbox: a PostgreSQL advisory lock, or a lock file next to SQLite's file."""
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from helpdesk.extensions import db

log = logging.getLogger(__name__)


def lock_key(mailbox: str) -> int:
    """A stable signed 64-bit key (what pg_advisory_lock takes) for a mailbox name."""
    digest = hashlib.sha256(f"helpdesk-ingest:{mailbox}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def mailbox_lock(mailbox: str) -> Iterator[bool]:
    """Try to take the mailbox; yields False at once when another ingester has it."""
    if db.engine.dialect.name == "postgresql":
        with _advisory_lock(lock_key(mailbox)) as locked:
            yield locked
    else:
        with _file_lock(mailbox) as locked:
            yield locked


@contextmanager
def _advisory_lock(key: int) -> Iterator[bool]:
    # A connection of its own: the session's connections come and go with each commit.
    connection = db.engine.connect()
    locked = False
    try:
        locked = bool(connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"),
                                        {"key": key}))
        connection.commit()  # no transaction left open while we work; the lock stays
        yield locked
    finally:
        try:
            if locked:
                connection.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        except Exception:  # a dead connection has released the lock already
            log.warning("could not release the ingest lock; dropping the connection")
            connection.invalidate()
        connection.close()


@contextmanager
def _file_lock(mailbox: str) -> Iterator[bool]:
    database = Path(db.engine.url.database or "helpdesk.sqlite").resolve()
    name = hashlib.sha256(mailbox.encode()).hexdigest()[:16]
    path = database.with_name(f"{database.name}.ingest-{name}.lock")
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
