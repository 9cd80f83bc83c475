"""One inbound mail becomes a ticket message or a held message, with its receipt, in one commit.

Who may write, and to which ticket, is decided in services/mail_routing.py; the IMAP bookkeeping
around it lives in services/ingest.py. The stage_* functions write without committing, so a
caller can commit several messages at once; a message and its receipt always share one. The
messages of one commit share a Staging: their raw files are synced once, before that commit,
and their receipts and senders are looked up together.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from helpdesk.adapters.storage import BlobStore, blob_store
from helpdesk.domain.categorise import category_for, strip_category_marker
from helpdesk.domain.mail.fingerprint import content_fingerprint
from helpdesk.domain.mail.parse import ParsedAttachment, ParsedEmail, parse_email
from helpdesk.domain.mail.sender_auth import SenderAuth, evaluate_sender_auth
from helpdesk.domain.mail.threads import bare_subject
from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    Category,
    Channel,
    Contact,
    HeldMessage,
    HeldReason,
    MailReceipt,
    Message,
    RawMail,
    Ticket,
    TicketStatus,
)
from helpdesk.services.history import record_event
from helpdesk.services.intake.parse_ahead import time_limit
from helpdesk.services.intake.raw_mail import keep_raw
from helpdesk.services.intake.routing import (
    Accepted,
    Held,
    Threads,
    contact_by_email,
    contacts_by_email,
    route,
    sender_auth_mode,
)
from helpdesk.services.notifications.customer_mail import (
    queue_acknowledgement,
    queue_not_super_user_notice,
)
from helpdesk.services.promise import deadlines
from helpdesk.services.promise.calendar_settings import SlaTerms
from helpdesk.services.tickets import lifecycle
from helpdesk.services.transaction import job


class Outcome(StrEnum):
    NEW_TICKET = "new ticket"
    REPLY = "reply"
    HELD = "held"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class MailSource:
    """Where a message was found; empty for mail handed to us directly."""

    mailbox: str = ""
    uidvalidity: int | None = None
    uid: int | None = None


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    dedupe_key: str
    held_reason: HeldReason | None = None
    fingerprint: str | None = None


@dataclass(frozen=True)
class _Written:
    """What routing wrote, waiting for its receipt and the flush that inserts them together."""

    outcome: Outcome
    held_reason: HeldReason | None = None
    ticket: Ticket | None = None
    message: Message | None = None
    held_message: HeldMessage | None = None


@dataclass(frozen=True)
class Kept:
    """A message whose raw bytes are kept, parsed: what routing works from."""

    raw_mail: RawMail
    parsed: ParsedEmail
    dedupe_key: str
    fingerprint: str


@dataclass
class Staging:
    """What the messages of one commit share: their files (attachments, large mail), synced
    once, batched lookups, and ticket numbers reserved together."""

    store: BlobStore
    # (dedupe key, fingerprint) -> has a receipt; `receipts` maps each key looked up to the
    # fingerprints its receipts have (None: a receipt older than fingerprints, matching all).
    receipted: dict[tuple[str, str], bool] = field(default_factory=dict)
    receipts: dict[str, set[str | None]] = field(default_factory=dict)
    senders: dict[str, Contact | None] = field(default_factory=dict)  # address -> contact
    numbers: lifecycle.TicketNumbers = field(default_factory=lifecycle.TicketNumbers)
    threads: Threads = field(default_factory=Threads)  # the tickets replies name

    @classmethod
    def batch(cls, messages: int = 1) -> Staging:
        """Files are synced together by `before_commit`, not one by one as they are written."""
        return cls(blob_store(deferred=True), numbers=lifecycle.TicketNumbers(messages))

    def look_up(self, kept: Iterable[Kept]) -> None:
        """The receipts, senders and named tickets of a whole batch: a few queries in all.

        Then routing the batch asks nothing that an earlier message of it may have changed, so
        it can be staged without autoflush and inserted by one flush.
        """
        kept = list(kept)
        self.threads.look_up(k.parsed for k in kept)
        deadlines.look_up_open_responses(self.threads.ticket_ids())
        keys = {k.dedupe_key for k in kept} - self.receipts.keys()
        if keys:
            self.receipts.update((key, set()) for key in keys)
            for key, fingerprint in db.session.execute(
                    sa.select(MailReceipt.dedupe_key, MailReceipt.fingerprint)
                    .where(MailReceipt.dedupe_key.in_(keys))):
                self.receipts[key].add(fingerprint)
        addresses = {k.parsed.from_address for k in kept if k.parsed.from_address}
        addresses -= self.senders.keys()
        if addresses:
            found = contacts_by_email(addresses)
            self.senders.update((address, found.get(address)) for address in addresses)

    def has_receipt(self, key: str, fingerprint: str) -> bool:
        """Known from the batch lookup or an earlier message of this commit, else asked."""
        if (key, fingerprint) not in self.receipted:
            known = self.receipts.get(key)
            self.receipted[key, fingerprint] = (
                _receipt(key, fingerprint) is not None if known is None
                else bool(known & {fingerprint, None}))
        return self.receipted[key, fingerprint]

    def sender(self, address: str) -> Contact | None:
        if address not in self.senders:
            self.senders[address] = contact_by_email(address)
        return self.senders[address]

    def before_commit(self) -> None:
        """The files first: a committed row never names a file a crash could lose.

        The job that commits calls this just before; a building block never commits.
        """
        self.numbers.give_back()
        self.store.sync()


def dedupe_key(message_id: str | None, raw_sha256: str) -> str:
    """The Message-ID, or the digest of the raw bytes when there is none."""
    if not message_id:
        return f"sha256:{raw_sha256}"
    key = f"message-id:{message_id}"
    if len(key) > 998:
        return f"message-id-sha256:{hashlib.sha256(message_id.encode()).hexdigest()}"
    return key


@job
def commit_staged(result: Result, staging: Staging | None = None) -> Result:
    """Commit what was staged; losing a race to another ingester ends as a duplicate."""
    try:
        if staging is not None:
            staging.before_commit()
        db.session.commit()
    except IntegrityError:
        # Another ingester committed the same message first: nothing of ours is kept.
        db.session.rollback()
        if _receipt(result.dedupe_key, result.fingerprint) is None:
            raise
        return Result(Outcome.DUPLICATE, result.dedupe_key, fingerprint=result.fingerprint)
    return result


def keep(raw: bytes, store: BlobStore, parsed: ParsedEmail | None = None) -> Kept:
    """Keep the raw bytes (whatever the parser makes of them), then parse them unless given."""
    raw_mail = keep_raw(raw, store)
    if parsed is None:
        with time_limit(current_app.config["INGEST_PARSE_SECONDS"]):
            parsed = parse_email(raw,
                                 max_attachment_bytes=current_app.config["MAX_ATTACHMENT_BYTES"])
    parsed = storable(parsed)
    return Kept(raw_mail, parsed, dedupe_key(parsed.message_id, raw_mail.sha256),
                content_fingerprint(raw))


def stage_kept(kept: Kept, *, received_at: datetime, now: datetime, source: MailSource,
               sla_terms: SlaTerms | None, staging: Staging,
               tell_customers: bool = True) -> Result:
    """Route a kept message: a ticket message or a held message, with its receipt.

    `tell_customers` False: no acknowledgement or not-a-super-user notice is queued for it.
    """
    parsed, key, fingerprint = kept.parsed, kept.dedupe_key, kept.fingerprint
    if staging.has_receipt(key, fingerprint):
        return Result(Outcome.DUPLICATE, key, fingerprint=fingerprint)
    received_at = min(received_at, now)
    mode = sender_auth_mode()
    auth = None if mode == "off" else evaluate_sender_auth(
        list(parsed.authentication_results), current_app.config["AUTHSERV_ID"],
        parsed.from_address)
    routed = route(parsed, auth if mode == "enforce" else None, sender=staging.sender,
                   threads=staging.threads)
    if isinstance(routed, Held):
        written = _hold(parsed, routed, kept.raw_mail, received_at, now, tell_customers)
    else:
        written = _add_to_ticket(parsed, routed, kept.raw_mail, received_at, now, auth, sla_terms,
                                 staging, tell_customers)
        staging.threads.add(written.ticket, written.message.message_id)
    return _add_receipt(written, key, fingerprint, kept.raw_mail, received_at, now, source,
                        staging)


def stage_too_large(header: bytes, size: int, *, received_at: datetime, now: datetime,
                    source: MailSource, staging: Staging | None = None) -> Result:
    """Hold a message over the size limit from its header alone; it stays on the server."""
    staging = staging or Staging(blob_store())
    parsed = storable(parse_email(header))
    limit = current_app.config["MAX_MESSAGE_BYTES"]
    # Without the body, the size and header stand in for the digest of the raw bytes.
    key = dedupe_key(parsed.message_id, hashlib.sha256(b"%d:" % size + header).hexdigest())
    fingerprint = content_fingerprint(header)
    if staging.has_receipt(key, fingerprint):
        return Result(Outcome.DUPLICATE, key, fingerprint=fingerprint)
    detail = (f"{size} bytes, over the limit of {limit}; left on the server in "
              f"{source.mailbox} (UID {source.uid})")
    received_at = min(received_at, now)
    written = _hold(parsed, Held(HeldReason.TOO_LARGE, detail), None, received_at, now)
    return _add_receipt(written, key, fingerprint, None, received_at, now, source, staging)


def stage_failing(raw: bytes, detail: str, *, received_at: datetime, now: datetime,
                  source: MailSource, staging: Staging | None = None) -> Result:
    """Hold a message that could not be made a ticket (`detail` says why); raw kept, unparsed."""
    staging = staging or Staging(blob_store())
    raw_mail = keep_raw(raw, staging.store)
    key, fingerprint = dedupe_key(None, raw_mail.sha256), content_fingerprint(raw)
    if staging.has_receipt(key, fingerprint):
        return Result(Outcome.DUPLICATE, key, fingerprint=fingerprint)
    held = Held(HeldReason.UNPARSABLE, detail)
    received_at = min(received_at, now)
    written = _hold(ParsedEmail(), held, raw_mail, received_at, now)
    return _add_receipt(written, key, fingerprint, raw_mail, received_at, now, source,
                        staging)


def storable(parsed: ParsedEmail) -> ParsedEmail:
    """The parsed text without NUL characters, which PostgreSQL refuses in any text column."""
    def clean(value):
        if isinstance(value, str):
            return value.replace("\x00", "")
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            return tuple(v.replace("\x00", "") for v in value)
        return value

    attachments = tuple(
        replace(a, filename=clean(a.filename), content_type=clean(a.content_type),
                content_id=clean(a.content_id))
        for a in parsed.attachments)
    return replace(parsed, attachments=attachments, **{
        f.name: clean(getattr(parsed, f.name)) for f in fields(parsed) if f.name != "attachments"})


def _receipt(key: str, fingerprint: str | None) -> MailReceipt | None:
    """The receipt of this mail: its key and its fingerprint (or one older than fingerprints)."""
    return db.session.scalar(sa.select(MailReceipt).where(
        MailReceipt.dedupe_key == key,
        MailReceipt.fingerprint.is_(None) | (MailReceipt.fingerprint == fingerprint)).limit(1))


def _hold(parsed: ParsedEmail, held: Held, raw_mail: RawMail | None, received_at: datetime,
          now: datetime, tell_customers: bool = True) -> _Written:
    message = HeldMessage(
        raw_mail=raw_mail, sender=(parsed.from_address or parsed.from_name or "")[:254],
        subject=parsed.subject[:300], reason=held.reason,
        detail=held.detail[:500] if held.detail else None,
        message_id=parsed.message_id[:998] if parsed.message_id else None,
        received_at=received_at,
    )
    db.session.add(message)
    if held.notify is not None and tell_customers:
        queue_not_super_user_notice(held.notify, now, subject=parsed.subject,
                                    in_reply_to=parsed.message_id)
    return _Written(Outcome.HELD, held_reason=held.reason, held_message=message)


def _add_to_ticket(parsed: ParsedEmail, accepted: Accepted, raw_mail: RawMail,
                   received_at: datetime, now: datetime, auth: SenderAuth | None,
                   sla_terms: SlaTerms | None, staging: Staging,
                   tell_customers: bool = True) -> _Written:
    kept, too_big = within_limit(parsed)
    message_fields = {
        "message_id": parsed.message_id[:998] if parsed.message_id else None,
        "in_reply_to": parsed.in_reply_to[:998] if parsed.in_reply_to else None,
        "references": " ".join(parsed.references) or None,
        "body_html": parsed.body_html_sanitised, "raw_mail": raw_mail,
        "sender_auth": auth.summary[:200] if auth else None,
        "parse_problem": (f"not stored separately (too large): {', '.join(too_big)}"[:300]
                          if too_big else None),
    }
    old = accepted.ticket
    if old is None or old.status == TicketStatus.CLOSED:
        subject = bare_subject(parsed.subject)
        category = category_for(parsed.to_addresses, subject,
                                calamity_addresses=current_app.config["CALAMITY_ADDRESSES"])
        ticket, message = lifecycle.open_ticket(
            raised_by=accepted.contact, subject=strip_category_marker(subject),
            category=Category(category), channel=Channel.EMAIL, body_text=parsed.body_text,
            received_at=received_at, now=now, sla_terms=sla_terms, number=staging.numbers.take(),
            **message_fields)
        if old is not None:
            ticket.follows_up_id = old.id
            record_event(ticket, "follows_up", now, accepted.contact, after=f"#{old.number}")
        outcome = Outcome.NEW_TICKET
    else:
        ticket = old
        message = lifecycle.add_inbound_message(ticket, accepted.contact, parsed.body_text,
                                              received_at=received_at, now=now, sla_terms=sla_terms,
                                              **message_fields)
        outcome = Outcome.REPLY
    store_attachments(message, kept, staging.store)
    if too_big:
        limit_mb = current_app.config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024)
        lifecycle.add_system_note(
            ticket, f"Attachments over the {limit_mb} MB limit were not stored separately: "
                    f"{', '.join(too_big)}. They are kept in the raw message.", now)
    if outcome == Outcome.NEW_TICKET and tell_customers:
        queue_acknowledgement(ticket, now, sla_terms.calendar if sla_terms else None,
                              first_message=message)
    return _Written(outcome, ticket=ticket, message=message)


def within_limit(parsed: ParsedEmail) -> tuple[list[ParsedAttachment], list[str]]:
    """Attachments up to the per-message limit; the names of those that did not fit."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    kept: list[ParsedAttachment] = []
    too_big = list(parsed.oversized_attachments)
    total = 0
    for attachment in parsed.attachments:
        if total + attachment.size > limit:
            too_big.append(attachment.filename)
            continue
        total += attachment.size
        kept.append(attachment)
    return kept, too_big


def store_attachments(message: Message, attachments: list[ParsedAttachment],
                      store: BlobStore) -> None:
    for part in attachments:
        path, digest = store.put(part.content)
        db.session.add(Attachment(
            message=message, filename=part.filename[:255],
            content_type=part.content_type[:127], size=part.size, sha256=digest,
            storage_path=path, content_id=part.content_id[:255] if part.content_id else None,
        ))


def _add_receipt(written: _Written, key: str, fingerprint: str, raw_mail: RawMail | None,
                 received_at: datetime, now: datetime, source: MailSource,
                 staging: Staging) -> Result:
    """The receipt joins the same transaction: the message and its receipt exist together."""
    staging.receipted[key, fingerprint] = True  # a second copy later in this commit: duplicate
    db.session.add(MailReceipt(
        dedupe_key=key, fingerprint=fingerprint, raw_mail=raw_mail, received_at=received_at,
        stored_at=now, mailbox=source.mailbox, uidvalidity=source.uidvalidity, uid=source.uid,
        message=written.message, held_message=written.held_message))
    return Result(written.outcome, key, written.held_reason, fingerprint)
