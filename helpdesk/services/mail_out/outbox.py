"""Writing mail to the outbox, in the caller's transaction, for the worker to send."""
from datetime import datetime
from email.utils import make_msgid, parseaddr
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models import (
    Contact,
    OutboxMessage,
    OutboxState,
    StaffInvitation,
    StaffMember,
    Ticket,
)
from helpdesk.services import Refusal
from helpdesk.services.history import record_event, ticket_link
from helpdesk.services.people.directory import normalise_email

# What every mail the desk writes by itself says about itself (RFC 3834).
AUTO_GENERATED = "auto-generated"
AUTO_REPLIED = "auto-replied"  # an automatic answer to a mail that came in

# Mail that could not go out; agents see these on the ticket.
PROBLEM_STATES = (OutboxState.FAILED, OutboxState.HELD_BACK)


def desk_address() -> str:
    """The desk's own address: the From of every mail and the envelope sender for bounces."""
    return _address_of(current_app.config["MAIL_DEFAULT_SENDER"])


@lru_cache(maxsize=8)
def _address_of(sender: str) -> str:
    return parseaddr(sender)[1]  # once, not for every mail a batch queues


def desk_domain() -> str:
    return desk_address().rpartition("@")[2] or "localhost"


def is_registered_recipient(address: str, ticket: Ticket | None) -> bool:
    """A staff member, someone a manager invited to be one (no ticket), or a contact (of the
    ticket's organisation, when there is a ticket)."""
    raiser = ticket.raised_by if ticket is not None else None
    if raiser is not None and raiser.email == address \
            and raiser.organisation_id == ticket.organisation_id:
        return True  # the ticket's own customer, loaded already: no query needed
    contact_organisation = db.session.scalar(
        sa.select(Contact.organisation_id).where(Contact.email == address))
    if contact_organisation is not None:
        return ticket is None or contact_organisation == ticket.organisation_id
    if db.session.scalar(
            sa.select(StaffMember.id).where(StaffMember.email == address)) is not None:
        return True
    return ticket is None and db.session.scalar(
        sa.select(StaffInvitation.id).where(StaffInvitation.email == address)
        .limit(1)) is not None


def queue_mail(*, to_address: str, kind: str, subject: str, body_text: str, now: datetime,
               body_html: str | None = None, language: str = languages.DEFAULT,
               ticket: Ticket | None = None,
               automatic: bool = True, auto_submitted: str | None = AUTO_GENERATED,
               headers: dict | None = None,
               once_key: str | None = None, smtp_message_id: str | None = None,
               message_id: int | None = None) -> OutboxMessage:
    """Add a mail to the outbox; it is sent only if the surrounding transaction commits.

    Mail goes only to people we registered, never to an address read from an inbound header.
    Every mail says it was written by the desk itself (`Auto-Submitted`), unless the caller
    says a person wrote it (`auto_submitted=None`: an agent's reply). `automatic` is another
    matter: whether the loop brake counts it.
    """
    to_address = normalise_email(to_address)
    if not is_registered_recipient(to_address, ticket):
        raise Refusal("%(address)s is not a registered contact of the ticket's organisation or "
                      "a staff member; no mail is sent there.", address=to_address)
    headers = {name: value for name, value in (headers or {}).items()
               if name != "Auto-Submitted"}
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
    outgoing = OutboxMessage(
        **(ticket_link(ticket) if ticket else {}), message_id=message_id, kind=kind,
        automatic=automatic, to_address=to_address, language=language, subject=subject,
        headers=headers, body_text=body_text, body_html=body_html,
        smtp_message_id=smtp_message_id or make_msgid(domain=desk_domain()).strip("<>"),
        next_attempt_at=now, created_at=now, once_key=once_key,
    )
    db.session.add(outgoing)
    return outgoing


def outbox_problems(ticket: Ticket) -> list[OutboxMessage]:
    """Mail about this ticket that failed or the loop brake held back, oldest first."""
    return list(db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.state.in_(PROBLEM_STATES))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ))


def send_again(outgoing: OutboxMessage, agent: StaffMember, now: datetime) -> None:
    """An agent tries a mail that failed or was held back once more, with fresh attempts.

    Releasing a mail the loop brake held back is a person's decision: the brake, which counts
    automatic mail, does not hold it again. The state is checked and changed in one statement,
    so two agents (or a double click) release it once. The caller commits.
    """
    if outgoing.state not in PROBLEM_STATES:
        raise Refusal("Only mail that failed or was held back can be sent again.")
    if not is_registered_recipient(outgoing.to_address, outgoing.ticket):
        raise Refusal("The recipient is no longer a registered contact of the ticket's "
                      "organisation or a staff member.")
    error = outgoing.last_error
    released = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == outgoing.id, OutboxMessage.state.in_(PROBLEM_STATES))
        .values(state=OutboxState.PENDING, attempts=0, next_attempt_at=now,
                claimed_until=None, last_error=None,
                automatic=sa.case((OutboxMessage.state == OutboxState.HELD_BACK, False),
                                  else_=OutboxMessage.automatic))
        .execution_options(synchronize_session=False))
    db.session.expire(outgoing)
    if released.rowcount != 1:
        raise Refusal("Only mail that failed or was held back can be sent again.")
    if outgoing.ticket is not None:
        record_event(outgoing.ticket, "mail_sent_again", now, agent, before=error,
                     after=f"{outgoing.subject} ({outgoing.to_address})")
