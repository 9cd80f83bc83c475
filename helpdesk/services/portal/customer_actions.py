"""What a super-user does in the portal: file a ticket, write on it, resolve or reopen it.

Each use case takes only the fields a customer may set; the organisation, status, assignee and
channel follow from who is signed in and what they do, never from posted data.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from helpdesk.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Contact,
    Message,
    OrganisationStatus,
    Ticket,
    TicketStatus,
)
from helpdesk.services import Refusal
from helpdesk.services.notifications import customer_mail
from helpdesk.services.tickets import lifecycle, uploads
from helpdesk.services.tickets.details import clean_details, details_as_text, missing_fields
from helpdesk.services.transaction import use_case

MAX_SUBJECT_LENGTH = 200
MAX_MESSAGE_LENGTH = 20_000


class ReadOnly(Refusal):
    """The organisation is suspended: its super-users may read, not write."""


class InvalidSubmission(Refusal):
    """What a person must fix, per form field ("subject", a detail's name, "attachments")."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class NewTicket:
    """Everything a super-user may say about a new ticket."""

    category: Category
    subject: str
    answers: dict[str, str | None] = field(default_factory=dict)
    calamity_confirmed: bool = False
    files: Iterable = ()


def may_write(contact: Contact) -> bool:
    """Only an active organisation opens and answers tickets; a suspended one only reads."""
    return contact.organisation.status == OrganisationStatus.ACTIVE


def ensure_writable(contact: Contact) -> None:
    if not may_write(contact):
        raise ReadOnly("Your organisation's access is limited: you can read your tickets, "
                       "but not open or answer them.")


@use_case
def file_ticket(contact: Contact, submission: NewTicket, now: datetime) -> Ticket:
    """Open the ticket, store its files, queue the acknowledgement, and commit once."""
    ensure_writable(contact)
    category = submission.category
    details = clean_details(category, submission.answers)
    errors = {missing.name: _("Please fill this in.")
              for missing in missing_fields(category, details)}
    subject = submission.subject.strip()
    if not subject:
        errors["subject"] = _("Please give your ticket a short subject.")
    if category == Category.CALAMITY and not submission.calamity_confirmed:
        errors["confirm_calamity"] = _(
            "Please confirm that this is a calamity, or choose another category.")
    accepted = _accept_files(submission.files, errors)
    if errors:
        raise InvalidSubmission(errors)
    ticket, message = lifecycle.open_ticket(
        raised_by=contact, subject=subject[:MAX_SUBJECT_LENGTH], category=category,
        channel=Channel.PORTAL, body_text=details_as_text(category, details, contact.language),
        details=details, received_at=now, now=now)
    uploads.attach(message, accepted)
    customer_mail.queue_acknowledgement(ticket, now)
    return ticket


@use_case
def reply(contact: Contact, ticket: Ticket, text: str, files: Iterable, now: datetime) -> Message:
    """A customer's message on a ticket that is still open."""
    _ensure_may_write_on(contact, ticket)
    if ticket.status not in OPEN_STATUSES:
        raise InvalidSubmission({"body": _("This ticket is no longer open.")})
    return _customer_message(contact, ticket, text, files, now)


@use_case
def reopen(contact: Contact, ticket: Ticket, text: str, files: Iterable,
           now: datetime) -> Message:
    """Not solved after all: the message reopens the ticket and starts a new response clock."""
    _ensure_may_write_on(contact, ticket)
    if ticket.status != TicketStatus.RESOLVED:
        raise InvalidSubmission({"body": _("Only a resolved ticket can be reopened.")})
    return _customer_message(contact, ticket, text, files, now)


@use_case
def resolve(contact: Contact, ticket: Ticket, now: datetime) -> None:
    """The customer says it is solved; a ticket that is not open stays as it is."""
    _ensure_may_write_on(contact, ticket)
    if ticket.status in OPEN_STATUSES:
        lifecycle.set_status(ticket, TicketStatus.RESOLVED, contact, now)


def _customer_message(contact: Contact, ticket: Ticket, text: str, files: Iterable,
                      now: datetime) -> Message:
    errors = {}
    text = text.strip()
    if not text:
        errors["body"] = _("Please write a message.")
    accepted = _accept_files(files, errors)
    if errors:
        raise InvalidSubmission(errors)
    message = lifecycle.add_inbound_message(ticket, contact, text[:MAX_MESSAGE_LENGTH],
                                          received_at=now, now=now)
    uploads.attach(message, accepted)
    return message


def _accept_files(files: Iterable, errors: dict[str, str]) -> list[uploads.Upload]:
    try:
        return uploads.accept(files)
    except uploads.UploadRejected as rejected:
        errors["attachments"] = str(rejected)
        return []


def _ensure_may_write_on(contact: Contact, ticket: Ticket) -> None:
    ensure_writable(contact)
    if ticket.organisation_id != contact.organisation_id:
        raise Refusal("You can only act on your own organisation's tickets.")
