"""The desk's status: figures read from the rows the desk keeps, judged by one set of rules."""
import json
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Backup,
    BackupState,
    HeldMessage,
    HeldReason,
    MailboxState,
    OutboxMessage,
    OutboxState,
)
from helpdesk.services.operations import heartbeats
from helpdesk.services.operations.status import desk_status

MAILBOX = "desk@imap.desk.example:993/INBOX"
JOBS = ("mail-ingest", "outbox-send", "sla-sweep")


@pytest.fixture
def healthy(app, now):
    """A desk whose worker runs every job, whose mailbox was read a minute ago and whose
    backup was verified last night."""
    app.config.update(IMAP_HOST="imap.desk.example", IMAP_PORT=993, IMAP_USER="desk",
                      IMAP_FOLDER="INBOX")
    heartbeats.claim(JOBS, "worker-1:42", now - timedelta(seconds=10), timedelta(seconds=60))
    for job in JOBS:
        heartbeats.pass_started(job, now - timedelta(minutes=2))
        heartbeats.pass_finished(job, now - timedelta(minutes=2),
                                 now - timedelta(minutes=2) + timedelta(milliseconds=250))
    db.session.add(MailboxState(mailbox=MAILBOX, uidvalidity=1, last_uid=7, mail_waiting=0,
                                last_pass_at=now - timedelta(minutes=1)))
    db.session.add(_backup(now - timedelta(hours=9), BackupState.VERIFIED))
    db.session.commit()


def _one(model):
    return db.session.scalars(sa.select(model)).one()


def _backup(started_at: datetime, state: BackupState) -> Backup:
    """A backup whose snapshot was taken at `started_at` (its age counts from there)."""
    return Backup(started_at=started_at, finished_at=started_at + timedelta(minutes=3),
                  state=state, path=f"/backups/{started_at:%Y%m%d%H%M}")


def _outbox(created_at: datetime, state: OutboxState = OutboxState.PENDING) -> OutboxMessage:
    return OutboxMessage(kind="reply", to_address="eva@acme.example", subject="Re: export",
                         body_text="Fixed.", smtp_message_id=f"<{created_at.timestamp()}@desk>",
                         state=state, next_attempt_at=created_at, created_at=created_at)


def _held(now: datetime, reason: HeldReason, resolved: bool = False) -> HeldMessage:
    return HeldMessage(sender="x@spam.example", subject="hi", reason=reason,
                       received_at=now - timedelta(hours=1),
                       resolved_at=now if resolved else None)


def test_a_desk_whose_worker_mail_and_backup_are_recent_has_no_problem(healthy, now):
    status = desk_status(now)
    assert status.problems == ()
    assert status.ok
    assert status.mail.last_success_at == now - timedelta(minutes=1)
    assert status.mail.last_success_age_seconds == 60
    assert status.backup.age_seconds == 9 * 3600
    assert [(job.job, job.live, job.holder, job.last_duration_ms) for job in status.jobs] == [
        (job, True, "worker-1:42", 250) for job in JOBS]


def test_the_mail_figures_count_waiting_failing_and_held_mail(healthy, now):
    state = _one(MailboxState)
    state.mail_waiting = 3
    db.session.add_all([_held(now, HeldReason.UNKNOWN_SENDER), _held(now, HeldReason.UNPARSABLE),
                        _held(now, HeldReason.TOO_LARGE),
                        _held(now, HeldReason.UNPARSABLE, resolved=True)])
    db.session.commit()
    mail = desk_status(now).mail
    assert (mail.waiting_on_server, mail.held_waiting, mail.held_unreadable) == (3, 3, 2)


def test_a_mailbox_not_read_for_longer_than_the_watchdog_allows_is_a_problem(app, healthy, now):
    later = now + timedelta(minutes=app.config["WATCHDOG_MAIL_MINUTES"], seconds=1)
    heartbeats.claim(JOBS, "worker-1:42", later, timedelta(seconds=60))
    assert desk_status(later).problems == (
        f"mail: no successful pass over {MAILBOX} for 16 min 1 s",)


def test_a_failed_mail_pass_is_a_problem_with_its_error(healthy, now):
    state = _one(MailboxState)
    state.last_error = "MailboxError: authentication failed"
    db.session.commit()
    assert desk_status(now).problems == (
        f"mail: the last pass over {MAILBOX} failed: MailboxError: authentication failed",)


def test_a_desk_without_a_mailbox_judges_no_mail_pass(app, now):
    heartbeats.claim(["sla-sweep"], "worker-1:42", now, timedelta(seconds=60))
    db.session.add(_backup(now - timedelta(hours=1), BackupState.VERIFIED))
    db.session.commit()
    status = desk_status(now)
    assert status.mail.mailbox is None
    assert status.problems == ()


def test_the_outbox_backlog_is_a_problem_once_its_oldest_mail_waited_half_an_hour(healthy, now):
    db.session.add_all([_outbox(now - timedelta(minutes=31)), _outbox(now - timedelta(minutes=2)),
                        _outbox(now - timedelta(days=3), OutboxState.SENT),
                        _outbox(now - timedelta(days=2), OutboxState.FAILED)])
    db.session.commit()
    status = desk_status(now)
    assert (status.outbox.waiting, status.outbox.oldest_waiting_age_seconds,
            status.outbox.failed) == (2, 31 * 60, 1)
    assert status.problems == ("outbox: 2 mail(s) waiting, the oldest for 31 min",)


