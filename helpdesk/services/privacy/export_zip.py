"""The export as one zip: the JSON, a CSV per table, every attachment and every mail as it came.

The zip is written to a private file entry by entry, and each entry in pieces (ZIP64, so an
entry or the whole may pass 4 GB): memory stays bounded whatever the organisation holds. A
file the blob store has lost is named in `missing.txt` instead of failing the export.
"""
import io
import secrets
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app

from helpdesk.adapters.private_files import open_private, private_folder
from helpdesk.adapters.storage import blob_store
from helpdesk.domain.files import clean_filename
from helpdesk.domain.spreadsheet import write_csv
from helpdesk.extensions import db
from helpdesk.models import Attachment, Message, Organisation, RawMail, StaffMember, Ticket
from helpdesk.services.people import audit
from helpdesk.services.people.directory import organisation_by_slug
from helpdesk.services.privacy import export
from helpdesk.services.transaction import use_case

ROW_BATCH = 500
COPY_CHUNK = 1024 * 1024

TICKET_COLUMNS = ("number", "subject", "category", "status", "channel", "raised_by",
                  "created_at", "response_due_at", "first_response_at", "breached")
MESSAGE_COLUMNS = ("ticket", "message", "kind", "sender", "created_at", "message_id",
                   "call_ended_at", "body_text")
CONTACT_COLUMNS = ("email", "name", "super_user", "job_title", "phone", "birth_date", "gender",
                   "education_level", "language", "created_at")
ATTACHMENT_COLUMNS = ("ticket", "message", "filename", "content_type", "size", "sha256", "file")


@dataclass
class ZipReport:
    missing: list[str] = field(default_factory=list)  # entries the blob store could not give


def export_folder() -> Path:
    """Where built exports wait for their download: beside the blob store, private."""
    return private_folder(Path(current_app.config["BLOB_STORE"]).parent / "exports")


def new_export_path() -> Path:
    return export_folder() / f"{secrets.token_hex(16)}.zip"


@use_case
def export_zip(slug: str, output: str | Path, now: datetime, *, by: StaffMember | None = None,
               exported_by: str = "cli") -> ZipReport:
    """Write an organisation's export as a zip to `output`; audited like the JSON export."""
    organisation = organisation_by_slug(slug)
    report = write_export(organisation, output, now)
    audit.add_entry(export.EXPORTED, now, by, audit.ORGANISATION, organisation.id,
                    f"zip, {exported_by}", organisation_id=organisation.id)
    return report


def write_export(organisation: Organisation, output: str | Path, now: datetime) -> ZipReport:
    """The zip of everything held about the organisation, written to a file only the desk reads."""
    report = ZipReport()
    try:
        _write(organisation, output, now, report)
    except BaseException:
        Path(output).unlink(missing_ok=True)  # half an export is no export
        raise
    return report


def _write(organisation: Organisation, output: str | Path, now: datetime,
           report: ZipReport) -> None:
    with open_private(output) as handle, \
            zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        with _text_entry(archive, "export.json") as text:
            export.write_json(text, organisation, now)
        with _text_entry(archive, "contacts.csv") as text:
            write_csv(text, [CONTACT_COLUMNS, *(
                [contact[column] for column in CONTACT_COLUMNS]
                for contact in export.contacts(organisation))])
        with _text_entry(archive, "tickets.csv") as text:
            write_csv(text, [TICKET_COLUMNS, *_ticket_rows(organisation)])
        with _text_entry(archive, "messages.csv") as text:
            write_csv(text, [MESSAGE_COLUMNS, *_message_rows(organisation)])
        with _text_entry(archive, "attachments.csv") as text:
            write_csv(text, [ATTACHMENT_COLUMNS, *(
                (number, message_id, attachment.filename, attachment.content_type,
                 attachment.size, attachment.sha256, name)
                for number, message_id, attachment, name in _attachments(organisation))])
        for _, _, attachment, name in _attachments(organisation):
            _copy_blob(archive, name, attachment.storage_path, report)
        for name, raw_mail_id in _raw_mails(organisation):
            _copy_raw_mail(archive, name, raw_mail_id, report)
        if report.missing:
            with _text_entry(archive, "missing.txt") as text:
                text.write("Not in the file store, so not in this export:\n")
                text.writelines(f"{name}\n" for name in report.missing)


