"""Mail bookkeeping: the ingestion ledger, held mail, mailbox positions and the outbox."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from helpdesk.domain import languages
from helpdesk.extensions import db
from helpdesk.models.staff import StaffMember
from helpdesk.models.types import OneLineString, UTCDateTime, enum_column

if TYPE_CHECKING:
    from helpdesk.models.ticket import Message, Ticket


class RawMail(db.Model):
    """A received mail's bytes exactly as they arrived, never altered.

    Mail up to RAW_MAIL_INLINE_BYTES lives in the row, committed with the message that names
    it (no file to create and sync); larger mail lives in the blob store under `blob_path`.
    """

    __table_args__ = (sa.CheckConstraint("(content IS NULL) <> (blob_path IS NULL)",
                                         name="content_or_blob_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    blob_path: Mapped[str | None] = mapped_column(sa.String(200))


class MailReceipt(db.Model):
    """Every inbound mail once: its dedupe key and fingerprint are unique, so a re-fetch (or a
    second delivery of the same mail) adds nothing, and a different mail reusing a Message-ID
    is a mail of its own."""

    __table_args__ = (
        # A rerun after a crash finds what it committed by folder position, before downloading.
        sa.Index("ix_mail_receipt_mailbox_uidvalidity_uid", "mailbox", "uidvalidity", "uid"),
        sa.UniqueConstraint("dedupe_key", "fingerprint",
                            name="uq_mail_receipt_dedupe_key_fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Message-ID, or a digest of the raw bytes when there is none.
    dedupe_key: Mapped[str] = mapped_column(sa.String(998))
    # The raw bytes' digest without trace fields (domain/mail_fingerprint.py); None on receipts
    # written before fingerprints, which stand for every mail with their dedupe key.
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    # None only for a message held as too large: it stays on the server, never downloaded.
    raw_mail_id: Mapped[int | None] = mapped_column(sa.ForeignKey("raw_mail.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the desk stored it: the ingestion latency is stored_at - received_at.
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailbox: Mapped[str] = mapped_column(sa.String(200), default="")
    uidvalidity: Mapped[int | None] = mapped_column(sa.BigInteger)
    uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    held_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("held_message.id"))

    # Set on a new message, they give its ids in the flush that inserts it (a batch at once).
    message: Mapped[Message | None] = relationship()
    held_message: Mapped[HeldMessage | None] = relationship()
    raw_mail: Mapped[RawMail | None] = relationship()


class HeldReason(StrEnum):
    UNKNOWN_SENDER = "unknown sender"
    NOT_SUPER_USER = "not a super-user"
    ORGANISATION_SUSPENDED = "organisation suspended"
    ORGANISATION_ENDED = "organisation ended"
    SENDER_AUTH_FAILED = "sender authentication failed"
    AUTOMATIC_REPLY = "automatic reply"
    BOUNCE = "bounce"
    UNPARSABLE = "unparsable"
    TOO_LARGE = "too large"
    OTHER_ORGANISATION = "reply from another organisation"


class HeldMessage(db.Model):
    """Mail that did not become a ticket message, kept whole with the reason why."""

    __table_args__ = (sa.Index("ix_held_message_resolved_at_received_at",
                               "resolved_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    raw_mail_id: Mapped[int | None] = mapped_column(sa.ForeignKey("raw_mail.id"))
    sender: Mapped[str] = mapped_column(OneLineString(254), default="")
    subject: Mapped[str] = mapped_column(OneLineString(300), default="")
    reason: Mapped[HeldReason] = mapped_column(enum_column(HeldReason, name="held_reason",
                                                           length=40))
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    message_id: Mapped[str | None] = mapped_column(sa.String(998))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_member.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(200))

    resolved_by: Mapped[StaffMember | None] = relationship()
    raw_mail: Mapped[RawMail | None] = relationship()


class MailboxState(db.Model):
    """How far ingestion got in one IMAP folder; a new UIDVALIDITY means a re-scan."""

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(200), unique=True)
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger)
    last_uid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The last UID of the batch being worked on, committed before its work and cleared after:
    # still set at the next pass, the work died, and that pass takes its messages one by one.
    attempting_through_uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    # What the last pass saw, for the admins' page: when it ended, what stopped it (None when
    # it ran through), and how many messages it left in the folder to be retried.
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    mail_waiting: Mapped[int] = mapped_column(default=0)
    # When a pass last ran through: the watchdog counts mail not fetched from there.
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IngestFailure(db.Model):
    """A message whose ingestion raised: counted, so a poisonous one is held, not retried."""

    __table_args__ = (sa.UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(200))
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger)
    uid: Mapped[int] = mapped_column(sa.BigInteger)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent failure (5xx) or too many attempts: shown to agents
    HELD_BACK = "held back"  # the loop brake stopped it: shown to agents


class OutboxMessage(db.Model):
    """A mail to send, written in the same transaction as the change that caused it."""

    __table_args__ = (
        sa.Index("ix_outbox_message_state_next_attempt_at", "state", "next_attempt_at"),
        # The loop brake counts what went to one recipient in the last hour.
        sa.Index("ix_outbox_message_to_address_sent_at", "to_address", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    # The conversation message this mail carries (an agent reply), for its attachments.
    message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))  # acknowledgement, reply, due_soon, ...
    automatic: Mapped[bool] = mapped_column(default=True)  # counts for the loop brake
    to_address: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[str] = mapped_column(sa.String(5), default=languages.DEFAULT)
    subject: Mapped[str] = mapped_column(OneLineString(300))
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    smtp_message_id: Mapped[str] = mapped_column(sa.String(998))
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, name="outbox_state"), default=OutboxState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's lease while it sends: others skip the row until then; a crash frees it later.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # For mails that must go once only (escalations): a rerun hits the constraint.
    once_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)

    ticket: Mapped[Ticket | None] = relationship()


class CaughtMail(db.Model):
    """A mail the development desk's catcher kept instead of sending (HELPDESK_MAIL_CATCHER)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    caught_at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope_from: Mapped[str] = mapped_column(sa.String(254))
    recipients: Mapped[list] = mapped_column(sa.JSON)
    subject: Mapped[str] = mapped_column(OneLineString(300), default="")
    # The bytes as an SMTP server would have had them.
    raw: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    outbox_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_message.id"))

    outbox_message: Mapped[OutboxMessage | None] = relationship()
