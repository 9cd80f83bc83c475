"""Received mail's raw bytes: in the database when small, in the blob store when large.

Small mail in its row is committed with the message that names it, in the same transaction:
no file to create and sync per message, nothing left behind by a crash before the commit.
"""
import hashlib

from helpdesk.models import RawMail
from helpdesk.storage import BlobStore, blob_store

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
