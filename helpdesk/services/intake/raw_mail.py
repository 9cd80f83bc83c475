"""Received mail's raw bytes: in the database when small, in the blob store when large.

Small mail in its row is committed with the message that names it, in the same transaction:
no file to create and sync per message, nothing left behind by a crash before the commit.
"""
import hashlib
import logging
from datetime import datetime

from helpdesk.adapters.storage import BlobStore, blob_store
from helpdesk.extensions import db
from helpdesk.models import Message, RawMail, StaffMember, Ticket
from helpdesk.services.people import audit
from helpdesk.services.privacy import access
from helpdesk.services.transaction import use_case

log = logging.getLogger(__name__)

# Nearly all mail is smaller; larger mail (attachments) goes to a file, so no row is huge.
RAW_MAIL_INLINE_BYTES = 1024 * 1024


def keep_raw(raw: bytes, store: BlobStore) -> RawMail:
    """A RawMail for these bytes; it is inserted with the first row that names it."""
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) <= RAW_MAIL_INLINE_BYTES:
        return RawMail(sha256=digest, content=raw)
    path, _ = store.put(raw, ".eml")
    return RawMail(sha256=digest, blob_path=path)


def raw_bytes(raw_mail: RawMail) -> bytes:
    """The bytes as received; OSError when a blob-store file is missing."""
    if raw_mail.content is not None:
        return raw_mail.content
    return blob_store().read(raw_mail.blob_path)


@use_case
def audited_message_source(ticket: Ticket, message_id: int, viewer: StaffMember,
                           now: datetime) -> bytes | None:
    """A message of this ticket as it arrived, for staff; None if it has no source.

    Reading it is written to the audit trail: the source holds every header and part.
    """
    message = db.session.get(Message, message_id)
    if message is None or message.ticket_id != ticket.id or message.raw_mail is None:
        return None
    try:
        raw = raw_bytes(message.raw_mail)
    except (OSError, ValueError) as error:
        log.warning("the source of message %s is missing: %s", message.id, error)
        return None
    audit.add_entry(access.VIEWED_MESSAGE_SOURCE, now, viewer, "message", message.id,
                    f"#{ticket.number}",
                    contact_id=ticket.raised_by_id, organisation_id=ticket.organisation_id)
    return raw
