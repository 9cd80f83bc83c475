"""What an admin asks of a running desk: is mail coming in and going out, do the worker's jobs
run, is there a recent backup, does a certificate expire soon; and what, if anything, is wrong.

Everything is read from the database (and the configured certificate files), so any web
process or `flask health` on any machine tells the same. The thresholds that make a figure a
problem are in `Rules`, and only there.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.certificates import CertificateError, not_after
from helpdesk.adapters.imap import ImapConfigError, ImapSettings
from helpdesk.extensions import db
from helpdesk.models import (
    Backup,
    BackupState,
    HeldMessage,
    HeldReason,
    IngestFailure,
    MailboxState,
    MailReceipt,
    OutboxMessage,
    OutboxState,
)
from helpdesk.services.operations import backups, heartbeats
from helpdesk.settings import BY_NAME

# The job whose heartbeat also records a pass over the mailbox (`flask worker --once`).
MAIL_JOB = "mail-ingest"
# Held mail the desk could not read at all, as opposed to mail it chose to hold.
UNREADABLE_REASONS = (HeldReason.UNPARSABLE, HeldReason.TOO_LARGE)
# Certificate files a desk may be given, by setting.
CERTIFICATE_SETTINGS = ("MAIL_IN_TLS_CERT", "IMAP_CA_FILE", "MAIL_CA_FILE")


@dataclass(frozen=True)
class Rules:
    """When a figure is a problem: every threshold of the desk's health, in one place."""

    mail_pass_age: timedelta  # no successful pass over the mailbox for this long
    outbox_wait: timedelta  # a mail waiting to be sent this long
    outbox_not_sending: timedelta  # the watchdog: nothing sent while mail waited this long
    backup_age: timedelta  # the last verified backup is this old: one was missed
    certificate_notice: timedelta  # a certificate expires within this

    @classmethod
    def configured(cls) -> Rules:
        config = current_app.config
        return cls(mail_pass_age=timedelta(minutes=config["WATCHDOG_MAIL_MINUTES"]),
                   outbox_wait=timedelta(minutes=30),
                   outbox_not_sending=timedelta(minutes=15),
                   backup_age=2 * config["BACKUP_INTERVAL"],
                   certificate_notice=timedelta(days=14))


@dataclass(frozen=True)
class MailIntake:
    """The IMAP mailbox's last passes and the mail the desk did not turn into tickets."""

    mailbox: str | None  # None: no mailbox configured (mail may still be pushed to MAIL_IN)
    last_pass_at: datetime | None
    last_success_at: datetime | None
    last_success_age_seconds: int | None
    last_error: str | None  # what stopped the last pass; None when it ran through
    waiting_on_server: int | None  # left in the folder by the last pass, retried by the next
    failing: int  # messages whose ingestion failed and is retried
    last_received_at: datetime | None  # the newest mail received, by any way
    held_waiting: int  # held mail awaiting an agent's decision
    held_unreadable: int  # of those, unparsable or too large


@dataclass(frozen=True)
class Outbox:
    waiting: int
    oldest_waiting_at: datetime | None
    oldest_waiting_age_seconds: int | None
    failed: int  # given up: shown to agents, who may try again
    held_back: int  # stopped by the loop brake


@dataclass(frozen=True)
class JobStatus:
    job: str
    live: bool  # a worker holds its lease now
    holder: str | None
    last_succeeded_at: datetime | None
    last_failed_at: datetime | None
    last_error: str | None
    last_duration_ms: int | None
    runs: int
    failures: int


@dataclass(frozen=True)
class BackupStatus:
    last_verified_at: datetime | None
    age_seconds: int | None
    last_failed_at: datetime | None


@dataclass(frozen=True)
class Certificate:
    setting: str  # the variable that names the file
    path: str
    expires_at: datetime | None  # None: the file holds no readable certificate
    days_left: int | None


