"""Stored due moments: every ticket change leaves the right response due on the ticket."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Category, Channel, ResponseRecord, TicketStatus
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


def _open(received_at, category=Category.BUG):
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Export fails", category=category,
        channel=Channel.EMAIL, body_text="Steps: export", received_at=received_at,
        now=received_at)
    db.session.commit()
    return ticket


def _records(ticket):
    return db.session.scalars(sa.select(ResponseRecord).filter_by(ticket_id=ticket.id)
                              .order_by(ResponseRecord.id)).all()


# The examples table of sla.md, through the service layer: a ticket created at that instant.
@pytest.mark.parametrize(("received", "category", "clock_starts", "due"), [
    (local(2026, 11, 30, 10), Category.BUG, local(2026, 11, 30, 10), local(2026, 12, 1, 10)),
    (local(2026, 12, 4, 16, 30), Category.QUESTION,
     local(2026, 12, 4, 16, 30), local(2026, 12, 7, 16, 30)),
    (local(2026, 12, 5, 11), Category.BUG, local(2026, 12, 7, 9), local(2026, 12, 8, 9)),
    (local(2026, 11, 30, 20), Category.WISH, local(2026, 12, 1, 9), local(2026, 12, 2, 9)),
    (local(2026, 11, 24, 8, 15), Category.BUG, local(2026, 11, 24, 9), local(2026, 11, 25, 9)),
    (local(2026, 11, 30, 16, 59, 59), Category.BUG,
     local(2026, 11, 30, 16, 59, 59), local(2026, 12, 1, 16, 59, 59)),
    (local(2026, 11, 30, 17, 0, 0), Category.BUG, local(2026, 12, 1, 9), local(2026, 12, 2, 9)),
    (local(2026, 12, 24, 14), Category.OUTAGE, local(2026, 12, 24, 14), local(2026, 12, 28, 14)),
    (local(2026, 12, 5, 3), Category.CALAMITY, local(2026, 12, 5, 3), local(2026, 12, 5, 4)),
])
def test_spec_example_is_stored_on_the_new_ticket(app, received, category, clock_starts, due):
    ticket = _open(received, category)
    db.session.expire_all()
    assert ticket.response_due_at == due
    [record] = _records(ticket)
    assert (record.clock_started_at, record.due_at, record.is_first) == (clock_starts, due, True)


def test_standard_ticket_escalates_first_at_its_due_soon_moment(app):
    ticket = _open(local(2026, 11, 30, 10))
    # 75% of 24 working-day hours: 14 h of Monday, then 4 h into Tuesday.
    assert ticket.due_soon_at == ticket.next_escalation_at == local(2026, 12, 1, 4)


def test_calamity_escalates_first_at_the_manager_renotification(app):
    ticket = _open(local(2026, 12, 5, 3), Category.CALAMITY)
    assert ticket.next_escalation_at == local(2026, 12, 5, 3, 15)


def test_waiting_on_the_customer_pauses_and_a_customer_message_resumes(app):
    ticket = _open(local(2026, 11, 30, 10))
    agent = make_staff()
    lifecycle.reply(ticket, agent, "Which browser do you use?", local(2026, 11, 30, 11))
    db.session.commit()
    assert ticket.status == TicketStatus.WAITING
    assert (ticket.response_due_at, ticket.due_soon_at, ticket.next_escalation_at) == (
        None, None, None)
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "Firefox",
                                received_at=local(2026, 12, 4, 16, 30),
                                now=local(2026, 12, 4, 16, 31))
    db.session.commit()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.response_due_at == local(2026, 12, 7, 16, 30)  # Friday -> Monday
    first, second = _records(ticket)
    assert first.met_at == local(2026, 11, 30, 11) and not second.is_first
    assert (second.received_at, second.due_at, second.met_at) == (
        local(2026, 12, 4, 16, 30), local(2026, 12, 7, 16, 30), None)


def test_setting_waiting_without_a_reply_cancels_the_owed_response(app):
    ticket = _open(local(2026, 11, 30, 10))
    lifecycle.set_status(ticket, TicketStatus.WAITING, make_staff(), local(2026, 11, 30, 12))
    db.session.commit()
    [record] = _records(ticket)
    assert record.cancelled_at == local(2026, 11, 30, 12) and record.met_at is None
    assert ticket.response_due_at is None


def test_resolved_ticket_owes_nothing_until_the_customer_writes_again(app):
    ticket = _open(local(2026, 11, 30, 10))
    lifecycle.set_status(ticket, TicketStatus.RESOLVED, make_staff(), local(2026, 11, 30, 12))
    db.session.commit()
    assert ticket.response_due_at is None
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "It is back",
                                received_at=local(2026, 11, 30, 20), now=local(2026, 11, 30, 20))
    db.session.commit()
    assert ticket.response_due_at == local(2026, 12, 2, 9)  # after closing: Tue 09:00 + 24 h


def test_reopening_by_an_agent_alone_owes_no_response(app):
    ticket = _open(local(2026, 11, 30, 10))
    agent = make_staff()
    lifecycle.set_status(ticket, TicketStatus.WAITING, agent, local(2026, 11, 30, 11))
    lifecycle.set_status(ticket, TicketStatus.OPEN, agent, local(2026, 11, 30, 12))
    db.session.commit()
    assert ticket.response_due_at is None and ticket.next_escalation_at is None


def test_assigning_and_noting_leave_the_due_moment_alone(app):
    ticket = _open(local(2026, 11, 30, 10))
    agent = make_staff()
    lifecycle.assign(ticket, agent, agent, local(2026, 11, 30, 10, 5))
    lifecycle.add_note(ticket, agent, "Looking", local(2026, 11, 30, 10, 6))
    lifecycle.set_status(ticket, TicketStatus.OPEN, agent, local(2026, 11, 30, 10, 7))
    db.session.commit()
    assert ticket.response_due_at == local(2026, 12, 1, 10)


def test_a_second_message_keeps_the_due_soon_flag_and_escalation_moment(app):
    ticket = _open(local(2026, 11, 30, 10))
    ticket.due_soon = True
    ticket.next_escalation_at = local(2026, 12, 1, 10)  # as the sweep leaves it after due soon
    db.session.commit()
    lifecycle.add_inbound_message(ticket, ticket.raised_by, "Any news?",
                                received_at=local(2026, 12, 1, 5), now=local(2026, 12, 1, 5))
    db.session.commit()
    assert ticket.due_soon and ticket.next_escalation_at == local(2026, 12, 1, 10)
    assert len(_records(ticket)) == 1


def test_category_change_to_calamity_runs_the_clock_at_all_hours(app):
    received = local(2026, 12, 4, 16, 30)  # Friday afternoon
    ticket = _open(received, Category.OUTAGE)
    lifecycle.set_category(ticket, Category.CALAMITY, make_staff(), local(2026, 12, 4, 16, 40))
    db.session.commit()
    assert ticket.response_due_at == local(2026, 12, 4, 17, 30)
    assert ticket.next_escalation_at == local(2026, 12, 4, 16, 45)
    [record] = _records(ticket)
    assert (record.category, record.due_at) == (Category.CALAMITY, local(2026, 12, 4, 17, 30))


def test_category_change_from_calamity_counts_working_days_again(app):
    ticket = _open(local(2026, 12, 5, 3), Category.CALAMITY)  # Saturday night
    lifecycle.set_category(ticket, Category.BUG, make_staff(), local(2026, 12, 5, 3, 5))
    db.session.commit()
    assert ticket.response_due_at == local(2026, 12, 8, 9)  # clock starts Monday 09:00
    assert ticket.next_escalation_at == ticket.due_soon_at == local(2026, 12, 8, 3)
    assert _records(ticket)[0].category == Category.BUG


def test_category_change_while_waiting_owes_nothing(app):
    ticket = _open(local(2026, 11, 30, 10))
    agent = make_staff()
    lifecycle.reply(ticket, agent, "Done?", local(2026, 11, 30, 11))
    lifecycle.set_category(ticket, Category.CALAMITY, agent, local(2026, 11, 30, 12))
    db.session.commit()
    assert ticket.response_due_at is None and ticket.next_escalation_at is None


def test_calamity_response_time_is_counted_on_the_wall_clock(app):
    ticket = _open(local(2026, 12, 5, 3), Category.CALAMITY)  # Saturday: no working time
    lifecycle.reply(ticket, make_staff(), "On it.", local(2026, 12, 5, 3, 20))
    db.session.commit()
    [record] = _records(ticket)
    assert record.working_seconds_to_response == 20 * 60 and not record.breached


def test_a_breach_recorded_by_the_sweep_stays_after_the_due_moment_moves(app):
    ticket = _open(local(2026, 11, 30, 10))
    [record] = _records(ticket)
    record.breached = ticket.breached = True  # as the sweep leaves it at the due moment
    record.due_at = local(2026, 12, 2, 10)  # as a recompute after a new closing day would
    db.session.commit()
    lifecycle.reply(ticket, make_staff(), "Sorry.", local(2026, 12, 1, 10) + timedelta(minutes=5))
    db.session.commit()
    assert record.breached and ticket.breached
