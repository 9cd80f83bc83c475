"""What a super-user may see: only their own organisation's tickets, and never internal notes."""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import Attachment, Contact, Message, MessageKind, Ticket
from helpdesk.services import NotFound


def organisation_tickets(contact: Contact) -> list[Ticket]:
    """Open tickets first, then the most recent."""
    open_first = sa.case((Ticket.resolved_at.is_(None), 0), else_=1)
    return db.session.scalars(
        sa.select(Ticket).where(Ticket.organisation_id == contact.organisation_id)
        .options(selectinload(Ticket.raised_by))
        .order_by(open_first, Ticket.created_at.desc()).limit(200)
    ).all()


def ticket_for_contact(contact: Contact, number: int) -> Ticket:
    """The ticket with this number if it belongs to the contact's organisation; else 404."""
    ticket = db.session.scalar(sa.select(Ticket).where(
        Ticket.number == number, Ticket.organisation_id == contact.organisation_id))
    if ticket is None:
        # The same answer whether it exists in another organisation or not at all.
        raise NotFound("This page does not exist, or you may not see it.")
    return ticket


def public_messages(ticket: Ticket) -> list[Message]:
    """The conversation as the customer sees it: messages, replies and logged calls, no notes."""
    return db.session.scalars(
        sa.select(Message)
        .where(Message.ticket_id == ticket.id, Message.kind != MessageKind.NOTE)
        .options(selectinload(Message.attachments), selectinload(Message.author_contact))
        .order_by(Message.created_at, Message.id)
    ).all()


def attachment_for_contact(contact: Contact, number: int, attachment_id: int) -> Attachment:
    """A file on a public message of this organisation's ticket; else 404, whatever the reason."""
    attachment = db.session.scalar(
        sa.select(Attachment).join(Message).join(Ticket)
        .where(Attachment.id == attachment_id, Ticket.number == number,
               Ticket.organisation_id == contact.organisation_id,
               Message.kind != MessageKind.NOTE)
    )
    if attachment is None:
        raise NotFound("This page does not exist, or you may not see it.")
    return attachment
