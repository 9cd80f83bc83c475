"""The portal's use cases, called directly with fixed instants."""
import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Message,
    OrganisationStatus,
    OutboxMessage,
    Ticket,
    TicketStatus,
)
from helpdesk.services.portal import customer_actions
from helpdesk.services.portal.customer_actions import InvalidSubmission, NewTicket, ReadOnly
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_organisation, make_staff

MONDAY_TEN = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 in Amsterdam
FRIDAY_HALF_FIVE = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)  # 16:30 in Amsterdam


def _question(text="Where are my invoices?", **overrides) -> NewTicket:
    fields = {"category": Category.QUESTION, "subject": "Invoices",
              "answers": {"question": text}}
    return NewTicket(**{**fields, **overrides})


def test_filing_opens_a_portal_ticket_received_when_submitted(app):
    contact = make_contact()
    ticket = customer_actions.file_ticket(contact, _question(), MONDAY_TEN)
    assert ticket.created_at == MONDAY_TEN
    assert ticket.response_due_at == MONDAY_TEN + timedelta(days=1)
    assert db.session.scalar(sa.select(OutboxMessage.kind)) == "acknowledgement"


def test_every_mistake_is_reported_at_once(app):
    contact = make_contact()
    submission = NewTicket(category=Category.CALAMITY, subject=" ", answers={"users": "40"},
                           files=[FileStorage(io.BytesIO(b"MZ"), "tool.exe")])
    with pytest.raises(InvalidSubmission) as raised:
        customer_actions.file_ticket(contact, submission, MONDAY_TEN)
    assert set(raised.value.errors) == {"affected", "since", "subject", "confirm_calamity",
                                        "attachments"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_suspended_organisation_cannot_file_or_write(app):
    contact = make_contact(make_organisation(status=OrganisationStatus.SUSPENDED))
    with pytest.raises(ReadOnly):
        customer_actions.file_ticket(contact, _question(), MONDAY_TEN)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_reopening_on_friday_afternoon_makes_a_response_due_on_monday(app):
    contact = make_contact()
    ticket = customer_actions.file_ticket(contact, _question(), MONDAY_TEN)
    lifecycle.reply(ticket, make_staff(), "In the billing menu.", MONDAY_TEN + timedelta(hours=1))
    customer_actions.resolve(contact, ticket, MONDAY_TEN + timedelta(hours=2))
    assert ticket.status == TicketStatus.RESOLVED and ticket.response_due_at is None

    customer_actions.reopen(contact, ticket, "The menu is empty.", (), FRIDAY_HALF_FIVE)
    assert ticket.status == TicketStatus.OPEN
    assert ticket.response_due_at == datetime(2026, 12, 7, 15, 30, tzinfo=UTC)  # Mon 16:30


def test_a_colleague_from_another_organisation_cannot_write(app):
    ticket = customer_actions.file_ticket(make_contact(), _question(), MONDAY_TEN)
    with pytest.raises(customer_actions.Refusal):
        customer_actions.reply(make_contact(), ticket, "Me too", (), MONDAY_TEN)
    with pytest.raises(customer_actions.Refusal):
        customer_actions.resolve(make_contact(), ticket, MONDAY_TEN)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    assert ticket.status == TicketStatus.NEW


def test_resolving_a_resolved_ticket_changes_nothing(app):
    contact = make_contact()
    ticket = customer_actions.file_ticket(contact, _question(), MONDAY_TEN)
    customer_actions.resolve(contact, ticket, MONDAY_TEN)
    events = len(ticket.events)
    customer_actions.resolve(contact, ticket, MONDAY_TEN + timedelta(hours=1))
    db.session.refresh(ticket)
    assert len(ticket.events) == events
    assert ticket.resolved_at == MONDAY_TEN
