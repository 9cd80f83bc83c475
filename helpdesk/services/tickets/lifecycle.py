"""A ticket's life as people see it: its number, messages, status, category, assignee, merge.

Each change here is an event in the ticket's history and moves the response clock with it.
The clock's own fields are the promise's (`promise.deadlines`: due moments, first response)
and escalation's (`escalation.sweep`: the next escalation, due soon, breached); intake links a
follow-up to the closed ticket it follows (`intake.inbound_mail`). These are building blocks:
they flush but never commit, so a use case (ingesting a mail, an agent's reply with its outbox
mail) commits everything it changed in one transaction.
"""
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    RESOLVED_STATUSES,
    STATUS_CHANGED,
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
from helpdesk.services import Refusal
from helpdesk.services.escalation import sweep
from helpdesk.services.history import Actor, record_event, ticket_link
from helpdesk.services.promise import deadlines
from helpdesk.services.promise.calendar_settings import SlaTerms

FIRST_TICKET_NUMBER = 1000
SYSTEM_SENDER = "helpdesk"  # the sender shown on notes the desk writes itself


def next_ticket_number(count: int = 1) -> int:
    """Hand out the next `count` numbers atomically; returns the last of them.

    The counter row stays locked (PostgreSQL) or the database written (SQLite) until commit.
    """
    # On the session's connection, as plain SQL: the counter depends on no pending object, so
    # the ORM need neither flush first nor synchronise loaded objects.
    counter = TicketNumberCounter.__table__
    number = db.session.connection().scalar(
        sa.update(counter).where(counter.c.id == 1)
        .values(last_number=counter.c.last_number + count).returning(counter.c.last_number)
    )
    if number is None:
        number = FIRST_TICKET_NUMBER + count - 1
        db.session.connection().execute(sa.insert(counter).values(id=1, last_number=number))
    return number


class TicketNumbers:
    """Numbers for the new tickets of one transaction, reserved with one statement, not each.

    Up to `reserve` are taken at a time; `give_back` returns the unused ones before the commit.
    No other writer takes a number in between (the counter is locked until the commit), so the
    numbers stay consecutive.
    """

    def __init__(self, reserve: int = 1):
        self.reserve = max(reserve, 1)
        self.next = self.last = 0

    def take(self) -> int:
        if self.next > self.last or not self.last:
            self.last = next_ticket_number(self.reserve)
            self.next = self.last - self.reserve + 1
        self.next += 1
        return self.next - 1

    def give_back(self) -> None:
        if self.last and self.next <= self.last:
            counter = TicketNumberCounter.__table__
            db.session.connection().execute(
                sa.update(counter).where(counter.c.id == 1, counter.c.last_number == self.last)
                .values(last_number=self.next - 1))
        self.next = self.last = 0


def open_ticket(*, raised_by: Contact, subject: str, category: Category, channel: Channel,
                body_text: str, received_at: datetime, now: datetime,
                logged_by: StaffMember | None = None, details: dict | None = None,
                sla_terms: SlaTerms | None = None, number: int | None = None,
                kind: MessageKind = MessageKind.INBOUND,
                **message_fields) -> tuple[Ticket, Message]:
    """A super-user's new question: the ticket, its first message and its response clock.

    Its rows are inserted by the next flush, so a batch of tickets goes in together; a caller
    that opens several reserves their numbers with TicketNumbers. A calamity alerts every agent
    and manager in this same transaction. The first message is the customer's own, unless a
    logged call (kind CALL) says who wrote it.
    """
    if not raised_by.is_super_user:
        raise Refusal("Only a super-user can raise a ticket.")
    if received_at > now:
        raise Refusal("A ticket cannot be received in the future.")
    sla_terms = sla_terms or SlaTerms.configured()
    ticket = Ticket(
        number=number or next_ticket_number(), subject=(subject.strip() or "(no subject)")[:300],
        category=category, channel=channel, status=TicketStatus.NEW,
        organisation_id=raised_by.organisation_id, raised_by=raised_by, created_at=received_at,
        updated_at=now, details=details or {},
    )
    db.session.add(ticket)
    fields = {"sender": raised_by.email, "author_contact_id": raised_by.id} | message_fields
    message = _add_message(ticket, kind, received_at, body_text, **fields)
    record_event(ticket, "created", now, logged_by or raised_by, after=channel.value)
    deadlines.owe_first_response(ticket, received_at, sla_terms.calendar, sla_terms.policy)
    if ticket.is_calamity:
        sweep.alert_calamity(ticket, now)
    return ticket, message


