"""`flask ingest` as the worker runs it: IDLE delivers within seconds, a dropped link heals."""
import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from helpdesk.adapters.imap import ImapSession
from helpdesk.extensions import db
from helpdesk.models import MailboxState, Ticket
from helpdesk.services.intake.ingest import ingest_forever
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import make_mail


def wait_until(condition, timeout: float = 10) -> float:
    """Seconds until condition() held, looking at what other connections committed."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        db.session.rollback()
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def tickets_with(subject: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Ticket.subject == subject))


@pytest.fixture
def worker(app, mailbox):
    """ingest_forever in a thread with a stop event, started once the test is set up."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def run():
        with app.app_context():
            try:
                ingest_forever(stop, clock=lambda: datetime.now(UTC))
            except BaseException as error:  # reported by the fixture
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, daemon=True)

    def start():
        thread.start()
        wait_until(lambda: db.session.scalar(sa.select(MailboxState.id)) is not None)

    yield start
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive(), "the worker did not stop when asked"
    assert errors == []


def test_idle_delivers_a_new_message_within_seconds(app, mailbox, worker):
    make_contact(email="ann@customer.example")
    assert app.config["IMAP_POLL_SECONDS"] == 30  # so only IDLE can be this quick
    worker()
    for n in range(3):
        mailbox.append(make_mail("ann@customer.example", f"Idle {n}"))
        assert wait_until(lambda n=n: tickets_with(f"Idle {n}") == 1) < 5


def test_without_idle_the_worker_polls_at_the_configured_interval(app, mailbox, worker,
                                                                  monkeypatch):
    make_contact(email="ann@customer.example")
    monkeypatch.setattr(ImapSession, "can_idle", property(lambda self: False))
    app.config["IMAP_POLL_SECONDS"] = 0.3
    worker()
    mailbox.append(make_mail("ann@customer.example", "Polled"))
    assert wait_until(lambda: tickets_with("Polled") == 1) < 5


def test_worker_reconnects_after_the_server_drops_the_connection(app, mailbox, worker):
    make_contact(email="ann@customer.example")
    worker()
    mailbox.server.kick()
    mailbox.append(make_mail("ann@customer.example", "After the drop"))
    assert wait_until(lambda: tickets_with("After the drop") == 1) < 8


def test_mail_that_arrives_during_a_pass_is_taken_at_once_not_at_the_idle_renewal(
        app, mailbox, worker, monkeypatch):
    """The server announces it to one of the pass's own commands, which IDLE never sees."""
    make_contact(email="ann@customer.example")
    worker()
    marking = ImapSession.mark_processed
    appended = []

    def mark_and_receive(self, uids):
        if not appended:  # within the first pass that takes mail, more arrives
            appended.append(mailbox.append(make_mail("ann@customer.example", "Meanwhile")))
        return marking(self, uids)

    monkeypatch.setattr(ImapSession, "mark_processed", mark_and_receive)
    mailbox.append(make_mail("ann@customer.example", "First"))
    assert wait_until(lambda: tickets_with("Meanwhile") == 1) < 5
