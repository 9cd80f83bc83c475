"""A database's consistent snapshot in a file, and back: SQLite's online backup API, or
PostgreSQL's `pg_dump` in custom format taken in one exported snapshot.

Row counts are read in the very snapshot the file holds, so a restore can be compared with
them exactly, while the desk keeps writing.
"""
import os
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import IO

import sqlalchemy as sa

SQLITE, POSTGRESQL = "sqlite", "postgresql"
FILE_NAMES = {SQLITE: "database.sqlite", POSTGRESQL: "database.pgdump"}
# A restore that waits for a running web process's lock waits this long, then says so.
LOCK_TIMEOUT = "10s"


class SnapshotError(Exception):
    """The database tool failed; the message is its first line of complaint."""


def engine_kind(engine: sa.Engine) -> str:
    if engine.dialect.name not in FILE_NAMES:
        raise SnapshotError(f"backups support SQLite and PostgreSQL, not {engine.dialect.name}")
    return engine.dialect.name


def row_counts(connection: sa.Connection, tables: Iterable[str]) -> dict[str, int]:
    """Rows per table, as this connection's snapshot sees them (a missing table counts 0)."""
    present = set(sa.inspect(connection).get_table_names())
    return {table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            if table in present else 0 for table in tables}


def _counted(engine: sa.Engine, tables: Iterable[str]) -> dict[str, int]:
    """The rows per table of a database of our own making, then its engine disposed."""
    try:
        with engine.connect() as connection:
            return row_counts(connection, tables)
    finally:
        engine.dispose()


def write_snapshot(engine: sa.Engine, target: Path, tables: Iterable[str]) -> dict[str, int]:
    """Write the database as of one moment to `target`; returns its rows per table."""
    if engine_kind(engine) == SQLITE:
        return _write_sqlite(engine, target, tables)
    return _write_postgresql(engine, target, tables)


def _write_sqlite(engine: sa.Engine, target: Path, tables: Iterable[str]) -> dict[str, int]:
    with engine.connect() as connection:
        live = connection.connection.driver_connection
        with closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
            # One self-contained file: no -wal beside it to lose.
            copy.execute("PRAGMA journal_mode=DELETE")
    return _counted(sqlite_engine(target, read_only=True), tables)


def _write_postgresql(engine: sa.Engine, target: Path, tables: Iterable[str]) -> dict[str, int]:
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                  postgresql_readonly=True)
        with connection.begin():
            # pg_dump reads the very snapshot these counts are taken in, while it is held open.
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            counts = row_counts(connection, tables)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}"], engine.url)
    return counts


def scratch_row_counts(engine: sa.Engine, snapshot: Path, tables: Iterable[str]) -> dict[str, int]:
    """Restore `snapshot` into a scratch database beside the desk's, count its rows, drop it."""
    if engine_kind(engine) == SQLITE:
        scratch = snapshot.with_name(f".scratch-{uuid.uuid4().hex}.sqlite")
        try:
            with closing(sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)) as source, \
                    closing(sqlite3.connect(scratch)) as copy:
                source.backup(copy)
                problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
                if problem != "ok":
                    raise SnapshotError(f"the restored copy fails its integrity check: {problem}")
            return _counted(sqlite_engine(scratch, read_only=True), tables)
        finally:
            scratch.unlink(missing_ok=True)
    name = f"helpdesk_restore_check_{uuid.uuid4().hex[:12]}"
    server = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError as error:
        raise SnapshotError("the restore check needs a scratch database; grant the desk's "
                            f"database user CREATEDB ({type(error.orig).__name__})") from None
    scratch_url = engine.url.set(database=name)
    try:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={name}", str(snapshot)], scratch_url)
        return _counted(sa.create_engine(scratch_url, poolclass=sa.pool.NullPool), tables)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def restore_snapshot(engine: sa.Engine, snapshot: Path) -> None:
    """Replace the desk's database by `snapshot`, all at once: on failure it is left as it was."""
    engine.dispose()  # our own pooled connections would hold locks the restore waits for
    if engine_kind(engine) == SQLITE:
        try:
            with closing(sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)) as source, \
                    closing(sqlite3.connect(engine.url.database, timeout=10)) as live:
                source.backup(live)  # one transaction on `live`: rolled back on an error
        except sqlite3.Error as error:
            raise SnapshotError(f"SQLite: {error}") from None
        return
    # The dump as SQL first, checked whole; then a fresh schema and that SQL in one
    # transaction of psql's, which stops at the first error: all or nothing.
    with tempfile.TemporaryDirectory(prefix="helpdesk-restore-") as scratch:
        script = Path(scratch) / "restore.sql"
        script.write_bytes(b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        with open(script, "ab") as handle:
            _run(["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(snapshot)],
                 engine.url, stdout=handle)
        _run(["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
              "--output=/dev/null", f"--file={script}"], engine.url)


def sqlite_engine(path: Path, *, read_only: bool = False) -> sa.Engine:
    mode = "?mode=ro&uri=true" if read_only else ""
    return sa.create_engine(f"sqlite:///file:{path}{mode}" if read_only else f"sqlite:///{path}",
                            poolclass=sa.pool.NullPool)


def libpq_environment(url: sa.URL) -> dict[str, str]:
    """Where pg_dump, pg_restore and psql connect; the password only in the environment."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    given = {"PGHOST": url.host or url.query.get("host"), "PGPORT": url.port,
             "PGUSER": url.username, "PGPASSWORD": url.password, "PGDATABASE": url.database,
             "PGSSLMODE": url.query.get("sslmode"),
             "PGOPTIONS": f"-c lock_timeout={LOCK_TIMEOUT}"}
    environment.update({name: str(value) for name, value in given.items() if value})
    return environment


def _run(command: list[str], url: sa.URL, stdout: IO[bytes] | None = None) -> None:
    try:
        result = subprocess.run(command, stdout=stdout or subprocess.PIPE,
                                stderr=subprocess.PIPE, env=libpq_environment(url))
    except FileNotFoundError:
        raise SnapshotError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    if result.returncode != 0:
        raise SnapshotError(_first_line(result.stderr, f"{command[0]} failed"))


def _first_line(stderr: bytes, fallback: str) -> str:
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[0][:300] if lines else fallback
