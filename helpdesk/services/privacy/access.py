"""Reads of personal data, and the report of who at the desk saw a person's or an
organisation's data, and when (what a controller needs for a breach notification).

Each read writes an audit entry naming the reader, the moment and whose data it was, never the
data itself. A super-user reading their own organisation's tickets in the portal is the data's
owner, not the desk: those reads are not recorded.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Contact, Organisation, StaffMember, StaffRole
from helpdesk.services import Refusal
from helpdesk.services.people import audit
from helpdesk.services.people.directory import day_starts_at
from helpdesk.services.transaction import use_case

VIEWED_TICKET = "view_ticket"
VIEWED_CONTACT = "view_contact"
VIEWED_ORGANISATION = "view_organisation"
VIEWED_MESSAGE_SOURCE = "message_view_raw"
VIEWED_HELD_SOURCE = "held_view_raw"
DOWNLOADED = "download"
EXPORTED = "export"
ACCESS_ACTIONS = (VIEWED_TICKET, VIEWED_CONTACT, VIEWED_ORGANISATION, VIEWED_MESSAGE_SOURCE,
                  VIEWED_HELD_SOURCE, DOWNLOADED, EXPORTED)
REPORT_LIMIT = 5000  # rows a page or a report lists; a longer range should be split


@use_case
def contact_viewed(contact: Contact, viewer: StaffMember, now: datetime) -> None:
    """A manager opened a contact's page."""
    audit.add_entry(VIEWED_CONTACT, now, viewer, audit.CONTACT, contact.id,
                    contact_id=contact.id, organisation_id=contact.organisation_id)


@use_case
def organisation_viewed(organisation: Organisation, viewer: StaffMember, now: datetime) -> None:
    """A manager opened an organisation's page, which lists its contacts."""
    audit.add_entry(VIEWED_ORGANISATION, now, viewer, audit.ORGANISATION, organisation.id,
                    organisation_id=organisation.id)


@dataclass(frozen=True)
class Access:
    """One read: when, by whom (None: the command line or the worker), what, which ticket."""

    at: datetime
    staff_name: str | None
    staff_role: StaffRole | None
    action: str
    ticket_number: int | None


def _ticket_number(detail: str | None) -> int | None:
    # The reads of a ticket, its messages and attachments start their detail with "#number".
    token = (detail or "").split(" ", 1)[0]
    return int(token[1:]) if token[1:].isdigit() and token.startswith("#") else None


def accesses(*, first_day: date, last_day: date, timezone: str,
             organisation: Organisation | None = None,
             contact: Contact | None = None) -> list[Access]:
    """Reads of the organisation's (or the contact's) data between two days, oldest first."""
    if last_day < first_day:
        raise Refusal("The last day is before the first day.")
    whose = (AuditEntry.contact_id == contact.id if contact is not None
             else AuditEntry.organisation_id == organisation.id)
    rows = db.session.execute(
        sa.select(AuditEntry.at, StaffMember.name, StaffMember.role, AuditEntry.action,
                  AuditEntry.detail)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(whose, AuditEntry.action.in_(ACCESS_ACTIONS),
               AuditEntry.at >= day_starts_at(first_day, timezone),
               AuditEntry.at < day_starts_at(last_day + timedelta(days=1), timezone))
        .order_by(AuditEntry.at, AuditEntry.id).limit(REPORT_LIMIT)
    ).all()
    return [Access(at, name, role, action, _ticket_number(detail))
            for at, name, role, action, detail in rows]
