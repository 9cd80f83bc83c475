"""The catcher stands in for the SMTP server: mail claimed, caught and marked sent as ever."""
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import CaughtMail, Channel, OutboxMessage, OutboxState
from helpdesk.services.mail_out import catcher, outbox
from helpdesk.services.mail_out.sender import send_due_mail, send_job
from helpdesk.services.notifications import customer_mail
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact


@pytest.fixture
def catching(app):
    """The catcher on, as create_app decides it for a development desk without a server."""
    app.config["MAIL_CATCHER"] = True
    return app


def _acknowledged(contact, now):
    ticket, _ = lifecycle.open_ticket(
        raised_by=contact, subject="Export fails", category="bug", channel=Channel.EMAIL,
        body_text="It breaks", received_at=now, now=now,
        message_id=f"{uuid.uuid4().hex}@customer.example")
    mail = customer_mail.queue_acknowledgement(ticket, now)
    db.session.commit()
    return ticket, mail


def _caught() -> list[CaughtMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(CaughtMail).order_by(CaughtMail.id)))


def test_an_acknowledgement_is_caught_whole_and_its_outbox_row_is_sent(catching, now):
    contact = make_contact(language="nl")
    ticket, mail = _acknowledged(contact, now)

    report = send_due_mail(now)

    assert report.sent == 1
    [caught] = _caught()
    assert caught.outbox_message_id == mail.id
    assert now <= caught.caught_at < now + timedelta(minutes=1)  # the batch's clock ran on
    assert caught.envelope_from == "support@desk.example"
    assert caught.recipients == [contact.email]
    assert caught.subject == f"[#{ticket.number}] Export fails"
    message = message_from_bytes(caught.raw, policy=policy.default)
    assert message["Message-ID"].strip() == f"<{mail.smtp_message_id}>"
    assert "uiterlijk" in message.get_body(("plain",)).get_content()
    row = db.session.get(OutboxMessage, mail.id)
    assert row.state == OutboxState.SENT and row.sent_at == now and row.attempts == 1
    assert row.claimed_until is None


def test_the_worker_job_sends_to_the_catcher_when_there_is_no_server(catching, now):
    _acknowledged(make_contact(), now)
    assert str(send_job(now)) == "1 sent"
    assert len(_caught()) == 1


def test_the_loop_brake_counts_caught_mail(catching, now):
    contact = make_contact()
    limit = catching.config["AUTOMATIC_MAILS_PER_RECIPIENT_PER_HOUR"]
    for n in range(limit + 1):
        outbox.queue_mail(to_address=contact.email, kind="due_soon", subject=f"Mail {n}",
                          body_text="Hello", now=now)
    db.session.commit()

    report = send_due_mail(now)

    assert (report.sent, report.held_back) == (limit, 1)
    assert len(_caught()) == limit


def test_only_the_newest_caught_mails_are_kept(catching, now):
    earlier = now - timedelta(hours=1)
    db.session.execute(sa.insert(CaughtMail), [
        {"caught_at": earlier, "envelope_from": "support@desk.example", "recipients": ["a@b"],
         "subject": f"Old {n}", "raw": b"Subject: old\r\n\r\n"} for n in range(catcher.KEEP)])
    db.session.commit()
    oldest_id = min(mail.id for mail in _caught())
    _acknowledged(make_contact(), now)

    send_due_mail(now)

    kept = _caught()
    assert len(kept) == catcher.KEEP
    assert oldest_id not in {mail.id for mail in kept}
    assert kept[-1].caught_at >= now and kept[0].subject == "Old 1"


def test_clearing_deletes_every_caught_mail_and_says_how_many(catching, now):
    _acknowledged(make_contact(), now)
    _acknowledged(make_contact(), now)
    send_due_mail(now)
    assert catcher.clear_caught() == 2
    assert _caught() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state == OutboxState.SENT)) == 2
