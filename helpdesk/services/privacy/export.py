"""Everything held about one organisation, as JSON (the customer's data on request)."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    HeldMessage,
    Message,
    Organisation,
    Ticket,
)
from helpdesk.services.people import audit
from helpdesk.services.people.directory import organisation_by_slug
from helpdesk.services.privacy.access import EXPORTED
from helpdesk.services.transaction import use_case


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


@use_case
def export_organisation(slug: str, now: datetime, *, exported_by: str = "cli") -> dict:
    """The export product.md documents; the export itself is recorded in the audit trail."""
    organisation: Organisation = organisation_by_slug(slug)
    contacts = db.session.scalars(
        sa.select(Contact).filter_by(organisation_id=organisation.id).order_by(Contact.email)
    ).all()
    addresses = {contact.email for contact in contacts}
    tickets = db.session.scalars(
        sa.select(Ticket).filter_by(organisation_id=organisation.id).order_by(Ticket.number)
        .options(selectinload(Ticket.raised_by),
                 selectinload(Ticket.messages).selectinload(Message.attachments))
    ).all()
    held = db.session.scalars(
        sa.select(HeldMessage).where(HeldMessage.sender.in_(addresses))
        .order_by(HeldMessage.received_at)
    ).all() if addresses else []
    audit.add_entry(EXPORTED, now, None, audit.ORGANISATION, organisation.id, exported_by,
                    organisation_id=organisation.id)
    return {
        "organisation": {"slug": organisation.slug, "name": organisation.name,
                         "status": organisation.status.value,
                         "created_at": _iso(organisation.created_at)},
        "exported_at": _iso(now),
        "contacts": [_contact(contact) for contact in contacts],
        "tickets": [_ticket(ticket) for ticket in tickets],
        "held_messages": [
            {"sender": h.sender, "subject": h.subject, "reason": h.reason.value,
             "received_at": _iso(h.received_at), "message_id": h.message_id}
            for h in held
        ],
    }


def _contact(contact: Contact) -> dict:
    return {
        "email": contact.email, "name": contact.name, "super_user": contact.is_super_user,
        "job_title": contact.job_title, "phone": contact.phone,
        "birth_date": contact.birth_date.isoformat() if contact.birth_date else None,
        "gender": contact.gender, "education_level": contact.education_level,
        "language": contact.language, "created_at": _iso(contact.created_at),
    }


def _ticket(ticket: Ticket) -> dict:
    return {
        "number": ticket.number, "subject": ticket.subject, "category": ticket.category.value,
        "status": ticket.status.value, "channel": ticket.channel.value,
        "raised_by": ticket.raised_by.email, "created_at": _iso(ticket.created_at),
        "response_due_at": _iso(ticket.response_due_at),
        "first_response_at": _iso(ticket.first_response_at), "breached": ticket.breached,
        "details": ticket.details,
        "messages": [
            {"kind": m.kind.value, "sender": m.sender, "created_at": _iso(m.created_at),
             "message_id": m.message_id, "body_text": m.body_text,
             "call_ended_at": _iso(m.call_ended_at),
             "attachments": [{"filename": a.filename, "size": a.size, "sha256": a.sha256,
                              "content_type": a.content_type} for a in m.attachments]}
            for m in ticket.messages
        ],
    }
