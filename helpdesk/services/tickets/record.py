"""Everything recorded on one ticket, read in a few indexed queries for the ticket page."""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from helpdesk.extensions import db
from helpdesk.models import Category, Message, ResponseRecord, Ticket, TicketEvent


@dataclass(frozen=True)
class TicketRecord:
    messages: list[Message]
    events: list[TicketEvent]
    responses: list[ResponseRecord]
    merged_into: Ticket | None
    calamity_reason: str | None  # why it was last marked a calamity, while it is one
    # What it was before it became one, while it is one (None if it arrived as a calamity).
    category_before_calamity: Category | None = None


def ticket_record(ticket: Ticket) -> TicketRecord:
    messages = db.session.scalars(
        sa.select(Message).where(Message.ticket_id == ticket.id)
        .options(joinedload(Message.attachments), joinedload(Message.author_contact))
        .order_by(Message.created_at, Message.id)
    ).unique().all()
    events = db.session.scalars(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .options(joinedload(TicketEvent.actor_staff), joinedload(TicketEvent.actor_contact))
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    responses = db.session.scalars(
        sa.select(ResponseRecord).where(ResponseRecord.ticket_id == ticket.id)
        .order_by(ResponseRecord.received_at, ResponseRecord.id)
    ).all()
    merged_into = db.session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
    reason = next((e.after for e in reversed(events) if e.action == "calamity_marked"), None)
    before = next((e.before for e in reversed(events) if e.action == "category"
                   and e.after == Category.CALAMITY.value), None)
    if not ticket.is_calamity:
        reason = before = None
    return TicketRecord(messages, events, responses, merged_into, reason,
                        Category(before) if before in Category._value2member_map_ else None)
