"""Who may write to the desk, and which ticket a mail belongs to: the rules of product.md."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from helpdesk.domain.mail.parse import ParsedEmail
from helpdesk.domain.mail.sender_auth import SenderAuth
from helpdesk.domain.mail.sender_rules import BOUNCE
from helpdesk.domain.mail.threads import ticket_number_from_message_ids, ticket_number_from_subject
from helpdesk.extensions import db
from helpdesk.models import Contact, HeldReason, Message, OrganisationStatus, Ticket
from helpdesk.services import Refusal
from helpdesk.services.notifications.customer_mail import message_id_secret
from helpdesk.settings import SENDER_AUTH_MODES

# Enough of a References header to thread any real conversation; no more lookups than that.
MAX_THREAD_IDS = 50
MAX_MERGE_HOPS = 10


@dataclass(frozen=True)
class Held:
    """Not for a ticket: why, and whom to tell (only a registered contact, politely, once)."""

    reason: HeldReason
    detail: str | None = None
    notify: Contact | None = None  # a registered contact who gets the "ask a super-user" reply


@dataclass(frozen=True)
class Accepted:
    """A super-user's mail: for a new ticket, or for the ticket it names."""

    contact: Contact
    ticket: Ticket | None  # None: a new ticket; a closed one: a follow-up that links it


def sender_auth_mode() -> str:
    """The configured mode, checked: enforcing without a trusted server would hold all mail."""
    mode = str(current_app.config["SENDER_AUTH"]).lower()
    if mode not in SENDER_AUTH_MODES:
        raise Refusal("SENDER_AUTH must be off, log or enforce, not %(mode)r.", mode=mode)
    if mode == "enforce" and not current_app.config["AUTHSERV_ID"]:
        raise Refusal("SENDER_AUTH enforce needs AUTHSERV_ID (your mail server's name).")
    return mode


def contacts_by_email(addresses: Iterable[str]) -> dict[str, Contact]:
    """Registered contacts by their (normalised) address, with their organisations."""
    return {contact.email: contact for contact in db.session.scalars(
        sa.select(Contact).options(joinedload(Contact.organisation))
        .where(Contact.email.in_(addresses)))}


def contact_by_email(address: str) -> Contact | None:
    return contacts_by_email([address]).get(address)


@dataclass
class Threads:
    """Tickets by their number and by the Message-IDs of their messages, remembered.

    `look_up` finds those a batch of mail names in two queries; `add` tells of the tickets and
    messages the batch itself writes before they are inserted. Anything not known is asked.
    """

    by_number: dict[int, Ticket | None] = field(default_factory=dict)
    by_message_id: dict[str, Ticket | None] = field(default_factory=dict)

    def look_up(self, mails: Iterable[ParsedEmail]) -> None:
        secret = message_id_secret()
        ids, numbers = set(), set()
        for parsed in mails:
            thread = thread_ids(parsed)
            ids.update(thread)
            numbers.update(n for n in (ticket_number_from_message_ids(thread, secret),
                                       ticket_number_from_subject(parsed.subject))
                           if n is not None)
        ids -= self.by_message_id.keys()
        numbers -= self.by_number.keys()
        found = dict(db.session.execute(
            sa.select(Message.message_id, Message.ticket_id).where(Message.message_id.in_(ids))
            .order_by(Message.id.desc())  # a reused Message-ID: the first message's ticket
        ).all()) if ids else {}
        loaded = {t.id: t for t in db.session.scalars(sa.select(Ticket).where(
            Ticket.id.in_(set(found.values())) | Ticket.number.in_(numbers)))
        } if found or numbers else {}
        by_number = {t.number: t for t in loaded.values()}
        self.by_message_id.update((i, loaded.get(found.get(i))) for i in ids)
        self.by_number.update((n, by_number.get(n)) for n in numbers)

    def ticket_ids(self) -> set[int]:
        """The stored tickets known here."""
        return {t.id for t in (*self.by_number.values(), *self.by_message_id.values())
                if t is not None and t.id is not None}

    def add(self, ticket: Ticket, message_id: str | None) -> None:
        self.by_number[ticket.number] = ticket
        if message_id and self.by_message_id.get(message_id) is None:  # the first keeps it
            self.by_message_id[message_id] = ticket

    def ticket_by_number(self, number: int) -> Ticket | None:
        if number not in self.by_number:
            self.by_number[number] = db.session.scalar(
                sa.select(Ticket).where(Ticket.number == number))
        return self.by_number[number]

    def ticket_by_message_ids(self, ids: list[str]) -> Ticket | None:
        """The ticket of the first of `ids` that is a stored Message-ID."""
        unknown = [i for i in ids if i not in self.by_message_id]
        if unknown:
            found = dict(db.session.execute(
                sa.select(Message.message_id, Message.ticket_id)
                .where(Message.message_id.in_(unknown)).order_by(Message.id.desc())).all())
            self.by_message_id.update(
                (i, db.session.get(Ticket, found[i]) if i in found else None) for i in unknown)
        return next((self.by_message_id[i] for i in ids if self.by_message_id[i]), None)


