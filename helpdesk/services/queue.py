"""The agents' queue: open work by urgency, answered from indexes."""
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import abort

from helpdesk.extensions import db
from helpdesk.models import (
    AWAITING_DESK_STATUSES,
    OPEN_STATUSES,
    Category,
    Organisation,
    ResponseRecord,
    Ticket,
)


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


@dataclass(frozen=True)
class OpenCalamity:
    number: int
    subject: str
    organisation: str
    received_at: datetime
    age: timedelta


def open_calamities(now: datetime) -> list[OpenCalamity]:
    """Calamities still waiting for a response, oldest first, in one query (the staff banner)."""
    rows = db.session.execute(
        sa.select(Ticket.number, Ticket.subject, Organisation.name, ResponseRecord.received_at)
        .join(Organisation, Organisation.id == Ticket.organisation_id)
        .join(ResponseRecord, sa.and_(ResponseRecord.ticket_id == Ticket.id,
                                      ResponseRecord.met_at.is_(None),
                                      ResponseRecord.cancelled_at.is_(None)))
        .where(Ticket.category == Category.CALAMITY, Ticket.status.in_(AWAITING_DESK_STATUSES))
        .order_by(ResponseRecord.received_at, Ticket.number)
    ).all()
    return [OpenCalamity(number, subject, organisation, received_at,
                         max(now - received_at, timedelta(0)))
            for number, subject, organisation, received_at in rows]
