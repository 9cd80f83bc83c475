"""Everything held about one organisation, as JSON (the customer's data on request).

The parts are building blocks the zip export streams too: tickets come in batches, so an
organisation with many tickets is never loaded whole.
"""
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from helpdesk.extensions import db
from helpdesk.models import Contact, HeldMessage, Message, Organisation, StaffMember, Ticket
from helpdesk.services.people import audit
from helpdesk.services.people.directory import organisation_by_slug
from helpdesk.services.privacy.access import EXPORTED
from helpdesk.services.transaction import use_case

TICKET_BATCH = 200


def iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


@use_case
def export_organisation(slug: str, now: datetime, *, exported_by: str = "cli",
                        by: StaffMember | None = None) -> dict:
    """The export product.md documents; the export itself is recorded in the audit trail."""
    organisation: Organisation = organisation_by_slug(slug)
    data = {**_heading(organisation, now), "contacts": contacts(organisation),
            "tickets": list(tickets(organisation)), "held_messages": held_messages(organisation)}
    audit.add_entry(EXPORTED, now, by, audit.ORGANISATION, organisation.id, exported_by,
                    organisation_id=organisation.id)
    return data


def write_json(handle: TextIO, organisation: Organisation, now: datetime) -> None:
    """The same document as `export_organisation`, written ticket by ticket."""
    heading = json.dumps(_heading(organisation, now), ensure_ascii=False)[:-1]
    handle.write(heading + ', "contacts": ')
    json.dump(contacts(organisation), handle, ensure_ascii=False)
    handle.write(', "tickets": [')
    for index, ticket in enumerate(tickets(organisation)):
        handle.write(",\n" if index else "\n")
        json.dump(ticket, handle, ensure_ascii=False)
    handle.write('\n], "held_messages": ')
    json.dump(held_messages(organisation), handle, ensure_ascii=False)
    handle.write("}\n")


def _heading(organisation: Organisation, now: datetime) -> dict:
    return {"organisation": {"slug": organisation.slug, "name": organisation.name,
                             "status": organisation.status.value,
                             "created_at": iso(organisation.created_at)},
            "exported_at": iso(now)}


def contacts(organisation: Organisation) -> list[dict]:
    return [_contact(contact) for contact in db.session.scalars(
        sa.select(Contact).filter_by(organisation_id=organisation.id).order_by(Contact.email))]


def ticket_batches(organisation: Organisation) -> Iterator[list[Ticket]]:
    """The organisation's tickets by number, a batch at a time with their messages."""
    after = 0
    while True:
        batch = db.session.scalars(
            sa.select(Ticket).where(Ticket.organisation_id == organisation.id,
                                    Ticket.number > after)
            .order_by(Ticket.number).limit(TICKET_BATCH)
            .options(selectinload(Ticket.raised_by),
                     selectinload(Ticket.messages).selectinload(Message.attachments))
        ).all()
        if not batch:
            return
        yield batch
        after = batch[-1].number


def tickets(organisation: Organisation) -> Iterator[dict]:
    for batch in ticket_batches(organisation):
        yield from (_ticket(ticket) for ticket in batch)


def held_from_contacts(organisation: Organisation) -> sa.Select:
    """Held mail that is clearly the organisation's: its sender is one of its contacts."""
    addresses = sa.select(Contact.email).where(Contact.organisation_id == organisation.id)
    return (sa.select(HeldMessage).where(HeldMessage.sender.in_(addresses))
            .order_by(HeldMessage.received_at, HeldMessage.id))


def held_messages(organisation: Organisation) -> list[dict]:
    return [{"sender": h.sender, "subject": h.subject, "reason": h.reason.value,
             "received_at": iso(h.received_at), "message_id": h.message_id}
            for h in db.session.scalars(held_from_contacts(organisation))]


def _contact(contact: Contact) -> dict:
    return {
        "email": contact.email, "name": contact.name, "super_user": contact.is_super_user,
        "job_title": contact.job_title, "phone": contact.phone,
        "birth_date": contact.birth_date.isoformat() if contact.birth_date else None,
        "gender": contact.gender, "education_level": contact.education_level,
        "language": contact.language, "created_at": iso(contact.created_at),
    }


def _ticket(ticket: Ticket) -> dict:
    return {
        "number": ticket.number, "subject": ticket.subject, "category": ticket.category.value,
        "status": ticket.status.value, "channel": ticket.channel.value,
        "raised_by": ticket.raised_by.email, "created_at": iso(ticket.created_at),
        "response_due_at": iso(ticket.response_due_at),
        "first_response_at": iso(ticket.first_response_at), "breached": ticket.breached,
        "details": ticket.details,
        "messages": [
            {"kind": m.kind.value, "sender": m.sender, "created_at": iso(m.created_at),
             "message_id": m.message_id, "body_text": m.body_text,
             "call_ended_at": iso(m.call_ended_at),
             "attachments": [{"filename": a.filename, "size": a.size, "sha256": a.sha256,
                              "content_type": a.content_type} for a in m.attachments]}
            for m in ticket.messages
        ],
    }
