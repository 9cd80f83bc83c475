"""What an agent does to a ticket: each use case changes it, queues mail and commits once."""
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Contact,
    Message,
    OrganisationStatus,
    OutboxMessage,
    StaffMember,
    Ticket,
    TicketStatus,
)
from helpdesk.services import Refusal
from helpdesk.services.mail_out import outbox
from helpdesk.services.notifications import customer_mail
from helpdesk.services.people import audit, visibility
from helpdesk.services.privacy import access
from helpdesk.services.tickets import lifecycle, presence, uploads
from helpdesk.services.tickets.uploads import Upload
from helpdesk.services.transaction import use_case

# The statuses an agent may choose; "new" is only ever set by the desk itself.
AGENT_STATUSES = (TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.RESOLVED,
                  TicketStatus.CLOSED)
REPLY_STATUSES = (TicketStatus.WAITING, TicketStatus.OPEN, TicketStatus.RESOLVED)


@use_case
def open_ticket_view(ticket: Ticket, agent: StaffMember, now: datetime) -> None:
    """An agent opened the ticket: audited (who read what, when) and shown to colleagues."""
    audit.add_entry(access.VIEWED_TICKET, now, agent, "ticket", ticket.id, f"#{ticket.number}",
                    contact_id=ticket.raised_by_id, organisation_id=ticket.organisation_id)
    presence.touch(ticket, agent, now, replying=False)


@use_case
def still_here(ticket: Ticket, agent: StaffMember, now: datetime, *, replying: bool) -> None:
    """The open page checks in; `replying` says whether it holds a reply draft."""
    presence.touch(ticket, agent, now, replying=replying)


@use_case
def reply(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime, *,
          status_after: TicketStatus = TicketStatus.WAITING,
          files: list[Upload] | None = None) -> Message:
    """Answer the customer through the outbox, with attachments; resolving also says so.

    `files` passed uploads.accept (the same file rules as the portal) in the view.
    """
    files = files or []
    if not body_text.strip():
        raise Refusal("Write a reply first.")
    if status_after not in REPLY_STATUSES:
        raise Refusal("After a reply, choose open, waiting on customer or resolved.")
    _refuse_if_closed(ticket)
    message = lifecycle.reply(ticket, agent, body_text, now, status_after=status_after)
    uploads.attach(message, files)
    customer_mail.queue_reply(ticket, message, now)
    if status_after == TicketStatus.RESOLVED:
        customer_mail.queue_resolved_notice(ticket, now)
    presence.touch(ticket, agent, now, replying=False)
    return message


@use_case
def add_note(ticket: Ticket, agent: StaffMember, body_text: str, now: datetime) -> Message:
    message = lifecycle.add_note(ticket, agent, body_text, now)
    return message


@use_case
def assign(ticket: Ticket, agent: StaffMember, assignee_id: int | None,
           now: datetime) -> None:
    """Give the ticket to a colleague (or to nobody)."""
    if assignee_id == ticket.assignee_id:
        return  # unchanged, even when the colleague has left since (the page shows them)
    assignee = None
    if assignee_id is not None:
        assignee = db.session.get(StaffMember, assignee_id)
        if assignee is None or not assignee.active:
            raise Refusal("Choose an active colleague.")
        if not visibility.may_see_ticket(assignee, ticket, now):
            raise Refusal("%(name)s does not serve this organisation. A manager can give "
                          "them access to it first.", name=assignee.name)
    lifecycle.assign(ticket, assignee, agent, now)


@use_case
def set_status(ticket: Ticket, agent: StaffMember, status: TicketStatus,
               now: datetime) -> None:
    """Change the status; resolving tells the customer."""
    if status == ticket.status:
        return  # unchanged: a New ticket's status is shown, and may come back as it is
    if status not in AGENT_STATUSES:
        raise Refusal("Choose open, waiting on customer, resolved or closed.")
    if ticket.merged_into_id is not None:
        raise Refusal("A merged ticket stays closed.")
    lifecycle.set_status(ticket, status, agent, now)
    if status == TicketStatus.RESOLVED:
        customer_mail.queue_resolved_notice(ticket, now)