@dataclass(frozen=True)
class DeskStatus:
    checked_at: datetime
    mail: MailIntake
    outbox: Outbox
    jobs: tuple[JobStatus, ...]
    backup: BackupStatus
    certificates: tuple[Certificate, ...]
    problems: tuple[str, ...]  # one line each; none when all is well

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        """A dict of plain JSON values (moments as ISO 8601 text)."""
        return {"ok": self.ok, **_plain(dataclasses.asdict(self))}


def desk_status(now: datetime, rules: Rules | None = None) -> DeskStatus:
    """The desk's running state at `now`, judged by `rules` (the configured ones by default)."""
    rules = rules or Rules.configured()
    jobs = tuple(_job(heartbeat, now) for heartbeat in heartbeats.heartbeats())
    mailbox, mailbox_problem = _mailbox_name()
    status = DeskStatus(checked_at=now, mail=_mail(mailbox, jobs, now), outbox=_outbox(now),
                        jobs=jobs, backup=_backup(now), certificates=_certificates(now),
                        problems=())
    found = ([mailbox_problem] if mailbox_problem else []) + problems(status, rules)
    return dataclasses.replace(status, problems=tuple(found))


def problems(status: DeskStatus, rules: Rules) -> list[str]:
    """What is wrong, one line each: the rules applied to the figures."""
    found = []
    mail = status.mail
    if mail.mailbox is not None:
        if mail.last_error:
            found.append(f"mail: the last pass over {mail.mailbox} failed: {mail.last_error}")
        if mail.last_success_at is None:
            found.append(f"mail: no successful pass over {mail.mailbox} yet")
        elif mail.last_success_age_seconds > rules.mail_pass_age.total_seconds():
            found.append(f"mail: no successful pass over {mail.mailbox} for "
                         f"{_span(mail.last_success_age_seconds)}")
    outbox = status.outbox
    if outbox.waiting and outbox.oldest_waiting_age_seconds > rules.outbox_wait.total_seconds():
        found.append(f"outbox: {outbox.waiting} mail(s) waiting, the oldest for "
                     f"{_span(outbox.oldest_waiting_age_seconds)}")
    if not status.jobs:
        found.append("worker: no job has run yet (is `flask worker` running?)")
    for job in status.jobs:
        if not job.live:
            found.append(f"job {job.job}: no worker runs it")
        if job.last_failed_at and (job.last_succeeded_at is None
                                   or job.last_failed_at > job.last_succeeded_at):
            found.append(f"job {job.job}: its last pass failed: {job.last_error}")
    backup = status.backup
    if backup.last_verified_at is None:
        found.append("backup: no verified backup yet")
    elif backup.age_seconds > rules.backup_age.total_seconds():
        found.append(f"backup: the last verified backup is {_span(backup.age_seconds)} old")
    for certificate in status.certificates:
        if certificate.expires_at is None:
            found.append(f"certificate {certificate.setting}: {certificate.path} holds no "
                         "readable certificate")
        elif certificate.expires_at <= status.checked_at:
            found.append(f"certificate {certificate.setting}: expired on "
                         f"{certificate.expires_at:%Y-%m-%d}")
        elif certificate.expires_at - status.checked_at <= rules.certificate_notice:
            found.append(f"certificate {certificate.setting}: expires on "
                         f"{certificate.expires_at:%Y-%m-%d}, in {certificate.days_left} day(s)")
    return found


def _mailbox_name() -> tuple[str | None, str | None]:
    """The configured IMAP folder's name, and why its configuration cannot be used."""
    if not current_app.config["IMAP_USER"]:
        return None, None
    try:
        return ImapSettings.from_config(current_app.config).mailbox, None
    except ImapConfigError as error:
        return None, f"mail: {error}"


