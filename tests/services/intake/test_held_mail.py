"""Held mail decisions: each is kept with who and when; handled mail is hidden, not deleted."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    Category,
    Channel,
    Contact,
    Message,
    OutboxMessage,
    TicketStatus,
)
from helpdesk.services import Refusal
from helpdesk.services.intake import held_mail
from helpdesk.services.tickets import desk
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.held import make_held_message, raw_mail

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _audit():
    return [(e.action, e.staff_id, e.at) for e in db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "held_message")
        .order_by(AuditEntry.id))]


def test_open_ticket_for_a_chosen_super_user_with_text_attachments_and_receipt_time(app):
    held = make_held_message(raw_mail(attachment=("trace.log", b"stack")))
    contact, agent = make_contact(), make_staff()
    ticket = held_mail.open_ticket(held, agent, contact.id, Category.BUG, NOW)
    assert ticket.raised_by == contact and ticket.channel == Channel.EMAIL
    assert ticket.subject == "Export is broken"  # the category marker is not part of it
    assert ticket.created_at == held.received_at
    message = db.session.scalar(sa.select(Message).where(Message.ticket_id == ticket.id))
    assert message.body_text.strip() == "The export fails."
    assert message.raw_mail == held.raw_mail and message.message_id == held.message_id
    assert [a.filename for a in db.session.scalars(sa.select(Attachment))] == ["trace.log"]
    assert held.resolved_by_id == agent.id and held.resolved_at == NOW
    assert held.resolution == f"opened ticket #{ticket.number}"
    assert _audit() == [("held_open_ticket", agent.id, NOW)]
    assert db.session.scalar(sa.select(OutboxMessage.kind)) == "acknowledgement"


def test_add_to_a_ticket_makes_it_a_customer_message_that_reopens_the_clock(app):
    organisation = make_organisation()
    ticket, agent = make_ticket(raised_by=make_contact(organisation), now=NOW), make_staff()
    desk.reply(ticket, agent, "Could you send the log?", NOW)
    colleague = make_contact(organisation, email="colleague@customer.example",
                             is_super_user=False)
    held = make_held_message(raw_mail(sender="colleague@customer.example", text="Here it is"),
                             sender="colleague@customer.example")
    later = NOW + timedelta(hours=1)
    assert held_mail.add_to_ticket(held, agent, ticket.number, later) == ticket
    message = db.session.scalars(sa.select(Message).where(Message.ticket_id == ticket.id)
                                 .order_by(Message.id)).all()[-1]
    assert (message.sender, message.author_contact_id) == (held.sender, colleague.id)
    assert ticket.status == TicketStatus.OPEN and ticket.response_due_at is not None
    assert "held_mail_added" in [e.action for e in ticket.events]
    assert held.resolution == f"added to ticket #{ticket.number}"


def test_register_sender_makes_a_contact_and_leaves_the_mail_waiting(app):
    organisation = make_organisation(slug="acme")
    held, agent = make_held_message(), make_staff()
    contact = held_mail.register_sender(held, agent, "acme", "Stan Ger", True, NOW)
    assert contact == db.session.scalar(sa.select(Contact).filter_by(
        email="stranger@elsewhere.example"))
    assert contact.organisation == organisation and contact.is_super_user
    assert held.resolved_at is None
    assert _audit() == [("held_register_sender", agent.id, NOW)]
    # Now the agent can open the ticket for the new super-user.
    held_mail.open_ticket(held, agent, contact.id, Category.QUESTION, NOW)


def test_dismissed_mail_is_kept_but_hidden_and_cannot_be_decided_twice(app):
    held, agent = make_held_message(), make_staff()
    held_mail.dismiss(held, agent, NOW)
    assert held_mail.held_page(1).messages == []
    assert held_mail.held_page(1, include_handled=True).messages == [held]
    for decide in (lambda: held_mail.dismiss(held, agent, NOW),
                   lambda: held_mail.open_ticket(held, agent, make_contact().id,
                                                 Category.BUG, NOW),
                   lambda: held_mail.add_to_ticket(held, agent, 1, NOW)):
        with pytest.raises(Refusal, match="al afgehandeld"):
            decide()
    assert [entry.detail for entry, _ in held_mail.decisions(held)] == ["dismissed"]


def test_reading_the_source_is_audited(app):
    held, agent = make_held_message(raw_mail(subject="Raw")), make_staff()
    assert b"Subject: Raw" in held_mail.read_raw(held, agent, NOW)
    assert _audit() == [("held_view_raw", agent.id, NOW)]
    assert held_mail.decisions(held) == []


def test_a_ticket_is_only_opened_for_a_super_user(app):
    held = make_held_message()
    with pytest.raises(Refusal, match="superuser"):
        held_mail.open_ticket(held, make_staff(), make_contact(is_super_user=False).id,
                              Category.BUG, NOW)
    assert held.resolved_at is None
