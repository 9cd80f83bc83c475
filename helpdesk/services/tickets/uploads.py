"""Files a super-user attaches in the portal: checked against the limits, then stored."""
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _

from helpdesk.adapters.storage import blob_store
from helpdesk.domain import files
from helpdesk.extensions import db
from helpdesk.models import Attachment, Message
from helpdesk.services import Refusal

MEGABYTE = 1024 * 1024


class IncomingFile(Protocol):
    """What a form gives us for one file (werkzeug's FileStorage fits)."""

    filename: str | None

    def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class Upload:
    """A file that passed the checks, held in memory until its message exists."""

    filename: str
    content_type: str
    content: bytes


class UploadRejected(Refusal):
    """A file breaks a limit; the message names the file and the limit."""


def limits_in_words() -> str:
    config = current_app.config
    return _("At most %(count)d files of %(size)d MB each and %(total)d MB together: images, "
             "PDF, text, office documents, ZIP or video.",
             count=config["MAX_ATTACHMENTS_PER_MESSAGE"],
             size=config["MAX_ATTACHMENT_BYTES"] // MEGABYTE,
             total=config["MAX_CONTENT_LENGTH"] // MEGABYTE)


def accept(incoming: Iterable[IncomingFile]) -> list[Upload]:
    """Read and check every chosen file; empty file inputs (nothing chosen) are skipped."""
    config = current_app.config
    max_bytes, max_count = config["MAX_ATTACHMENT_BYTES"], config["MAX_ATTACHMENTS_PER_MESSAGE"]
    chosen = [item for item in incoming if item is not None and item.filename]
    if len(chosen) > max_count:
        raise UploadRejected("You can attach at most %(count)d files to one message.",
                             count=max_count)
    uploads = []
    for item in chosen:
        filename = files.clean_filename(item.filename or "")
        content_type = files.accepted_type(filename)
        if content_type is None:
            raise UploadRejected("%(name)s: files of this type are not accepted.",
                                 name=filename)
        content = item.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise UploadRejected("%(name)s is larger than %(size)d MB.", name=filename,
                                 size=max_bytes // MEGABYTE)
        if not content:
            raise UploadRejected("%(name)s is empty.", name=filename)
        if not files.content_matches(content_type, content[:16]):
            raise UploadRejected("%(name)s is not the kind of file its name says it is.",
                                 name=filename)
        uploads.append(Upload(filename, content_type, content))
    return uploads


def attach(message: Message, uploads: Iterable[Upload]) -> list[Attachment]:
    """Store the files outside the database and link them to the message (no commit)."""
    store = blob_store()
    attachments = []
    for upload in uploads:
        storage_path, sha256 = store.put(upload.content)
        attachment = Attachment(message=message, filename=upload.filename,
                                content_type=upload.content_type, size=len(upload.content),
                                sha256=sha256, storage_path=storage_path)
        db.session.add(attachment)
        attachments.append(attachment)
    return attachments
