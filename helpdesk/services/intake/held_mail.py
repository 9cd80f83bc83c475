"""Held mail: what agents decide about mail that did not become a ticket message.

Every decision is audited with who and when; a handled message is kept, only hidden.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.storage import blob_store
from helpdesk.domain.categorise import strip_category_marker
from helpdesk.domain.mail.parse import ParsedEmail, parse_email
from helpdesk.extensions import db
from helpdesk.models import (
    AuditEntry,
    Category,
    Channel,
    Contact,
    HeldMessage,
    StaffMember,
    Ticket,
)
from helpdesk.services import Refusal
from helpdesk.services.intake import inbound_mail
from helpdesk.services.intake.raw_mail import raw_bytes
from helpdesk.services.notifications import customer_mail
from helpdesk.services.people import audit, directory, visibility
from helpdesk.services.privacy import access
from helpdesk.services.tickets import lifecycle
from helpdesk.services.transaction import use_case

# The audit trail's actions on held mail.
SENDER_REGISTERED = "held_register_sender"
TICKET_OPENED = "held_open_ticket"
ADDED_TO_TICKET = "held_add_to_ticket"
DISMISSED = "held_dismiss"

PER_PAGE = 100


@dataclass(frozen=True)
class HeldPage:
    messages: list[HeldMessage]
    page: int
    has_next: bool


def held_page(page: int, *, include_handled: bool = False) -> HeldPage:
    """Held mail, oldest first; handled messages only when asked for."""
    query = sa.select(HeldMessage)
    if not include_handled:
        query = query.where(HeldMessage.resolved_at.is_(None))
    query = (query.order_by(HeldMessage.resolved_at.is_not(None), HeldMessage.received_at,
                            HeldMessage.id)
             .limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE))
    messages = db.session.scalars(query).all()
    return HeldPage(messages[:PER_PAGE], page, len(messages) > PER_PAGE)


def raw_source(held: HeldMessage) -> bytes | None:
    if held.raw_mail is None:
        return None
    try:
        return raw_bytes(held.raw_mail)
    except (OSError, ValueError):
        return None


def parsed(held: HeldMessage) -> ParsedEmail | None:
    """The held mail parsed as ingestion parses it, ready to store."""
    raw = raw_source(held)
    if raw is None:
        return None
    return inbound_mail.storable(
        parse_email(raw, max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"]))


@use_case
def read_raw(held: HeldMessage, agent: StaffMember, now: datetime) -> bytes | None:
    """The raw source for an agent to inspect; reading it is audited."""
    raw = raw_source(held)
    _audit(held, agent, now, access.VIEWED_HELD_SOURCE)
    return raw


def decisions(held: HeldMessage) -> list[tuple[AuditEntry, str | None]]:
    """What was decided about this message and by whom (name), oldest first."""
    return db.session.execute(
        sa.select(AuditEntry, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuditEntry.staff_id)
        .where(AuditEntry.subject_type == "held_message", AuditEntry.subject_id == held.id,
               AuditEntry.action != access.VIEWED_HELD_SOURCE)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()


@use_case
def open_ticket(held: HeldMessage, agent: StaffMember, contact_id: int, category: Category,
                now: datetime) -> Ticket:
    """Make a ticket of the mail for a super-user; its clock runs from when we received it."""
    _refuse_if_handled(held)
    contact = db.session.get(Contact, contact_id)
    if (contact is None or not contact.is_super_user or not contact.active
            or not visibility.may_see_contact(agent, contact, now)):
        raise Refusal("Choose the super-user to open the ticket for.")
    mail = parsed(held)
    subject = strip_category_marker(mail.subject if mail and mail.subject else held.subject)
    ticket, message = lifecycle.open_ticket(
        raised_by=contact, subject=subject, category=category, channel=Channel.EMAIL,
        body_text=_body_text(held, mail), received_at=held.received_at, now=now,
        logged_by=agent, **_message_fields(held, mail))
    _store_attachments(message, mail)
    customer_mail.queue_acknowledgement(ticket, now)
    _resolve(held, agent, now, TICKET_OPENED, f"opened ticket #{ticket.number}")
    return ticket


@use_case
def add_to_ticket(held: HeldMessage, agent: StaffMember, number: int, now: datetime) -> Ticket:
    """File the mail on an existing ticket as a customer message."""
    _refuse_if_handled(held)
    ticket = db.session.scalar(sa.select(Ticket).filter_by(number=number))
    if ticket is None:
        raise Refusal("There is no ticket with that number.")
    if ticket.merged_into_id is not None:
        ticket = db.session.get(Ticket, ticket.merged_into_id)
    if not visibility.may_see_ticket(agent, ticket, now):
        raise Refusal("There is no ticket with that number.")
    mail = parsed(held)
    sender = held.sender or (mail.from_address if mail else "") or "unknown"
    contact = db.session.scalar(sa.select(Contact).filter_by(email=sender.lower()))
    if contact is not None and contact.organisation_id != ticket.organisation_id:
        contact = None  # a stranger to this organisation: kept as the sender's address only
    message = lifecycle.add_held_message(
        ticket, sender, _body_text(held, mail), received_at=held.received_at, now=now,
        agent=agent, contact=contact, **_message_fields(held, mail))
    _store_attachments(message, mail)
    _resolve(held, agent, now, ADDED_TO_TICKET, f"added to ticket #{ticket.number}")
    return ticket


@use_case
def register_sender(held: HeldMessage, agent: StaffMember, organisation_slug: str, name: str,
                    super_user: bool, now: datetime) -> Contact:
    """Make the sender a contact of an organisation; the mail itself waits for a decision."""
    if not held.sender:
        raise Refusal("This message has no sender address to register.")
    organisation = directory.find_organisation(organisation_slug)
    if organisation is not None and not visibility.may_see_organisation(
            agent, organisation.id, now):
        raise Refusal("There is no organisation with slug %(slug)s.", slug=organisation_slug)
    contact = directory.add_contact(held.sender, organisation_slug, name or held.sender, now,
                                 super_user=super_user, by=agent)
    _audit(held, agent, now, SENDER_REGISTERED,
           f"{contact.email} → {organisation_slug}{' (super-user)' if super_user else ''}")
    return contact


@use_case
def dismiss(held: HeldMessage, agent: StaffMember, now: datetime) -> None:
    """Hide the mail from the list; it is kept, with who dismissed it and when."""
    _refuse_if_handled(held)
    _resolve(held, agent, now, DISMISSED, "dismissed")


def _refuse_if_handled(held: HeldMessage) -> None:
    if held.resolved_at is not None:
        raise Refusal("This message was handled already.")


def _resolve(held: HeldMessage, agent: StaffMember, now: datetime, action: str,
             resolution: str) -> None:
    held.resolved_at = now
    held.resolved_by_id = agent.id
    held.resolution = resolution
    _audit(held, agent, now, action, resolution)


def _audit(held: HeldMessage, agent: StaffMember, now: datetime, action: str,
           detail: str | None = None) -> None:
    # Held mail's sender is often no contact; when it is one, the read concerns them.
    sender = db.session.scalars(
        sa.select(Contact).where(Contact.email == held.sender)).first()
    audit.add_entry(action, now, agent, "held_message", held.id, detail,
                    contact_id=sender.id if sender else None,
                    organisation_id=sender.organisation_id if sender else None)


def _body_text(held: HeldMessage, mail: ParsedEmail | None) -> str:
    if mail is not None and mail.body_text.strip():
        return mail.body_text
    return held.subject or "(no text)"


def _message_fields(held: HeldMessage, mail: ParsedEmail | None) -> dict:
    fields = {"raw_mail": held.raw_mail, "message_id": held.message_id}
    if mail is not None:
        fields.update(in_reply_to=mail.in_reply_to,
                      references=" ".join(mail.references) or None,
                      body_html=mail.body_html_sanitised,
                      parse_problem=(mail.parse_error or "")[:300] or None)
    return fields


def _store_attachments(message, mail: ParsedEmail | None) -> None:
    """The mail's parts as ingestion stores them (the raw source keeps any over the limit)."""
    if mail is not None:
        kept, _ = inbound_mail.within_limit(mail)
        inbound_mail.store_attachments(message, kept, blob_store())
