"""The demo desk and the bulk tickets the benchmarks seed."""
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Channel, Message, MessageKind, Ticket, TicketStatus
from helpdesk.services import demo

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_bulk_tickets_have_about_five_messages_and_some_wait_unanswered(app):
    demo.seed_demo(NOW)
    before = (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
              db.session.scalar(sa.select(sa.func.count()).select_from(Message)))
    new_before = db.session.scalar(sa.select(sa.func.count()).where(
        Ticket.status == TicketStatus.NEW))
    demo.seed_bulk_tickets(600, NOW, batch_size=200)
    tickets = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) - before[0]
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Message)) - before[1]
    new = db.session.scalar(sa.select(sa.func.count()).where(
        Ticket.status == TicketStatus.NEW)) - new_before
    assert tickets == 600
    assert 4.6 < messages / tickets < 5.8
    assert 60 < new < 150  # a sixth: the queue has work


def test_every_demo_phone_ticket_opens_with_the_agents_record_of_the_call(app):
    demo.seed_demo(NOW)
    demo.seed_bulk_tickets(200, NOW, batch_size=100)
    first_kinds = db.session.execute(
        sa.select(Message.kind, Message.author_staff_id, Message.call_ended_at)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(Ticket.channel == Channel.PHONE, Message.created_at == Ticket.created_at)).all()
    assert len(first_kinds) > 10
    assert {kind for kind, _, _ in first_kinds} == {MessageKind.CALL}
    assert all(staff_id and ended_at for _, staff_id, ended_at in first_kinds)
