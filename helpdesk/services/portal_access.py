"""What a super-user may see: only their own organisation's tickets."""
import sqlalchemy as sa
from flask import abort

from helpdesk.extensions import db
from helpdesk.models import Contact, Ticket


def organisation_tickets(contact: Contact) -> list[Ticket]:
    """Open tickets first, then the most recent."""
    open_first = sa.case((Ticket.resolved_at.is_(None), 0), else_=1)
    return db.session.scalars(
        sa.select(Ticket).where(Ticket.organisation_id == contact.organisation_id)
        .order_by(open_first, Ticket.created_at.desc()).limit(200)
    ).all()


def ticket_for_contact(contact: Contact, number: int) -> Ticket:
    """The ticket with this number if it belongs to the contact's organisation; else 404."""
    ticket = db.session.scalar(sa.select(Ticket).where(
        Ticket.number == number, Ticket.organisation_id == contact.organisation_id))
    if ticket is None:
        abort(404)  # the same answer whether it exists elsewhere or not at all
    return ticket