@use_case
def set_category(ticket: Ticket, agent: StaffMember, category: Category,
                 now: datetime) -> None:
    """Re-categorise (the response clock is recomputed); calamities go through mark_calamity."""
    if Category.CALAMITY in (category, ticket.category):
        raise Refusal("Give a reason to mark or clear a calamity.")
    lifecycle.set_category(ticket, category, agent, now)


@use_case
def mark_calamity(ticket: Ticket, agent: StaffMember, reason: str, now: datetime) -> None:
    lifecycle.mark_calamity(ticket, reason, agent, now)


@use_case
def clear_calamity(ticket: Ticket, agent: StaffMember, category: Category, reason: str,
                   now: datetime) -> None:
    lifecycle.clear_calamity(ticket, category, reason, agent, now)


@use_case
def merge(source: Ticket, agent: StaffMember, target_number: int, now: datetime) -> Ticket:
    """Merge `source` into the ticket with that number; returns the target."""
    target = db.session.scalar(sa.select(Ticket).filter_by(number=target_number))
    if target is None or not visibility.may_see_ticket(agent, target, now):
        raise Refusal("There is no ticket with that number.")
    lifecycle.merge(source, target, agent, now)
    return target


class CallOutcome(StrEnum):
    """What a logged call achieved, as the agent records it."""

    ANSWERED = "answered"  # answered during the call: its end is the first response
    FOLLOW_UP = "follow_up"  # the desk owes a response, due from the call's time


# An answered call resolves the ticket or keeps it open for more work.
ANSWERED_CALL_STATUSES = (TicketStatus.RESOLVED, TicketStatus.OPEN)


@use_case
def log_call(agent: StaffMember, contact_id: int, *, category: Category, subject: str,
             summary: str, call_at: datetime, outcome: CallOutcome, now: datetime,
             call_ended_at: datetime | None = None,
             status_after: TicketStatus = TicketStatus.OPEN,
             internal_note: str = "") -> Ticket:
    """A phone call as a ticket for the super-user who called, in the agent's words.

    The summary is what the customer sees; the internal note is an agents-only note. An
    answered call mails nothing (the customer has the answer); a call to follow up is
    confirmed once, with the summary and the ticket number to reply to.
    """
    contact = db.session.get(Contact, contact_id)
    if (contact is None or not contact.is_super_user or not contact.active
            or not visibility.may_see_contact(agent, contact, now)):
        raise Refusal("Choose the super-user you spoke with.")
    if contact.organisation.status == OrganisationStatus.ENDED:
        raise Refusal("The contract with this organisation has ended.")
    call_ended_at = call_ended_at or call_at
    if call_at > now or call_ended_at > now:
        raise Refusal("A call cannot take place in the future.")
    if call_ended_at < call_at:
        raise Refusal("A call cannot end before it begins.")
    if not subject.strip():
        raise Refusal("Give the call a subject.")
    answered = outcome == CallOutcome.ANSWERED
    if answered and status_after not in ANSWERED_CALL_STATUSES:
        raise Refusal("After an answered call, choose open or resolved.")
    ticket, call = lifecycle.open_call_ticket(
        caller=contact, agent=agent, subject=subject, category=category,
        summary=summary.strip() or subject.strip(), call_at=call_at,
        call_ended_at=call_ended_at, now=now, answered_status=status_after if answered else None)
    if internal_note.strip():
        lifecycle.add_note(ticket, agent, internal_note.strip(), now)
    if not answered:
        customer_mail.queue_call_confirmation(ticket, call, now)
    return ticket


@use_case
def send_mail_again(ticket: Ticket, agent: StaffMember, mail_id: int, now: datetime) -> None:
    """Try a mail about this ticket that failed or was held back once more."""
    outgoing = db.session.get(OutboxMessage, mail_id)
    if outgoing is None or outgoing.ticket_id != ticket.id:
        raise Refusal("This mail does not belong to this ticket.")
    outbox.send_again(outgoing, agent, now)


def _refuse_if_closed(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED:
        raise Refusal("A closed ticket takes no replies; please open a follow-up instead.")
