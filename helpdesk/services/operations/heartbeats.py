"""The worker's leases and heartbeats, one `JobHeartbeat` row per job.

A worker runs a job only while it holds the job's lease, so workers on several machines never
do the same work at once; it renews its leases every third of HELPDESK_WORKER_LEASE, and a
worker that dies or hangs loses them a lease after its last renewal, when another worker takes
the job over. A job
has a live worker exactly when its `lease_until` lies ahead. Each pass records its start, end,
outcome and duration, which health pages, metrics and the watchdog read.

These writes use a connection of their own, never the job's session: a lease must be renewed
while a job's transaction is open, and a job's rollback must not undo its heartbeat.
"""
import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from helpdesk.extensions import db
from helpdesk.models import JobHeartbeat

ERROR_LENGTH = JobHeartbeat.last_error.type.length

_table = JobHeartbeat.__table__


def worker_identity() -> str:
    """Who holds a lease: this machine and process, as `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"[:JobHeartbeat.lease_holder.type.length]


def claim(job_names: Iterable[str], holder: str, now: datetime, lease: timedelta) -> set[str]:
    """Take or renew the leases of these jobs that no other live worker holds; the ones held."""
    names = sorted(set(job_names))
    if not names:
        return set()
    with db.engine.begin() as connection:
        _ensure_rows(connection, names)
        held = connection.execute(
            sa.update(_table)
            .where(_table.c.job.in_(names),
                   sa.or_(_table.c.lease_until.is_(None), _table.c.lease_until <= now,
                          _table.c.lease_holder == holder))
            .values(lease_holder=holder, lease_until=now + lease)
            .returning(_table.c.job)
        ).scalars().all()
    return set(held)


def release(job_names: Iterable[str], holder: str, now: datetime) -> None:
    """Give up these leases at once (a clean stop), so another worker need not wait for them.

    The lease then ends `now`: the watchdog counts a job's silence from there."""
    names = sorted(set(job_names))
    if not names:
        return
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(_table)
            .where(_table.c.job.in_(names), _table.c.lease_holder == holder)
            .values(lease_holder=None, lease_until=now))


def holder_of(job_name: str, now: datetime) -> str | None:
    """The live worker that holds a job's lease, if any."""
    with db.engine.connect() as connection:
        return connection.execute(
            sa.select(_table.c.lease_holder)
            .where(_table.c.job == job_name, _table.c.lease_until > now)
        ).scalar_one_or_none()


def pass_started(job_name: str, now: datetime) -> None:
    """A pass of the job began."""
    with db.engine.begin() as connection:
        _ensure_rows(connection, [job_name])
        connection.execute(
            sa.update(_table).where(_table.c.job == job_name).values(last_started_at=now))


def pass_finished(job_name: str, started_at: datetime, finished_at: datetime,
                  error: BaseException | None = None) -> None:
    """A pass of the job ended, well or with `error` (its first line is kept)."""
    outcome = ({"last_succeeded_at": finished_at} if error is None else
               {"last_failed_at": finished_at, "last_error": _first_line(error),
                "failures": _table.c.failures + 1})
    duration = finished_at - started_at
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(_table).where(_table.c.job == job_name)
            .values(last_finished_at=finished_at, runs=_table.c.runs + 1,
                    last_duration_ms=max(int(duration.total_seconds() * 1000), 0), **outcome))


def heartbeats() -> list[JobHeartbeat]:
    """Every job's heartbeat row, by job name."""
    return list(db.session.scalars(sa.select(JobHeartbeat).order_by(JobHeartbeat.job)))


def is_live(heartbeat: JobHeartbeat, now: datetime) -> bool:
    """Whether a worker holds the job's lease now."""
    return heartbeat.lease_until is not None and heartbeat.lease_until > now


def _ensure_rows(connection: sa.Connection, names: list[str]) -> None:
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)
    connection.execute(
        insert(_table).values([{"job": name, "runs": 0, "failures": 0} for name in names])
        .on_conflict_do_nothing(index_elements=[_table.c.job]))


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text[:ERROR_LENGTH]
