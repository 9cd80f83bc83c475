"""An outage is said once when it starts and once when it ends; retries back off meanwhile."""
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk import outages
from helpdesk.adapters.imap import MailboxError
from helpdesk.extensions import db
from helpdesk.jobs import Job, run_forever
from helpdesk.models import Ticket
from helpdesk.outages import OutageTracker
from helpdesk.services.intake.ingest import ingest_forever
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail
from tests.fixtures.ports import free_port
from tests.fixtures.tcp_proxy import FaultyProxy

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _database_down() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, Exception(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?"))


def _lines(caplog, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if text in r.getMessage()]


@pytest.fixture
def quick_backoff(monkeypatch):
    monkeypatch.setattr(outages, "BACKOFF_FIRST_SECONDS", 0.02)
    monkeypatch.setattr(outages, "BACKOFF_MAX_SECONDS", 0.1)


def test_an_outage_is_logged_once_with_its_start_and_once_when_it_ends(caplog):
    tracker = OutageTracker(logging.getLogger("test.outages"))
    with caplog.at_level(logging.DEBUG, logger="test.outages"):
        for second in range(5):
            tracker.failed("sla-sweep", _database_down(), NOW + timedelta(seconds=second))
            tracker.failed("stats-rollup", _database_down(), NOW + timedelta(seconds=second))
        tracker.succeeded("sla-sweep", NOW + timedelta(minutes=2, seconds=5))
        tracker.succeeded("stats-rollup", NOW + timedelta(minutes=2, seconds=6))

    assert [r.getMessage() for r in caplog.records] == [
        "database down since 2026-11-30 09:00:00 UTC: connection to server at \"127.0.0.1\", "
        "port 5432 failed: Connection refused; retrying with backoff",
        "database back at 2026-11-30 09:02:05 UTC, down for 2 min 5 s "
        "(since 2026-11-30 09:00:00 UTC)",
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_retries_back_off_from_one_second_to_a_minute():
    tracker = OutageTracker(logging.getLogger("test.outages"))
    delays = []
    for _ in range(9):
        tracker.failed("ingest", MailboxError("IMAP connect failed"), NOW)
        delays.append(tracker.delay_seconds("ingest"))
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    tracker.succeeded("ingest", NOW)
    assert tracker.delay_seconds("ingest") == 0


def test_a_fault_of_our_own_keeps_its_traceback(caplog):
    tracker = OutageTracker(logging.getLogger("test.outages"))
    with caplog.at_level(logging.DEBUG, logger="test.outages"):
        tracker.failed("sla-sweep", KeyError("category"), NOW)
    [record] = caplog.records
    assert record.exc_info and "sla-sweep failed" in record.getMessage()
    assert not tracker.is_down("sla-sweep")


def test_the_worker_says_once_that_the_database_is_down_and_once_that_it_is_back(
        app, caplog, quick_backoff):
    stop = threading.Event()
    attempts = []

    def sweep(now):
        attempts.append(now)
        if len(attempts) <= 4:
            raise _database_down()
        if len(attempts) == 6:
            stop.set()
        return "1 escalated"

    with caplog.at_level(logging.INFO, logger="helpdesk.jobs"):
        run_forever(stop, [Job("sla-sweep", sweep, 0), Job("quiet", lambda now: "", 0)])

    assert len(attempts) == 6
    assert len(_lines(caplog, "database down since")) == 1
    assert len(_lines(caplog, "database back at")) == 1
    assert not any(r.exc_info for r in caplog.records)


def test_the_ingester_says_once_the_imap_server_is_down_and_once_it_is_back(
        app, mailbox, caplog, quick_backoff):
    make_contact(email="ann@customer.example")
    port = free_port()
    app.config.update(IMAP_PORT=port, IMAP_TIMEOUT_SECONDS=2)
    stop = threading.Event()

    def run():
        with app.app_context():
            ingest_forever(stop, clock=lambda: datetime.now(UTC))
            db.session.remove()

    mailbox.append(make_mail("ann@customer.example", "After the outage"))
    with caplog.at_level(logging.INFO, logger="helpdesk.services.intake.ingest"):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        time.sleep(1)  # several attempts against a port where nothing listens
        proxy = FaultyProxy(mailbox.server.port, port=port)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not _ticketed("After the outage"):
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(10)
            proxy.close()

    assert _ticketed("After the outage")
    assert len(_lines(caplog, "IMAP server down since")) == 1
    assert len(_lines(caplog, "IMAP server back at")) == 1
    assert not any(r.exc_info for r in caplog.records)


def _ticketed(subject: str) -> bool:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(Ticket.subject == subject)) == 1


def test_the_worker_says_an_outage_once_though_its_jobs_and_its_ingestion_both_meet_it(
        app, caplog, quick_backoff):
    """The periodic jobs and the ingestion beside them share the database: one outage, one
    'down since' line and one 'back' line, not one pair per thread."""
    stop, down, ingestion_failed = threading.Event(), threading.Event(), threading.Event()
    down.set()
    sweeps = []

    def sweep(now):
        sweeps.append(now)
        if down.is_set():
            raise _database_down()
        return "1 escalated"

    def ingestion(stop_ingesting, clock, tracker=None):
        tracker = tracker or OutageTracker(logging.getLogger("helpdesk.services.intake.ingest"))
        while not stop_ingesting.is_set():
            if down.is_set():
                tracker.failed("ingesting INBOX", _database_down(), clock())
                ingestion_failed.set()
            else:
                tracker.succeeded("ingesting INBOX", clock())
            stop_ingesting.wait(0.02)

    def recover():
        ingestion_failed.wait(5)
        time.sleep(0.1)  # both have failed a few times
        down.clear()
        time.sleep(0.3)  # both have succeeded again
        stop.set()

    threading.Thread(target=recover, daemon=True).start()
    with caplog.at_level(logging.INFO):
        run_forever(stop, [Job("sla-sweep", sweep, 0),
                           Job("mail-ingest", lambda now: "", 0, forever=ingestion)])

    assert len(_lines(caplog, "database down since")) == 1
    assert len(_lines(caplog, "database back at")) == 1