def open_call_ticket(*, caller: Contact, agent: StaffMember, subject: str, category: Category,
                     summary: str, call_at: datetime, call_ended_at: datetime, now: datetime,
                     answered_status: TicketStatus | None = None,
                     sla_terms: SlaTerms | None = None) -> tuple[Ticket, Message]:
    """A phone call as the agent logged it: the agent's summary with the caller, not her words.

    The response clock runs from the call. A call that answered the question (answered_status
    given) is the ticket's first response at the call's end; the ticket then takes that status.
    """
    sla_terms = sla_terms or SlaTerms.configured()
    ticket, call = open_ticket(
        raised_by=caller, subject=subject, category=category, channel=Channel.PHONE,
        body_text=summary, received_at=call_at, now=now, logged_by=agent, sla_terms=sla_terms,
        kind=MessageKind.CALL, sender=agent.name, author_staff_id=agent.id,
        call_ended_at=call_ended_at)
    if answered_status is not None:
        record_event(ticket, "call_answered", now, agent)
        deadlines.meet_response(ticket, call_ended_at, sla_terms.calendar)
        if ticket.status != answered_status:
            _change_status(ticket, answered_status, now, agent)
    return ticket, call


def add_inbound_message(ticket: Ticket, contact: Contact, body_text: str, *,
                        received_at: datetime, now: datetime, sla_terms: SlaTerms | None = None,
                        **message_fields) -> Message:
    """A customer's message on an existing ticket; it reopens a resolved one (no flush)."""
    if contact.organisation_id != ticket.organisation_id:
        raise Refusal("You can only write on your own organisation's tickets.")
    if ticket.status == TicketStatus.CLOSED:
        raise Refusal("A closed ticket takes no messages; please open a follow-up instead.")
    sla_terms = sla_terms or SlaTerms.configured()
    message = _add_message(ticket, MessageKind.INBOUND, received_at, body_text,
                           sender=contact.email, author_contact_id=contact.id, **message_fields)
    record_event(ticket, "customer_message", now, contact)
    if ticket.status not in AWAITING_DESK_STATUSES:
        _change_status(ticket, TicketStatus.OPEN, now, contact)
    deadlines.owe_response(ticket, received_at, sla_terms.calendar, sla_terms.policy)
    ticket.updated_at = now
    return message


def reply(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime, *,
          status_after: TicketStatus = TicketStatus.WAITING, sla_terms: SlaTerms | None = None,
          **message_fields) -> Message:
    """A public answer to the customer; the first one after a customer message meets the SLA."""
    if not body_text.strip():
        raise Refusal("Write a reply first.")
    sla_terms = sla_terms or SlaTerms.configured()
    message = _add_message(ticket, MessageKind.OUTBOUND, now, body_text, sender=agent.name,
                           author_staff_id=agent.id, **message_fields)
    db.session.flush()  # the caller's outbox mail names the message by id
    record_event(ticket, "replied", now, agent)
    deadlines.meet_response(ticket, now, sla_terms.calendar)
    if ticket.status != status_after:
        _change_status(ticket, status_after, now, agent)
    ticket.updated_at = now
    return message


def add_note(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime) -> Message:
    """An internal note: never shown to the customer and never a response."""
    if not body_text.strip():
        raise Refusal("Write a note first.")
    message = _add_message(ticket, MessageKind.NOTE, now, body_text, sender=agent.name,
                           author_staff_id=agent.id)
    db.session.flush()
    record_event(ticket, "noted", now, agent)
    ticket.updated_at = now
    return message


def add_system_note(ticket: Ticket, body_text: str, now: datetime) -> Message:
    """A note the desk writes itself (an attachment it could not store): never public."""
    message = _add_message(ticket, MessageKind.NOTE, now, body_text, sender=SYSTEM_SENDER)
    record_event(ticket, "noted", now)
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
                 sla_terms: SlaTerms | None = None) -> None:
    """Re-categorise; the owed response is recomputed, and a new calamity alerts everyone."""
    if ticket.category == category:
        return
    sla_terms = sla_terms or SlaTerms.configured()
    before = ticket.category
    ticket.category = category
    record_event(ticket, "category", now, actor, before=before.value, after=category.value)
    deadlines.recompute(ticket, sla_terms.calendar, sla_terms.policy, now=now)
    if ticket.is_calamity:
        sweep.alert_calamity(ticket, now)
    ticket.updated_at = now


def _change_status(ticket: Ticket, status: TicketStatus, now: datetime, actor: Actor) -> None:
    before = ticket.status
    ticket.status = status
    # This event is the record the statistics count a resolution by (resolved or closed from
    # an open status): a later reopen adds events and never rewrites an ended month.
    record_event(ticket, STATUS_CHANGED, now, actor, before=before.value, after=status.value)
    if status not in AWAITING_DESK_STATUSES:
        deadlines.pause(ticket, now)
    if status not in RESOLVED_STATUSES:
        ticket.resolved_at = None
    elif before not in RESOLVED_STATUSES:
        ticket.resolved_at = now  # closing a resolved ticket keeps when it was resolved


