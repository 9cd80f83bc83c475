"""The watchdog: each trigger opens one incident, told once by a channel that still works, and
once more when it is resolved; staff pages show it to admins and managers."""
import json
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.jobs import JOBS, run_job
from helpdesk.models import (
    Backup,
    BackupState,
    JobHeartbeat,
    OutboxMessage,
    StaffRole,
    WatchdogIncident,
)
from helpdesk.services.intake import ingest
from helpdesk.services.mail_out import outbox
from helpdesk.services.operations import watchdog
from tests.conftest import sign_in
from tests.fixtures.factories import make_staff
from tests.fixtures.ports import free_port
from tests.fixtures.processes import flask_env
from tests.fixtures.smtp import use_mail_settings

JOB = {job.name: job for job in JOBS}


class _Recorder(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook(app):
    """A real HTTP endpoint on loopback that keeps what the watchdog posts to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.posts = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["WATCHDOG_WEBHOOK_URL"] = f"http://127.0.0.1:{server.server_port}/hook"
    yield server.posts
    server.shutdown()


@pytest.fixture
def told(app):
    """An admin (English) and a manager (Dutch) who are told; an agent who is not."""
    return {"admin": make_staff(StaffRole.ADMIN, email="ada@desk.example", language="en"),
            "manager": make_staff(StaffRole.MANAGER, email="max@desk.example", language="nl"),
            "agent": make_staff(StaffRole.AGENT, email="aga@desk.example")}


def _watchdog_mail() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "watchdog")
                                   .order_by(OutboxMessage.id)))


def _incidents() -> list[WatchdogIncident]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(WatchdogIncident).order_by(WatchdogIncident.id)))


def test_a_mailbox_that_refuses_the_login_is_told_by_mail_once_and_once_resolved(
        app, mailbox, told, webhook, now):
    ingest.ingest_job(now)  # a pass that works: the folder's state exists
    app.config["IMAP_PASSWORD"] = "not-the-password"
    with pytest.raises(ingest.MailboxError):
        ingest.ingest_job(now + timedelta(minutes=1))

    assert str(watchdog.check(now + timedelta(minutes=1))).startswith(
        "opened mailbox-login-refused:")
    watchdog.check(now + timedelta(minutes=2))  # still refused: nothing more is said

    [incident] = _incidents()
    assert incident.kind == watchdog.MAILBOX_LOGIN and "refused" in incident.detail
    mails = _watchdog_mail()
    assert [(m.to_address, m.subject) for m in mails] == [
        ("ada@desk.example", "[Service desk] The mailbox refuses the desk's login"),
        ("max@desk.example",
         "[Servicedesk] De mailbox weigert de aanmelding van de servicedesk")]
    assert [post["event"] for post in webhook] == ["opened"]

    app.config["IMAP_PASSWORD"] = mailbox.config()["IMAP_PASSWORD"]
    ingest.ingest_job(now + timedelta(minutes=3))
    assert str(watchdog.check(now + timedelta(minutes=3))) == "resolved mailbox-login-refused"
    watchdog.check(now + timedelta(minutes=4))
    assert [m.subject for m in _watchdog_mail()][2:] == [
        "[Service desk] Resolved: The mailbox refuses the desk's login",
        "[Servicedesk] Opgelost: De mailbox weigert de aanmelding van de servicedesk"]
    assert [post["event"] for post in webhook] == ["opened", "resolved"]


def test_mail_not_fetched_for_the_watchdog_minutes_is_an_incident(app, mailbox, told, now):
    ingest.ingest_job(now)
    with mailbox.server.client() as client:  # the folder is gone: every pass fails
        client.delete_folder(mailbox.folder)
    with pytest.raises(ingest.MailboxError):
        ingest.ingest_job(now + timedelta(minutes=5))

    minutes = app.config["WATCHDOG_MAIL_MINUTES"]
    assert not watchdog.check(now + timedelta(minutes=minutes))
    report = watchdog.check(now + timedelta(minutes=minutes, seconds=1))
    assert [key.partition(":")[0] for key in report.opened] == ["mail-not-fetched"]
    [incident] = _incidents()
    assert "since 2026-11-30 09:00 UTC; the last error: MailboxError" in incident.detail
    assert len(_watchdog_mail()) == 2  # the outbox works: mail tells the admin and manager


def test_an_outbox_that_cannot_send_for_15_minutes_is_told_by_webhook_and_not_by_mail(
        app, told, webhook, start_smtp_server, now):
    use_mail_settings(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                      MAIL_SECURITY="none", MAIL_TIMEOUT_SECONDS=2)
    outbox.queue_mail(to_address="ada@desk.example", kind="reply", subject="Re: export",
                      body_text="Fixed.", now=now)
    db.session.commit()
    run_job(JOB["outbox-send"], now)  # the SMTP server is down

    assert not watchdog.check(now + timedelta(minutes=14))
    assert watchdog.check(now + timedelta(minutes=15)).opened == ("outbox-not-sending:",)
    watchdog.check(now + timedelta(minutes=16))
    assert [post["event"] for post in webhook] == ["opened"]
    assert webhook[0]["title"] == "The desk cannot send mail"
    assert "the last error" in webhook[0]["detail"]
    assert _watchdog_mail() == []  # mail is what fails: the banner and the webhook tell

    server = start_smtp_server()
    use_mail_settings(app, **server.mail_config())
    later = now + timedelta(minutes=20)
    run_job(JOB["outbox-send"], later)
    assert [arrival.message["Subject"] for arrival in server.arrivals] == ["Re: export"]
    assert watchdog.check(later).resolved == (watchdog.OUTBOX_STUCK,)
    assert [post["event"] for post in webhook] == ["opened", "resolved"]


def test_a_stopped_worker_is_told_by_mail_sent_at_once_since_the_outbox_waits_for_it(
        app, told, webhook, smtp_server, processes):
    app.config["WORKER_LEASE"] = timedelta(seconds=3)  # the desk's setting, here as there
    worker = processes(flask_env(app, WORKER_LEASE="3s", MAIL_SERVER="127.0.0.1",
                                 MAIL_PORT=str(smtp_server.port), MAIL_SECURITY="none"),
                       "worker", "--jobs", "sla-sweep,outbox-send")
    worker.wait_for("Worker running")
    deadline = time.monotonic() + 30
    while db.session.scalar(sa.select(sa.func.count()).select_from(JobHeartbeat)
                            .where(JobHeartbeat.lease_holder.is_not(None))) < 2:
        assert time.monotonic() < deadline, worker.output
        db.session.rollback()
        time.sleep(0.1)
    worker.end(signal.SIGKILL)

    now = datetime.now(UTC)
    assert not watchdog.check(now)  # its leases still run
    six_seconds_on = now + timedelta(seconds=6.5)  # the lease (3 s) and as long again
    assert watchdog.check(six_seconds_on).opened == ("worker-stopped:",)
    [incident] = _incidents()
    assert incident.detail.startswith("no worker has run outbox-send, sla-sweep since ")
    assert sorted(a.rcpt_tos[0] for a in smtp_server.arrivals) == [
        "ada@desk.example", "max@desk.example"]
    assert [post["event"] for post in webhook] == ["opened"]


def test_a_backup_older_than_two_intervals_is_an_incident(app, told, now):
    interval = app.config["BACKUP_INTERVAL"]
    db.session.add(Backup(started_at=now - 2 * interval, finished_at=now - 2 * interval,
                          state=BackupState.VERIFIED, path="/backups/old"))
    db.session.commit()
    assert not watchdog.check(now)
    assert watchdog.check(now + timedelta(minutes=1)).opened == ("backup-too-old:",)
    assert [m.to_address for m in _watchdog_mail()] == ["ada@desk.example", "max@desk.example"]


def test_two_checks_at_once_open_and_tell_an_incident_once(app, told, now):
    db.session.add(Backup(started_at=now - timedelta(days=3), state=BackupState.VERIFIED,
                          path="/backups/old"))
    db.session.commit()
    watchdog.check(now)
    watchdog.check(now)
    assert len(_incidents()) == 1 and len(_watchdog_mail()) == 2


def test_staff_pages_show_admins_and_managers_the_incidents_and_not_agents(
        app, client, told, now):
    db.session.add(Backup(started_at=datetime.now(UTC) - timedelta(days=3),
                          state=BackupState.VERIFIED, path="/backups/old"))
    db.session.commit()
    watchdog.check(datetime.now(UTC))

    sign_in(client, told["manager"])
    page = client.get("/desk/").get_data(as_text=True)
    assert 'id="watchdog-banner"' in page and "De laatste back-up is te oud" in page
    sign_in(client, told["agent"])
    assert 'id="watchdog-banner"' not in client.get("/desk/").get_data(as_text=True)


def test_a_stopped_worker_shows_on_the_staff_pages_before_any_check_ran(app, told, now):
    from helpdesk.services.operations import heartbeats

    heartbeats.claim(["sla-sweep"], "host-a:1", now - timedelta(minutes=5), timedelta(seconds=60))
    [notice] = watchdog.notices(now)
    assert (notice.kind, notice.resolved_at) == (watchdog.WORKER_STOPPED, None)
