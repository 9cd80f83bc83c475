"""The demo desk and the bulk tickets the benchmarks seed."""
from datetime import UTC, datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Channel,
    Message,
    MessageKind,
    OutboxMessage,
    ResponseRecord,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from helpdesk.services import demo
from helpdesk.services.escalation import sweep

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


def _queued() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def test_the_bulk_history_is_settled_so_the_first_sweep_mails_nobody_about_the_past(app):
    demo.seed_demo(NOW)
    demo.seed_bulk_tickets(600, NOW, batch_size=200)
    overdue = db.session.scalars(sa.select(Ticket).where(
        Ticket.status == TicketStatus.NEW, Ticket.response_due_at <= NOW)).all()
    assert len(overdue) > 50
    before = _queued()
    sweep.sweep(NOW)
    assert _queued() == before
    # The history says what the sweep would have done: the due-soon warning and the breach
    # happened at their moments, and the breach counts.
    db.session.expire_all()
    ticket = overdue[0]
    events = db.session.scalars(sa.select(TicketEvent).filter_by(ticket_id=ticket.id)
                                .where(TicketEvent.once_key.is_not(None))
                                .order_by(TicketEvent.at)).all()
    assert [(e.action, e.at) for e in events] == [("due_soon", ticket.due_soon_at),
                                                 ("breached", ticket.response_due_at)]
    assert ticket.breached and ticket.due_soon and ticket.next_escalation_at is None
    assert db.session.scalar(sa.select(ResponseRecord.breached)
                             .filter_by(ticket_id=ticket.id)) is True


def test_tickets_still_due_keep_their_escalations(app):
    demo.seed_demo(NOW)
    demo.seed_bulk_tickets(600, NOW, batch_size=200)
    waiting = db.session.execute(sa.select(Ticket.id, Ticket.due_soon_at, Ticket.response_due_at)
                                 .where(Ticket.status == TicketStatus.NEW,
                                        Ticket.response_due_at > NOW)).all()
    assert waiting  # the demo desk's own fresh tickets at least
    sweep.sweep(NOW)
    # A worker that keeps running: a sweep at every moment due.
    for moment in sorted({m for _, *moments in waiting for m in moments if m > NOW}):
        sweep.sweep(moment)
    mailed = db.session.execute(sa.select(OutboxMessage.ticket_id, OutboxMessage.kind)
                                .where(OutboxMessage.kind.in_(["due_soon", "breach"]))).all()
    assert {(ticket_id, kind) for ticket_id, kind in mailed} == {
        (ticket_id, kind) for ticket_id, *_ in waiting for kind in ("due_soon", "breach")}
