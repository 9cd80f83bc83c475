"""The agents' queue: open work by urgency, answered from indexes."""
import sqlalchemy as sa
from flask import abort

from helpdesk.extensions import db
from helpdesk.models import OPEN_STATUSES, Category, Ticket


def urgency_order() -> list:
    """Calamities first, then breached, then by response due moment (none due last)."""
    return [
        sa.case((Ticket.category == Category.CALAMITY, 0), else_=1),
        sa.case((Ticket.breached.is_(True) & Ticket.response_due_at.is_not(None), 0), else_=1),
        sa.case((Ticket.response_due_at.is_(None), 1), else_=0),
        Ticket.response_due_at,
        Ticket.created_at,
    ]


def open_tickets_page(page: int, per_page: int = 50):
    query = (sa.select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
             .order_by(*urgency_order()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def ticket_by_number(number: int) -> Ticket:
    ticket = db.session.scalar(sa.select(Ticket).filter_by(number=number))
    if ticket is None:
        abort(404)
    return ticket
