"""The ticket service: every change is recorded in the ticket's history."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Channel,
    MessageKind,
    ResponseRecord,
    StaffRole,
    TicketEvent,
    TicketStatus,
)
from helpdesk.services import Refusal
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 Amsterdam
TUESDAY_TEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _open(contact=None, category=Category.BUG, at=MONDAY_TEN):
    ticket, message = lifecycle.open_ticket(
        raised_by=contact or make_contact(), subject="Export fails", category=category,
        channel=Channel.PORTAL, body_text="Steps: 1. export", received_at=at, now=at)
    db.session.commit()
    return ticket, message


def _actions(ticket):
    return [e.action for e in db.session.scalars(
        sa.select(TicketEvent).filter_by(ticket_id=ticket.id).order_by(TicketEvent.id))]


def test_open_ticket_records_creation_and_stores_the_response_due_moment(app):
    ticket, message = _open()
    assert ticket.status == TicketStatus.NEW
    assert message.kind == MessageKind.INBOUND and message.sender == ticket.raised_by.email
    assert ticket.response_due_at == TUESDAY_TEN
    assert _actions(ticket) == ["created"]
    record = db.session.scalar(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id))
    assert record.is_first and record.due_at == TUESDAY_TEN and record.met_at is None


def test_only_a_super_user_can_raise_a_ticket(app):
    with pytest.raises(Refusal, match="superuser"):
        _open(make_contact(is_super_user=False))


def test_a_ticket_cannot_be_received_in_the_future(app):
    with pytest.raises(Refusal):
        lifecycle.open_ticket(raised_by=make_contact(), subject="x", category=Category.BUG,
                            channel=Channel.PHONE, body_text="x",
                            received_at=MONDAY_TEN + timedelta(minutes=1), now=MONDAY_TEN)


def test_reply_meets_the_response_and_waits_on_the_customer(app):
    ticket, _ = _open()
    agent = make_staff()
    lifecycle.reply(ticket, agent, "Fixed.", MONDAY_TEN + timedelta(hours=2))
    db.session.commit()
    assert ticket.first_response_at == MONDAY_TEN + timedelta(hours=2)
    assert ticket.response_due_at is None and ticket.status == TicketStatus.WAITING
    record = db.session.scalar(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id))
    assert record.met_at == MONDAY_TEN + timedelta(hours=2) and not record.breached
    assert record.working_seconds_to_response == 7200
    events = db.session.scalars(sa.select(TicketEvent).filter_by(ticket_id=ticket.id)
                                .order_by(TicketEvent.id)).all()
    assert [(e.action, e.before, e.after) for e in events[1:]] == [
        ("replied", None, None), ("status", "new", "waiting")]
    assert events[1].actor_staff_id == agent.id


def test_a_late_reply_is_recorded_as_breached(app):
    ticket, _ = _open()
    lifecycle.reply(ticket, make_staff(), "Sorry.", TUESDAY_TEN + timedelta(minutes=1))
    db.session.commit()
    assert ticket.breached
    record = db.session.scalar(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id))
    assert record.breached


def test_customer_message_after_a_reply_starts_a_new_response_clock(app):
    ticket, _ = _open()
    lifecycle.reply(ticket, make_staff(), "Which browser?", MONDAY_TEN + timedelta(hours=1))
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "Firefox",
                                received_at=TUESDAY_TEN, now=TUESDAY_TEN)
    db.session.commit()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.response_due_at == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    records = db.session.scalars(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id)
                                 .order_by(ResponseRecord.id)).all()
    assert [r.is_first for r in records] == [True, False]
    assert _actions(ticket)[-2:] == ["customer_message", "status"]


def test_a_second_customer_message_keeps_the_earlier_due_moment(app):
    ticket, _ = _open()
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "More info",
                                received_at=MONDAY_TEN + timedelta(hours=3),
                                now=MONDAY_TEN + timedelta(hours=3))
    db.session.commit()
    assert ticket.response_due_at == TUESDAY_TEN


def test_a_contact_of_another_organisation_cannot_write_on_the_ticket(app):
    ticket, _ = _open()
    with pytest.raises(Refusal):
        lifecycle.add_inbound_message(ticket, make_contact(), "hi", received_at=MONDAY_TEN,
                                    now=MONDAY_TEN)


def test_note_is_internal_and_is_not_a_response(app):
    ticket, _ = _open()
    note = lifecycle.add_note(ticket, make_staff(), "Looks like the export bug", MONDAY_TEN)
    db.session.commit()
    assert note.kind == MessageKind.NOTE
    assert ticket.first_response_at is None and ticket.response_due_at == TUESDAY_TEN
    assert _actions(ticket)[-1] == "noted"


def test_assign_records_before_and_after(app):
    ticket, _ = _open()
    first, second = make_staff(name="Anna"), make_staff(name="Bram")
    manager = make_staff(StaffRole.MANAGER)
    lifecycle.assign(ticket, first, manager, MONDAY_TEN)
    lifecycle.assign(ticket, second, manager, MONDAY_TEN)
    lifecycle.assign(ticket, second, manager, MONDAY_TEN)  # no change, no event
    db.session.commit()
    events = db.session.scalars(sa.select(TicketEvent).filter_by(action="assigned")
                                .order_by(TicketEvent.id)).all()
    assert [(e.before, e.after) for e in events] == [(None, "Anna"), ("Anna", "Bram")]


def test_waiting_on_the_customer_stops_the_clock(app):
    ticket, _ = _open()
    lifecycle.set_status(ticket, TicketStatus.WAITING, make_staff(), MONDAY_TEN)
    db.session.commit()
    assert ticket.response_due_at is None and ticket.next_escalation_at is None
    assert _actions(ticket)[-1] == "status"


def test_category_change_to_calamity_recomputes_the_due_moment(app):
    ticket, _ = _open()
    lifecycle.set_category(ticket, Category.CALAMITY, make_staff(), MONDAY_TEN)
    db.session.commit()
    assert ticket.response_due_at == MONDAY_TEN + timedelta(hours=1)
    event = db.session.scalars(sa.select(TicketEvent).filter_by(action="category")).one()
    assert (event.before, event.after) == ("bug", "calamity")


def test_resolving_sets_resolved_at_and_reopening_clears_it(app):
    ticket, _ = _open()
    agent = make_staff()
    lifecycle.set_status(ticket, TicketStatus.RESOLVED, agent, MONDAY_TEN)
    assert ticket.resolved_at == MONDAY_TEN
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "Still broken",
                                received_at=TUESDAY_TEN, now=TUESDAY_TEN)
    db.session.commit()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None


def test_numbers_reserved_together_and_not_used_go_back_before_the_commit(app):
    numbers = lifecycle.TicketNumbers(reserve=5)
    taken = [numbers.take(), numbers.take()]
    numbers.give_back()
    db.session.commit()
    assert lifecycle.next_ticket_number() == taken[-1] + 1
    assert taken == [taken[0], taken[0] + 1]


def test_a_reservation_used_up_reserves_the_next_block(app):
    numbers = lifecycle.TicketNumbers(reserve=2)
    taken = [numbers.take() for _ in range(5)]
    numbers.give_back()
    assert taken == list(range(taken[0], taken[0] + 5))
    assert lifecycle.next_ticket_number() == taken[-1] + 1
