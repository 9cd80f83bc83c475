"""Who at the desk touched an organisation's data in a period: the access report a breach needs.

A small query of its own over the audit trail, so a general access report can replace it later:
an entry concerns an organisation when its subject is the organisation itself, one of its
contacts, one of its tickets or an attachment on one of them.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    AuditEntry,
    Contact,
    Message,
    Organisation,
    StaffMember,
    Ticket,
)

# Enough for any real incident; the page lists at most this many, oldest first.
MAX_ROWS = 1000


@dataclass(frozen=True)
class Access:
    at: datetime
    staff_name: str | None  # None: the command line or the worker
    action: str
    organisation: str
    detail: str | None


def _concerning(organisation_ids: list[int]) -> sa.Subquery:
    """(audit entry id, organisation id) for every entry about one of these organisations."""
    entry = AuditEntry
    by_organisation = sa.select(entry.id.label("entry_id"),
                                entry.subject_id.label("organisation_id")).where(
        entry.subject_type == "organisation", entry.subject_id.in_(organisation_ids))
    by_contact = sa.select(entry.id, Contact.organisation_id).join(
        Contact, Contact.id == entry.subject_id).where(
        entry.subject_type == "contact", Contact.organisation_id.in_(organisation_ids))
    by_ticket = sa.select(entry.id, Ticket.organisation_id).join(
        Ticket, Ticket.id == entry.subject_id).where(
        entry.subject_type == "ticket", Ticket.organisation_id.in_(organisation_ids))
    by_attachment = (
        sa.select(entry.id, Ticket.organisation_id)
        .join(Attachment, Attachment.id == entry.subject_id)
        .join(Message, Message.id == Attachment.message_id)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(entry.subject_type == "attachment", Ticket.organisation_id.in_(organisation_ids)))
    return sa.union_all(by_organisation, by_contact, by_ticket, by_attachment).subquery()


def access_during(organisation_ids: list[int], start: datetime, end: datetime,
                  limit: int = MAX_ROWS) -> list[Access]:
    """The trail's entries about these organisations from `start` to `end` inclusive, in order."""
    if not organisation_ids:
        return []
    concerning = _concerning(organisation_ids)
    rows = db.session.execute(
        sa.select(AuditEntry.at, StaffMember.name, AuditEntry.action, Organisation.name,
                  AuditEntry.detail)
        .join(concerning, concerning.c.entry_id == AuditEntry.id)
        .join(Organisation, Organisation.id == concerning.c.organisation_id)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(AuditEntry.at >= start, AuditEntry.at <= end)
        .order_by(AuditEntry.at, AuditEntry.id).limit(limit)
    ).all()
    return [Access(*row) for row in rows]