def test_mail_waiting_less_than_half_an_hour_is_no_problem(healthy, now):
    db.session.add(_outbox(now - timedelta(minutes=29)))
    db.session.commit()
    assert desk_status(now).problems == ()


def test_a_job_no_worker_holds_and_a_job_whose_last_pass_failed_are_problems(healthy, now):
    heartbeats.release(["outbox-send"], "worker-1:42", now)
    heartbeats.pass_started("sla-sweep", now - timedelta(seconds=30))
    heartbeats.pass_finished("sla-sweep", now - timedelta(seconds=30), now - timedelta(seconds=29),
                             RuntimeError("database is locked"))
    assert desk_status(now).problems == (
        "job outbox-send: no worker runs it",
        "job sla-sweep: its last pass failed: RuntimeError: database is locked")


def test_a_desk_where_no_job_ever_ran_says_to_start_the_worker(app, now):
    db.session.add(_backup(now - timedelta(hours=1), BackupState.VERIFIED))
    db.session.commit()
    assert desk_status(now).problems == (
        "worker: no job has run yet (is `flask worker` running?)",)


def test_the_backup_age_counts_only_verified_backups(healthy, now):
    db.session.add(_backup(now - timedelta(hours=1), BackupState.FAILED))
    db.session.commit()
    backup = desk_status(now).backup
    assert (backup.age_seconds, backup.last_failed_at) == (
        9 * 3600, now - timedelta(hours=1) + timedelta(minutes=3))


def test_a_verified_backup_older_than_two_intervals_is_a_problem(app, healthy, now):
    later = now + 2 * app.config["BACKUP_INTERVAL"] - timedelta(hours=8)
    heartbeats.claim(JOBS, "worker-1:42", later, timedelta(seconds=60))
    _one(MailboxState).last_pass_at = later
    db.session.commit()
    assert desk_status(later).problems == ("backup: the last verified backup is 2 d 1 h old",)


def test_no_verified_backup_at_all_is_a_problem(healthy, now):
    db.session.execute(sa.delete(Backup))
    db.session.commit()
    assert desk_status(now).problems == ("backup: no verified backup yet",)


def _expiry(path: str) -> datetime:
    """The certificate's notAfter as openssl itself reads it."""
    out = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in", path],
                         check=True, capture_output=True, text=True).stdout
    return datetime.strptime(out.strip().removeprefix("notAfter="),
                             "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)


def test_a_certificate_expiring_within_two_weeks_is_a_problem(app, healthy, tls_certificate):
    expires_at = _expiry(tls_certificate.cert_file)
    app.config["MAIL_IN_TLS_CERT"] = tls_certificate.cert_file
    month_before = expires_at - timedelta(days=30)
    heartbeats.claim(JOBS, "worker-1:42", month_before, timedelta(seconds=60))
    _one(MailboxState).last_pass_at = month_before
    _one(Backup).started_at = month_before
    db.session.commit()
    status = desk_status(month_before)
    assert [(c.setting, c.expires_at, c.days_left) for c in status.certificates] == [
        ("HELPDESK_MAIL_IN_TLS_CERT", expires_at, 30)]
    assert status.problems == ()
    days_before = expires_at - timedelta(days=3, hours=1)
    heartbeats.claim(JOBS, "worker-1:42", days_before, timedelta(seconds=60))
    _one(MailboxState).last_pass_at = days_before
    _one(Backup).started_at = days_before
    db.session.commit()
    assert desk_status(days_before).problems == (
        f"certificate HELPDESK_MAIL_IN_TLS_CERT: expires on {expires_at:%Y-%m-%d}, in 3 day(s)",)


def test_a_certificate_file_that_holds_none_is_a_problem(app, healthy, now, tmp_path):
    bad = tmp_path / "cert.pem"
    bad.write_text("not a certificate\n")
    app.config["MAIL_IN_TLS_CERT"] = str(bad)
    assert desk_status(now).problems == (
        f"certificate HELPDESK_MAIL_IN_TLS_CERT: {bad} holds no readable certificate",)


def test_the_status_is_plain_json(healthy, now):
    db.session.add(_outbox(now - timedelta(minutes=5)))
    db.session.commit()
    shown = json.loads(json.dumps(desk_status(now).as_json()))
    assert shown["ok"] is True and shown["problems"] == []
    assert shown["checked_at"] == "2026-11-30T09:00:00+00:00"
    assert shown["mail"]["last_success_at"] == "2026-11-30T08:59:00+00:00"
    assert shown["outbox"]["waiting"] == 1
    assert shown["jobs"][0] == {
        "job": "mail-ingest", "live": True, "holder": "worker-1:42",
        "last_succeeded_at": "2026-11-30T08:58:00.250000+00:00", "last_failed_at": None,
        "last_error": None, "last_duration_ms": 250, "runs": 1, "failures": 0}
