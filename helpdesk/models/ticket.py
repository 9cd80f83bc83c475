"""Tickets, their conversation, attachments, history and per-response SLA records."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.organisation import Contact, Organisation
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import OneLineString, UTCDateTime, enum_column

if TYPE_CHECKING:
    from helpdesk.models.mail import RawMail


class Category(StrEnum):
    BUG = "bug"
    OUTAGE = "outage"
    WISH = "wish"
    CONFIGURATION = "configuration"
    QUESTION = "question"
    CALAMITY = "calamity"


class Channel(StrEnum):
    EMAIL = "email"
    PORTAL = "portal"
    PHONE = "phone"


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # waiting on the customer: the response clock is paused
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING})
# Statuses in which the desk owes the customer a response, so a due moment runs.
AWAITING_DESK_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN})
# Statuses of a ticket the desk has resolved; entering one from an open status is a resolution.
RESOLVED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

# The queue's urgency order as SQL, written once so the partial expression index below and
# the queue's ORDER BY are the same text (SQLite and PostgreSQL match index expressions by form).
# The open statuses' condition is derived from OPEN_STATUSES, in the enum's order.
OPEN_STATUSES_SQL = "status IN ({})".format(
    ", ".join(f"'{status.value}'" for status in TicketStatus if status in OPEN_STATUSES))
CALAMITY_FIRST_SQL = "(CASE WHEN category = 'calamity' THEN 0 ELSE 1 END)"
UNDUE_LAST_SQL = "(CASE WHEN response_due_at IS NULL THEN 1 ELSE 0 END)"


class MessageKind(StrEnum):
    INBOUND = "inbound"  # from the customer
    OUTBOUND = "outbound"  # public reply by an agent
    NOTE = "note"  # internal, never shown to customers
    CALL = "call"  # a phone call as the agent logged it: the summary the customer may see


class Ticket(db.Model):
    __table_args__ = (
        # The queue: open work by urgency; the sweep: the next moment something is due.
        sa.Index("ix_ticket_status_response_due_at", "status", "response_due_at"),
        sa.Index("ix_ticket_organisation_id_created_at", "organisation_id", "created_at"),
        sa.Index("ix_ticket_assignee_id_status", "assignee_id", "status"),
        # The calamity banner on every staff page.
        sa.Index("ix_ticket_category_status", "category", "status"),
        # The agents' queue in urgency order, so a page of open work is read off an index.
        sa.Index("ix_ticket_queue_urgency", sa.text(CALAMITY_FIRST_SQL), sa.text(UNDUE_LAST_SQL),
                 "response_due_at", "created_at", "id",
                 sqlite_where=sa.text(OPEN_STATUSES_SQL),
                 postgresql_where=sa.text(OPEN_STATUSES_SQL)),
        # Statistics: a period's tickets read from the index alone, a response's ticket
        # dimensions without reading the row, and a period's calamities.
        sa.Index("ix_ticket_created_at_dimensions", "created_at", "category", "channel",
                 "organisation_id", "assignee_id"),
        sa.Index("ix_ticket_resolved_at_dimensions", "resolved_at", "category", "channel",
                 "organisation_id", "assignee_id"),
        sa.Index("ix_ticket_category_created_at", "category", "created_at"),
        sa.Index("ix_ticket_id_dimensions", "id", "organisation_id", "assignee_id", "channel"),
        # Statistics: the backlog now, by age, read from the index alone.
        sa.Index("ix_ticket_backlog", "status", "created_at", "response_due_at", "category",
                 "organisation_id", "assignee_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    subject: Mapped[str] = mapped_column(OneLineString(300))
    category: Mapped[Category] = mapped_column(enum_column(Category, name="category"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, name="channel"))
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus, name="ticket_status"), default=TicketStatus.NEW
    )
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"))
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The response the desk currently owes: set while the ticket awaits the desk, else None.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_soon_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The next moment the escalation sweep must look at this ticket (None: nothing pending).
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_soon: Mapped[bool] = mapped_column(default=False)
    breached: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fields a bug or outage report asks for (steps, expected, actual, since when, affected).
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket.id"))
    follows_up_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket.id"))

    organisation: Mapped[Organisation] = relationship()
    raised_by: Mapped[Contact] = relationship()
    assignee: Mapped[StaffMember | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.created_at, Message.id"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.at, TicketEvent.id"
    )

    @property
    def is_calamity(self) -> bool:
        return self.category == Category.CALAMITY

    def __repr__(self) -> str:
        return f"<Ticket #{self.number}>"


class Message(db.Model):
    __table_args__ = (sa.Index("ix_message_ticket_id_created_at", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, name="message_kind"))
    author_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"))
    author_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    sender: Mapped[str] = mapped_column(OneLineString(254))  # the address or staff name shown
    # When the desk had it: IMAP INTERNALDATE, form submission, call time or reply time.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Threading: our own Message-IDs and customers' are both looked up here.
    message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(sa.String(998))
    references: Mapped[str | None] = mapped_column(sa.Text)
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str | None] = mapped_column(sa.Text)  # sanitised before it is stored
    raw_mail_id: Mapped[int | None] = mapped_column(sa.ForeignKey("raw_mail.id"))  # as received
    sender_auth: Mapped[str | None] = mapped_column(sa.String(200))
    parse_problem: Mapped[str | None] = mapped_column(sa.String(300))
    # A logged call (kind CALL) runs from created_at to here; the caller is author_contact.
    call_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id"
    )
    author_staff: Mapped[StaffMember | None] = relationship()
    author_contact: Mapped[Contact | None] = relationship()
    raw_mail: Mapped[RawMail | None] = relationship()


class Attachment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("message.id"), index=True)
    filename: Mapped[str] = mapped_column(OneLineString(255))  # shown, and sent in a header
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_path: Mapped[str] = mapped_column(sa.String(200))
    content_id: Mapped[str | None] = mapped_column(sa.String(255))  # for inline cid: images

    message: Mapped[Message] = relationship(back_populates="attachments")


# The history action of a status change (before and after are the statuses' values).
STATUS_CHANGED = "status"
_RESOLVED_VALUES = tuple(sorted(status.value for status in RESOLVED_STATUSES))


class TicketEvent(db.Model):
    """One change in a ticket's history: who, when, what, before and after."""

    __table_args__ = (
        # Statistics: a period's resolution events (status changes) read from the index.
        sa.Index("ix_ticket_event_action_at", "action", "at", "before", "after", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    actor_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    before: Mapped[str | None] = mapped_column(sa.String(300))
    after: Mapped[str | None] = mapped_column(sa.String(300))
    # Set for events that must happen once only (escalations): a rerun hits the constraint.
    once_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor_staff: Mapped[StaffMember | None] = relationship()
    actor_contact: Mapped[Contact | None] = relationship()

    @hybrid_property
    def is_resolution(self) -> bool:
        """A status change from open to resolved or closed: what the statistics count.

        Each resolution counts in the period it happened, so a reopen and a second resolution
        add one to the later period and take none from the earlier one.
        """
        return (self.action == STATUS_CHANGED and self.after in _RESOLVED_VALUES
                and self.before not in _RESOLVED_VALUES)

    @is_resolution.inplace.expression
    @classmethod
    def _is_resolution_expression(cls):
        return ((cls.action == STATUS_CHANGED) & cls.after.in_(_RESOLVED_VALUES)
                & cls.before.not_in(_RESOLVED_VALUES))


class ResponseRecord(db.Model):
    """One response the desk owed: when it was due and when (if ever) it was met."""

    __table_args__ = (
        sa.Index("ix_response_record_due_at", "due_at"),
        sa.Index("ix_response_record_ticket_id_met_at", "ticket_id", "met_at"),
        # Statistics: a period's responses read from the index alone.
        sa.Index("ix_response_record_received_at", "received_at", "is_first", "category",
                 "met_at", "due_at", "cancelled_at", "promise_seconds_to_response", "ticket_id",
                 "breached_due_at"),
        # Percentiles: the n-th first response in order of time, without sorting a period.
        sa.Index("ix_response_record_first_promise_seconds", "is_first",
                 "promise_seconds_to_response", "received_at"),
        sa.Index("ix_response_record_first_wall_seconds", "is_first",
                 "wall_seconds_to_response", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"))
    is_first: Mapped[bool] = mapped_column(default=False)
    category: Mapped[Category] = mapped_column(enum_column(Category, name="category"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Closed without a reply (customer went quiet, ticket resolved): not counted as met.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(default=False)
    # The due moment that passed without a response, kept for good: a recompute (category or
    # calendar change) may move due_at later, but the statistics still count this one as late.
    breached_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Working-day seconds from clock start to response, for statistics without Python loops.
    working_seconds_to_response: Mapped[int | None] = mapped_column()
    # Whole seconds from receipt to response on the wall clock (each moment floored first).
    wall_seconds_to_response: Mapped[int | None] = mapped_column()
    # On the promise's clock: the working-day seconds, or the wall-clock ones for a calamity.
    promise_seconds_to_response: Mapped[int | None] = mapped_column()

    ticket: Mapped[Ticket] = relationship()


class TicketNumberCounter(db.Model):
    """A single row handing out ticket numbers atomically (UPDATE ... RETURNING)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.BigInteger)
