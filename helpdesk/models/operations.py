"""What the desk knows about its own running: each job's heartbeat, its backups, and the
watchdog's incidents (so health pages, metrics and alerts read one record, from any machine)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.types import UTCDateTime, enum_column


class JobHeartbeat(db.Model):
    """One row per worker job: when it last ran, how it went, and who may run it now.

    A worker holds a job's lease (`lease_holder` until `lease_until`) while it runs it, so
    workers on several machines never run the same job at once; a dead worker's lease lapses."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(60), unique=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_duration_ms: Mapped[int | None] = mapped_column()
    runs: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    failures: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    lease_holder: Mapped[str | None] = mapped_column(sa.String(200))  # host:pid
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackupState(StrEnum):
    RUNNING = "running"
    VERIFIED = "verified"  # written, restored into a scratch database and compared
    FAILED = "failed"


class Backup(db.Model):
    """One backup the desk made: where it lies and whether its restore check passed.

    The last verified one's age is what health, metrics and the watchdog report."""

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[BackupState] = mapped_column(
        enum_column(BackupState, name="backup_state"), default=BackupState.RUNNING)
    path: Mapped[str] = mapped_column(sa.String(1000))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    manifest_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.String(500))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # beyond BACKUP_KEEP


class WatchdogIncident(db.Model):
    """Something the desk needs has stopped (mail not fetched, mailbox login refused, outbox
    not sending, a job's heartbeat gone, the last backup too old): opened once, told once,
    resolved once. `open_key` ("kind:subject") is set only while open, so one incident of a
    kind and subject is open at a time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    open_key: Mapped[str | None] = mapped_column(sa.String(250), unique=True)
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