def thread_ids(parsed: ParsedEmail) -> list[str]:
    """The Message-IDs a reply names, the one it answers first."""
    return list(dict.fromkeys(
        i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i
    ))[:MAX_THREAD_IDS]


def route(parsed: ParsedEmail, enforced: SenderAuth | None, *,
          sender: Callable[[str], Contact | None] = contact_by_email,
          threads: Threads | None = None) -> Held | Accepted:
    """Who sent it and whether they may write here: a ticket to join, a new one, or held."""
    if parsed.parse_error:
        return Held(HeldReason.UNPARSABLE, parsed.parse_error)
    if parsed.auto_submitted_reason:
        reason = (HeldReason.BOUNCE if parsed.auto_submitted_reason.startswith(BOUNCE)
                  else HeldReason.AUTOMATIC_REPLY)
        return Held(reason, parsed.auto_submitted_reason)
    if not parsed.from_address:
        return Held(HeldReason.UNPARSABLE, parsed.from_problem or "no sender address")
    contact = sender(parsed.from_address)
    if contact is None:
        return Held(HeldReason.UNKNOWN_SENDER)
    if enforced is not None and enforced.dmarc != "pass":
        return Held(HeldReason.SENDER_AUTH_FAILED, enforced.summary)
    status = contact.organisation.status
    if status == OrganisationStatus.SUSPENDED:
        return Held(HeldReason.ORGANISATION_SUSPENDED, contact.organisation.name)
    if status == OrganisationStatus.ENDED:
        return Held(HeldReason.ORGANISATION_ENDED, contact.organisation.name)
    if not contact.active:
        return Held(HeldReason.NOT_SUPER_USER, "contact is disabled")
    if not contact.is_super_user:
        return Held(HeldReason.NOT_SUPER_USER, notify=contact)
    ticket = _named_ticket(parsed, threads or Threads())
    if ticket is not None and ticket.organisation_id != contact.organisation_id:
        return Held(HeldReason.OTHER_ORGANISATION,
                     f"names ticket #{ticket.number} of another organisation")
    return Accepted(contact, ticket)


def _named_ticket(parsed: ParsedEmail, threads: Threads) -> Ticket | None:
    """The ticket a reply names: our signed Message-ID, any stored Message-ID, the subject tag."""
    ids = thread_ids(parsed)
    ticket = None
    number = ticket_number_from_message_ids(ids, message_id_secret())
    if number is not None:
        ticket = threads.ticket_by_number(number)
    if ticket is None and ids:
        ticket = threads.ticket_by_message_ids(ids)
    if ticket is None and (number := ticket_number_from_subject(parsed.subject)) is not None:
        ticket = threads.ticket_by_number(number)
    for _ in range(MAX_MERGE_HOPS):
        if ticket is None or ticket.merged_into_id is None:
            break
        ticket = db.session.get(Ticket, ticket.merged_into_id)
    return ticket
