"""Attachments: stored in the blob store, handed out only to staff, every download audited."""
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from helpdesk.domain.file_types import SNIFF_BYTES, safe_image_type
from helpdesk.domain.mail_parts import safe_filename
from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEntry, Message, StaffMember
from helpdesk.services import ServiceError
from helpdesk.storage import blob_store

DOWNLOAD_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    """A file an agent sent with a form, already read into memory (bounded by the form limit)."""

    filename: str
    content_type: str
    content: bytes
    content_id: str | None = None  # inline images of a mail (cid:)


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str
    content_type: str
    inline: bool


def check_uploads(uploads: list[Upload]) -> None:
    """Refuse files over the size limit before anything is written."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    for upload in uploads:
        if len(upload.content) > limit:
            raise ServiceError("an attachment is larger than the size limit")


def store(message: Message, upload: Upload) -> Attachment:
    """Keep the bytes in the blob store and the facts about them on the message."""
    path, digest = blob_store().put(upload.content)
    attachment = Attachment(
        message_id=message.id, filename=safe_filename(upload.filename),
        content_type=(upload.content_type or DOWNLOAD_TYPE)[:127], size=len(upload.content),
        sha256=digest, storage_path=path, content_id=upload.content_id)
    db.session.add(attachment)
    return attachment


def download(attachment_id: int, viewer: StaffMember, now: datetime) -> Download | None:
    """The file to send and how: inline only for images its bytes prove; audited."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        return None
    path = blob_store().path(attachment.storage_path)
    with open(path, "rb") as handle:
        image_type = safe_image_type(handle.read(SNIFF_BYTES))
    db.session.add(AuditEntry(at=now, staff_id=viewer.id, action="download",
                              subject_type="attachment", subject_id=attachment.id,
                              detail=f"#{attachment.message.ticket.number} "
                                     f"{attachment.filename}"[:300]))
    db.session.commit()
    return Download(path=path, filename=attachment.filename,
                    content_type=image_type or DOWNLOAD_TYPE, inline=image_type is not None)
