"""Mail handed over whole (intake, import): one commit per mail, a retry is a duplicate."""
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import HeldMessage, HeldReason, MailReceipt, Ticket
from helpdesk.services.intake.delivered import MailTooLarge, deliver
from helpdesk.services.intake.inbound_mail import MailSource, Outcome
from helpdesk.services.intake.parse_ahead import Unparsed
from helpdesk.services.intake.raw_mail import raw_bytes
from tests.fixtures.factories import make_contact
from tests.fixtures.mail import NOW, RECEIVED_AT, make_mail

SMTP = MailSource("smtp")


def test_a_delivered_mail_becomes_a_ticket_with_its_receipt_and_a_retry_is_a_duplicate(app):
    make_contact(email="ann@customer.example")
    raw = make_mail("ann@customer.example", "Export fails")

    first = deliver(raw, now=NOW, received_at=RECEIVED_AT, source=SMTP)
    again = deliver(raw, now=NOW, source=SMTP)

    assert (first.outcome, again.outcome) == (Outcome.NEW_TICKET, Outcome.DUPLICATE)
    ticket = db.session.scalars(sa.select(Ticket)).one()
    assert ticket.messages[0].created_at == RECEIVED_AT
    assert raw_bytes(ticket.messages[0].raw_mail) == raw
    assert db.session.scalars(sa.select(MailReceipt.mailbox)).all() == ["smtp"]


def test_a_mail_the_parser_gave_up_on_is_held_as_unparsable_with_its_bytes(app):
    raw = b"From: x@y.example\r\n\r\nbody"

    result = deliver(raw, now=NOW, source=SMTP, parsed=Unparsed("ParseTimeout: too long"))

    held = db.session.scalars(sa.select(HeldMessage)).one()
    assert (result.outcome, held.reason) == (Outcome.HELD, HeldReason.UNPARSABLE)
    assert held.detail == "delivered by smtp; ParseTimeout: too long"
    assert raw_bytes(held.raw_mail) == raw


def test_a_mail_over_the_size_limit_is_refused_whole(app):
    app.config["MAX_MESSAGE_BYTES"] = 100

    with pytest.raises(MailTooLarge):
        deliver(make_mail("ann@customer.example", body="x" * 200), now=NOW, source=SMTP)

    assert db.session.scalars(sa.select(MailReceipt)).all() == []


def test_a_pool_with_no_connection_free_leaves_the_mail_to_be_retried_not_held(app):
    make_contact(email="ann@customer.example")
    db.session.commit()
    db.session.close()  # the next statement checks a connection out of the pool
    failures = [sa.exc.TimeoutError("QueuePool limit reached, connection timed out")]

    def first_checkout_fails(dbapi_connection, record, proxy):
        if failures:  # the pool had none for the mail, and one again for its hold
            raise failures.pop()

    sa.event.listen(db.engine.pool, "checkout", first_checkout_fails)
    try:
        with pytest.raises(sa.exc.TimeoutError):
            deliver(make_mail("ann@customer.example", "Export fails"), now=NOW, source=SMTP)
    finally:
        sa.event.remove(db.engine.pool, "checkout", first_checkout_fails)

    assert db.session.scalars(sa.select(HeldMessage)).all() == []
    assert db.session.scalars(sa.select(MailReceipt)).all() == []
