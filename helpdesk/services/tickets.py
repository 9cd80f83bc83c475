"""The only code that changes tickets; every change is an event in the ticket's history.

These are building blocks: they flush but do not commit, so a use case (ingesting a mail,
an agent's reply with its outbox mail) commits everything it changed in one transaction.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.sla import SlaPolicy
from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    Category,
    Channel,
    Contact,
    Message,
    MessageKind,
    StaffMember,
    Ticket,
    TicketNumberCounter,
    TicketStatus,
)
from helpdesk.services import ServiceError, deadlines, escalation
from helpdesk.services.calendar_settings import configured_calendar, configured_policy
from helpdesk.services.history import Actor, record_event

FIRST_TICKET_NUMBER = 1000


@dataclass(frozen=True)
class Clock:
    """The calendar and policy in force, loaded once per use case."""

    calendar: BusinessCalendar
    policy: SlaPolicy

    @classmethod
    def configured(cls) -> "Clock":
        return cls(configured_calendar(), configured_policy())


def next_ticket_number() -> int:
    """Hand out the next number atomically (the row is locked until commit on PostgreSQL)."""
    number = db.session.scalar(
        sa.update(TicketNumberCounter).where(TicketNumberCounter.id == 1)
        .values(last_number=TicketNumberCounter.last_number + 1)
        .returning(TicketNumberCounter.last_number)
    )
    if number is None:
        db.session.add(TicketNumberCounter(id=1, last_number=FIRST_TICKET_NUMBER))
        db.session.flush()
        number = FIRST_TICKET_NUMBER
    return number


def open_ticket(*, raised_by: Contact, subject: str, category: Category, channel: Channel,
                body_text: str, received_at: datetime, now: datetime,
                logged_by: StaffMember | None = None, details: dict | None = None,
                clock: Clock | None = None, **message_fields) -> tuple[Ticket, Message]:
    """A super-user's new question: the ticket, its first message and its response clock.

    A calamity alerts every agent and manager in this same transaction.
    """
    if not raised_by.is_super_user:
        raise ServiceError("only a super-user can raise a ticket")
    if received_at > now:
        raise ServiceError("a ticket cannot be received in the future")
    clock = clock or Clock.configured()
    ticket = Ticket(
        number=next_ticket_number(), subject=(subject.strip() or "(no subject)")[:300],
        category=category, channel=channel, status=TicketStatus.NEW,
        organisation_id=raised_by.organisation_id, raised_by=raised_by, created_at=received_at,
        updated_at=now, details=details or {},
    )
    db.session.add(ticket)
    db.session.flush()
    message = _add_message(ticket, MessageKind.INBOUND, received_at, body_text,
                           sender=raised_by.email, author_contact_id=raised_by.id,
                           **message_fields)
    record_event(ticket, "created", now, logged_by or raised_by, after=channel.value)
    deadlines.owe_response(ticket, received_at, clock.calendar, clock.policy)
    if ticket.is_calamity:
        escalation.alert_calamity(ticket, now)
    return ticket, message


def add_inbound_message(ticket: Ticket, contact: Contact, body_text: str, *,
                        received_at: datetime, now: datetime, clock: Clock | None = None,
                        **message_fields) -> Message:
    """A customer's message on an existing ticket; it reopens a resolved one."""
    if contact.organisation_id != ticket.organisation_id:
        raise ServiceError("a contact can only write on their organisation's tickets")
    if ticket.status == TicketStatus.CLOSED:
        raise ServiceError("a closed ticket takes no messages; open a follow-up instead")
    clock = clock or Clock.configured()
    message = _add_message(ticket, MessageKind.INBOUND, received_at, body_text,
                           sender=contact.email, author_contact_id=contact.id, **message_fields)
    record_event(ticket, "customer_message", now, contact)
    if ticket.status not in AWAITING_DESK_STATUSES:
        _change_status(ticket, TicketStatus.OPEN, now, contact)
    deadlines.owe_response(ticket, received_at, clock.calendar, clock.policy)
    ticket.updated_at = now
    return message


def reply(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime, *,
          status_after: TicketStatus = TicketStatus.WAITING, clock: Clock | None = None,
          **message_fields) -> Message:
    """A public answer to the customer; the first one after a customer message meets the SLA."""
    if not body_text.strip():
        raise ServiceError("a reply needs text")
    clock = clock or Clock.configured()
    message = _add_message(ticket, MessageKind.OUTBOUND, now, body_text, sender=agent.name,
                           author_staff_id=agent.id, **message_fields)
    record_event(ticket, "replied", now, agent)
    deadlines.meet_response(ticket, now, clock.calendar)
    if ticket.status != status_after:
        _change_status(ticket, status_after, now, agent)
    ticket.updated_at = now
    return message


def add_note(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime) -> Message:
    """An internal note: never shown to the customer and never a response."""
    if not body_text.strip():
        raise ServiceError("a note needs text")
    message = _add_message(ticket, MessageKind.NOTE, now, body_text, sender=agent.name,
                           author_staff_id=agent.id)
    record_event(ticket, "noted", now, agent)
    ticket.updated_at = now
    return message


def assign(ticket: Ticket, assignee: StaffMember | None, actor: Actor, now: datetime) -> None:
    if ticket.assignee is assignee:  # the identity map gives one object per row
        return
    before = ticket.assignee.name if ticket.assignee else None
    ticket.assignee = assignee
    record_event(ticket, "assigned", now, actor, before=before,
                 after=assignee.name if assignee else None)
    ticket.updated_at = now


def set_status(ticket: Ticket, status: TicketStatus, actor: Actor, now: datetime) -> None:
    if ticket.status == status:
        return
    _change_status(ticket, status, now, actor)
    ticket.updated_at = now


def set_category(ticket: Ticket, category: Category, actor: Actor, now: datetime, *,
                 clock: Clock | None = None) -> None:
    """Re-categorise; the owed response is recomputed, and a new calamity alerts everyone."""
    if ticket.category == category:
        return
    clock = clock or Clock.configured()
    before = ticket.category
    ticket.category = category
    record_event(ticket, "category", now, actor, before=before.value, after=category.value)
    deadlines.recompute(ticket, clock.calendar, clock.policy)
    if ticket.is_calamity:
        escalation.alert_calamity(ticket, now)
    ticket.updated_at = now


def _change_status(ticket: Ticket, status: TicketStatus, now: datetime, actor: Actor) -> None:
    before = ticket.status
    ticket.status = status
    record_event(ticket, "status", now, actor, before=before.value, after=status.value)
    if status not in AWAITING_DESK_STATUSES:
        deadlines.pause(ticket, now)
    ticket.resolved_at = now if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None


def _add_message(ticket: Ticket, kind: MessageKind, created_at: datetime, body_text: str,
                 **fields) -> Message:
    message = Message(ticket_id=ticket.id, kind=kind, created_at=created_at,
                      body_text=body_text, **fields)
    db.session.add(message)
    db.session.flush()
    return message