def _mail(mailbox: str | None, jobs: tuple[JobStatus, ...], now: datetime) -> MailIntake:
    state = (db.session.scalar(sa.select(MailboxState).where(MailboxState.mailbox == mailbox))
             if mailbox else None)
    # A pass that ran through leaves no error; `flask worker --once` also says so in its
    # heartbeat. The later of the two is the last pass known to have worked.
    ran_through = state is not None and state.last_pass_at is not None and not state.last_error
    successes = [state.last_pass_at] if ran_through else []
    successes += [state.last_success_at] if state is not None and state.last_success_at else []
    successes += [job.last_succeeded_at for job in jobs
                  if job.job == MAIL_JOB and job.last_succeeded_at and mailbox]
    last_success = max(successes, default=None)
    held_waiting, held_unreadable = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(HeldMessage.reason.in_(UNREADABLE_REASONS)))
        .where(HeldMessage.resolved_at.is_(None))).one()
    failing = (db.session.scalar(sa.select(sa.func.count()).select_from(IngestFailure)
                                 .where(IngestFailure.mailbox == mailbox)) if mailbox else 0)
    return MailIntake(
        mailbox=mailbox, last_pass_at=state.last_pass_at if state else None,
        last_success_at=last_success, last_success_age_seconds=_age(last_success, now),
        last_error=state.last_error if state else None,
        waiting_on_server=state.mail_waiting if state and state.last_pass_at else None,
        failing=failing,
        last_received_at=db.session.scalar(sa.select(sa.func.max(MailReceipt.received_at))),
        held_waiting=held_waiting, held_unreadable=held_unreadable)


def _outbox(now: datetime) -> Outbox:
    counts = dict(db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count())
        .where(OutboxMessage.state != OutboxState.SENT).group_by(OutboxMessage.state)).all())
    oldest = db.session.scalar(sa.select(sa.func.min(OutboxMessage.created_at))
                               .where(OutboxMessage.state == OutboxState.PENDING))
    return Outbox(waiting=counts.get(OutboxState.PENDING, 0), oldest_waiting_at=oldest,
                  oldest_waiting_age_seconds=_age(oldest, now),
                  failed=counts.get(OutboxState.FAILED, 0),
                  held_back=counts.get(OutboxState.HELD_BACK, 0))


def _job(heartbeat, now: datetime) -> JobStatus:
    live = heartbeats.is_live(heartbeat, now)
    return JobStatus(job=heartbeat.job, live=live, holder=heartbeat.lease_holder if live else None,
                     last_succeeded_at=heartbeat.last_succeeded_at,
                     last_failed_at=heartbeat.last_failed_at, last_error=heartbeat.last_error,
                     last_duration_ms=heartbeat.last_duration_ms, runs=heartbeat.runs,
                     failures=heartbeat.failures)


def _backup(now: datetime) -> BackupStatus:
    """The last good backup's age counts from its snapshot: what a restore of it would lose."""
    good = backups.last_good_backup()
    failed = db.session.scalar(sa.select(sa.func.max(Backup.finished_at))
                               .where(Backup.state == BackupState.FAILED))
    verified = good.started_at if good else None
    return BackupStatus(last_verified_at=verified, age_seconds=_age(verified, now),
                        last_failed_at=failed)


def _certificates(now: datetime) -> tuple[Certificate, ...]:
    found = []
    for setting in CERTIFICATE_SETTINGS:
        path = current_app.config.get(setting)
        if not path:
            continue
        try:
            expires_at = not_after(path)
        except CertificateError:
            found.append(Certificate(setting=BY_NAME[setting].variable, path=path, expires_at=None,
                                     days_left=None))
            continue
        found.append(Certificate(setting=BY_NAME[setting].variable, path=path,
                                 expires_at=expires_at, days_left=(expires_at - now).days))
    return tuple(found)


def _age(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(int((now - moment).total_seconds()), 0)


def _span(seconds: int) -> str:
    """An age as an operator reads it, in its two largest units: "40 s", "12 min", "2 d 1 h"."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count or (parts and len(parts) < 2):
            parts.append(f"{count} {unit}")
        if len(parts) == 2:
            break
    parts = [part for part in parts if not part.startswith("0 ")]
    return " ".join(parts) or "0 s"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
