"""The demo desk and the bulk tickets the benchmarks seed."""
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    RESOLVED_STATUSES,
    STATUS_CHANGED,
    Category,
    Channel,
    HeldMessage,
    HeldReason,
    MailReceipt,
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
from helpdesk.services.intake.raw_mail import raw_bytes

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


def _source(raw_mail):
    return message_from_bytes(raw_bytes(raw_mail), policy=policy.default)


def test_the_demo_holds_mail_of_each_kind_with_the_mail_as_it_arrived(app):
    demo.seed_demo(NOW)

    held = db.session.scalars(sa.select(HeldMessage).order_by(HeldMessage.id)).all()
    assert {h.reason for h in held} == {HeldReason.UNKNOWN_SENDER, HeldReason.NOT_SUPER_USER,
                                        HeldReason.AUTOMATIC_REPLY,
                                        HeldReason.SENDER_AUTH_FAILED}
    for message in held:
        source = _source(message.raw_mail)
        assert source["Subject"] == message.subject
        assert source["From"].addresses[0].addr_spec == message.sender
    forged = next(h for h in held if h.reason == HeldReason.SENDER_AUTH_FAILED)
    assert forged.detail.startswith("dmarc=fail")
    assert app.config["SENDER_AUTH"] == "log" and app.config["AUTHSERV_ID"] == ""  # as before
    notices = db.session.scalars(sa.select(OutboxMessage.to_address)
                                 .filter_by(kind="not_super_user")).all()
    assert notices == ["piet@acme.example"]  # told whom to ask, as in real life


def test_the_demos_email_tickets_open_with_their_mail_and_its_source(app):
    demo.seed_demo(NOW)

    openings = db.session.execute(
        sa.select(Ticket, Message).join(Message, Message.ticket_id == Ticket.id)
        .join(MailReceipt, MailReceipt.message_id == Message.id)
        .where(MailReceipt.mailbox == "demo")).all()
    assert len(openings) == 3
    for ticket, message in openings:
        source = _source(message.raw_mail)
        assert ticket.channel == Channel.EMAIL
        assert source["Message-ID"] == f"<{message.message_id}>"
        assert source["Subject"] == ticket.subject
        assert message.created_at == ticket.created_at
    eva_bug = next(t for t, _ in openings if t.raised_by.email == "eva@acme.example")
    assert eva_bug.category == Category.BUG  # mailed to support+bug@
    assert eva_bug.created_at == NOW - timedelta(hours=3)
    acknowledged = db.session.scalars(sa.select(OutboxMessage.ticket_id)
                                      .filter_by(kind="acknowledgement")).all()
    assert sorted(acknowledged) == sorted(t.id for t, _ in openings)


def test_the_demo_has_three_months_of_settled_history(app):
    demo.seed_demo(NOW)

    settled = db.session.scalars(sa.select(Ticket).where(
        Ticket.status.in_(RESOLVED_STATUSES), Ticket.created_at < NOW - timedelta(days=2))).all()
    assert len(settled) >= 200
    first = min(t.created_at for t in settled)
    assert NOW - timedelta(days=91) <= first <= NOW - timedelta(days=80)
    records = db.session.scalars(sa.select(ResponseRecord).where(
        ResponseRecord.ticket_id.in_([t.id for t in settled]))).all()
    assert len(records) == len(settled) and all(r.met_at for r in records)
    late = sum(r.breached for r in records)
    assert 0 < late < len(records) * 0.15  # a handful late, most within the promise
    resolved = db.session.scalar(sa.select(sa.func.count(TicketEvent.ticket_id.distinct())).where(
        TicketEvent.action == STATUS_CHANGED,
        TicketEvent.ticket_id.in_([t.id for t in settled])))
    assert resolved == len(settled)  # the statistics count each by its history


def test_the_historys_customer_mails_have_their_sources(app):
    demo.seed_demo(NOW)

    mailed = db.session.scalars(
        sa.select(Message).join(Ticket, Ticket.id == Message.ticket_id)
        .where(Ticket.channel == Channel.EMAIL, Message.kind == MessageKind.INBOUND,
               Ticket.created_at < NOW - timedelta(days=7))).all()
    assert len(mailed) > 100
    assert all(m.raw_mail is not None for m in mailed)
    source = _source(mailed[-1].raw_mail)
    assert source["Message-ID"] == f"<{mailed[-1].message_id}>"
    assert source.get_content().replace("\r\n", "\n").rstrip("\n") == mailed[-1].body_text


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=30)])
def test_the_first_sweep_after_seeding_sends_managers_nothing(app, later):
    demo.seed_demo(NOW)
    queued = _queued()

    result = sweep.sweep(NOW + later)

    assert result.late == [] and result.failed == 0
    kinds = db.session.scalars(sa.select(OutboxMessage.kind)
                               .where(OutboxMessage.id > queued)).all()
    assert not {"breach", "late_breaches", "calamity", "calamity_renotify"} & set(kinds)
    assert len(kinds) <= 3  # at most a due-soon warning about each fresh unanswered ticket