@contextmanager
def _text_entry(archive: zipfile.ZipFile, name: str) -> Iterator[IO[str]]:
    with archive.open(name, "w", force_zip64=True) as raw, \
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        yield text


def _batched(statement: sa.Select, key: sa.ColumnElement) -> Iterator[sa.Row]:
    """Rows of `statement` in order of the unique `key`, a batch per query (keyset paging)."""
    after = None
    while True:
        page = statement if after is None else statement.where(key > after)
        rows = db.session.execute(page.order_by(key).limit(ROW_BATCH)).all()
        yield from rows
        if len(rows) < ROW_BATCH:
            return
        after = rows[-1][0]


def _ticket_rows(organisation: Organisation) -> Iterator[list]:
    for batch in export.ticket_batches(organisation):
        for ticket in batch:
            yield [ticket.number, ticket.subject, ticket.category.value, ticket.status.value,
                   ticket.channel.value, ticket.raised_by.email, export.iso(ticket.created_at),
                   export.iso(ticket.response_due_at), export.iso(ticket.first_response_at),
                   ticket.breached]


def _message_rows(organisation: Organisation) -> Iterator[list]:
    statement = (sa.select(Message.id, Ticket.number, Message.kind, Message.sender,
                           Message.created_at, Message.message_id, Message.call_ended_at,
                           Message.body_text)
                 .join(Ticket, Ticket.id == Message.ticket_id)
                 .where(Ticket.organisation_id == organisation.id))
    for message_id, number, kind, sender, created_at, header_id, ended_at, body in _batched(
            statement, Message.id):
        yield [number, message_id, kind.value, sender, export.iso(created_at), header_id,
               export.iso(ended_at), body]


def _attachments(organisation: Organisation) -> Iterator[tuple[int, int, Attachment, str]]:
    """Each attachment with its ticket, message and name in the zip (unique in its folder)."""
    statement = (sa.select(Attachment.id, Ticket.number, Attachment)
                 .join(Message, Message.id == Attachment.message_id)
                 .join(Ticket, Ticket.id == Message.ticket_id)
                 .where(Ticket.organisation_id == organisation.id))
    taken: set[str] = set()
    for _, number, attachment in _batched(statement, Attachment.id):
        base = f"attachments/{number}/{attachment.message_id}-{clean_filename(attachment.filename)}"
        name = base if base not in taken else f"{base}-{attachment.id}"
        taken.add(name)
        yield number, attachment.message_id, attachment, name


def _raw_mails(organisation: Organisation) -> Iterator[tuple[str, int]]:
    """Where each mail as it arrived goes in the zip: its message's, and held mail's own."""
    messages = (sa.select(Message.id, Ticket.number, Message.raw_mail_id)
                .join(Ticket, Ticket.id == Message.ticket_id)
                .where(Ticket.organisation_id == organisation.id,
                       Message.raw_mail_id.is_not(None)))
    for message_id, number, raw_mail_id in _batched(messages, Message.id):
        yield f"mail/{number}/{message_id}.eml", raw_mail_id
    held = export.held_from_contacts(organisation).subquery()
    for held_id, raw_mail_id in _batched(
            sa.select(held.c.id, held.c.raw_mail_id).where(held.c.raw_mail_id.is_not(None)),
            held.c.id):
        yield f"mail/held/{held_id}.eml", raw_mail_id


def _copy_raw_mail(archive: zipfile.ZipFile, name: str, raw_mail_id: int,
                   report: ZipReport) -> None:
    blob_path = db.session.scalar(sa.select(RawMail.blob_path).filter_by(id=raw_mail_id))
    if blob_path is not None:
        _copy_blob(archive, name, blob_path, report)
        return
    content = db.session.scalar(sa.select(RawMail.content).filter_by(id=raw_mail_id))
    archive.writestr(name, content)


def _copy_blob(archive: zipfile.ZipFile, name: str, relative: str, report: ZipReport) -> None:
    try:
        source = open(blob_store().path(relative), "rb")  # noqa: SIM115 (closed below)
    except (OSError, ValueError):
        report.missing.append(name)
        return
    with source, archive.open(name, "w", force_zip64=True) as entry:
        shutil.copyfileobj(source, entry, COPY_CHUNK)