def _add_message(ticket: Ticket, kind: MessageKind, created_at: datetime, body_text: str,
                 **fields) -> Message:
    message = Message(kind=kind, created_at=created_at, body_text=body_text,
                      **ticket_link(ticket), **fields)
    db.session.add(message)
    return message


def mark_calamity(ticket: Ticket, reason: str, actor: Actor, now: datetime, *,
                  sla_terms: SlaTerms | None = None) -> None:
    """Escalate to a calamity (its clock runs at all hours); the reason goes in the history."""
    if ticket.is_calamity:
        raise Refusal("This ticket is a calamity already.")
    if not reason.strip():
        raise Refusal("Please say why this is a calamity.")
    record_event(ticket, "calamity_marked", now, actor, after=reason.strip())
    set_category(ticket, Category.CALAMITY, actor, now, sla_terms=sla_terms)


def clear_calamity(ticket: Ticket, category: Category, reason: str, actor: Actor,
                   now: datetime, *, sla_terms: SlaTerms | None = None) -> None:
    """No calamity after all: back to an ordinary category, with the reason in the history."""
    if not ticket.is_calamity:
        raise Refusal("This ticket is not a calamity.")
    if category == Category.CALAMITY:
        raise Refusal("Choose the category the ticket really has.")
    if not reason.strip():
        raise Refusal("Please say why this is no calamity.")
    record_event(ticket, "calamity_cleared", now, actor, after=reason.strip())
    set_category(ticket, category, actor, now, sla_terms=sla_terms)


def merge(source: Ticket, target: Ticket, actor: Actor, now: datetime, *,
          sla_terms: SlaTerms | None = None) -> None:
    """Fold a duplicate into another ticket of the same organisation.

    Its messages move to the target; an unanswered customer message keeps its due moment there.
    The source is closed with a pointer to the target, and both histories say so.
    """
    if source.id == target.id:
        raise Refusal("A ticket cannot be merged into itself.")
    if source.organisation_id != target.organisation_id:
        raise Refusal("Only tickets of the same organisation can be merged.")
    if source.merged_into_id is not None:
        raise Refusal("This ticket was merged already.")
    if target.merged_into_id is not None or target.status == TicketStatus.CLOSED:
        raise Refusal("That ticket is closed; please merge into an open ticket.")
    sla_terms = sla_terms or SlaTerms.configured()
    owed = deadlines.open_response(source)
    db.session.execute(sa.update(Message).where(Message.ticket_id == source.id)
                       .values(ticket_id=target.id))
    db.session.expire(source, ["messages"])
    db.session.expire(target, ["messages"])
    source.merged_into_id = target.id
    record_event(source, "merged_into", now, actor, after=f"#{target.number}")
    record_event(target, "merged_from", now, actor, after=f"#{source.number}")
    if owed is not None:
        if target.status not in AWAITING_DESK_STATUSES:
            _change_status(target, TicketStatus.OPEN, now, actor)
        deadlines.move_response(owed, target, sla_terms.calendar, sla_terms.policy, now)
    if source.status != TicketStatus.CLOSED:
        _change_status(source, TicketStatus.CLOSED, now, actor)
    source.updated_at = target.updated_at = now


def add_held_message(ticket: Ticket, sender: str, body_text: str, *, received_at: datetime,
                     now: datetime, agent: StaffMember, contact: Contact | None = None,
                     sla_terms: SlaTerms | None = None, **message_fields) -> Message:
    """A held mail an agent filed on a ticket: a customer message, whoever its sender was."""
    if ticket.status == TicketStatus.CLOSED:
        raise Refusal("A closed ticket takes no messages; please open a follow-up instead.")
    if contact is not None and contact.organisation_id != ticket.organisation_id:
        raise Refusal("The sender is a contact of another organisation.")
    sla_terms = sla_terms or SlaTerms.configured()
    message = _add_message(ticket, MessageKind.INBOUND, received_at, body_text, sender=sender,
                           author_contact_id=contact.id if contact else None, **message_fields)
    record_event(ticket, "held_mail_added", now, agent, after=sender)
    if ticket.status not in AWAITING_DESK_STATUSES:
        _change_status(ticket, TicketStatus.OPEN, now, agent)
    deadlines.owe_response(ticket, received_at, sla_terms.calendar, sla_terms.policy)
    ticket.updated_at = now
    return message
