"""The export as a zip: the JSON of the export, CSVs a spreadsheet opens, files and mail as kept."""
import csv
import io
import json
import os
import zipfile

import sqlalchemy as sa

from helpdesk.adapters.storage import blob_store
from helpdesk.extensions import db
from helpdesk.models import Attachment, AuditEntry, RawMail
from helpdesk.services.intake.raw_mail import RAW_MAIL_INLINE_BYTES, keep_raw
from helpdesk.services.privacy.export import export_organisation
from helpdesk.services.privacy.export_zip import export_zip
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.held import make_held_message, raw_mail


def _attach(message, filename: str, content: bytes) -> Attachment:
    path, digest = blob_store().put(content)
    attachment = Attachment(message_id=message.id, filename=filename, size=len(content),
                            content_type="application/octet-stream", sha256=digest,
                            storage_path=path)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def _with_raw(message, raw: bytes) -> None:
    message.raw_mail = keep_raw(raw, blob_store())
    db.session.commit()


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def _acme_with_mail():
    contact = make_contact(make_organisation(slug="acme"), name="=HYPERLINK(1)")
    ticket = make_ticket(raised_by=contact, subject="=1+1 breaks")
    [message] = ticket.messages
    small = raw_mail(sender=contact.email, text="Small mail.")
    large = raw_mail(sender=contact.email, text="x" * (RAW_MAIL_INLINE_BYTES + 10))
    _with_raw(message, small)
    second = make_ticket(raised_by=contact).messages[0]
    _with_raw(second, large)
    return contact, ticket, message, second, small, large


def test_the_zip_holds_the_json_export_csvs_files_and_mail_as_received(app, tmp_path, now):
    contact, ticket, message, second, small, large = _acme_with_mail()
    report_bytes = b"%PDF-1.4 the report"
    _attach(message, "../report.pdf", report_bytes)
    _attach(message, "report.pdf", b"another file with the same name")
    held = make_held_message(raw_mail(sender=contact.email, text="Held."), sender=contact.email)
    make_held_message(raw_mail(text="A stranger's."))  # not the organisation's
    make_ticket(raised_by=make_contact())  # another organisation

    output = tmp_path / "acme.zip"
    report = export_zip("acme", output, now)

    assert report.missing == []
    assert os.stat(output).st_mode & 0o777 == 0o600
    with zipfile.ZipFile(output) as archive:
        assert json.loads(archive.read("export.json")) == export_organisation("acme", now)
        tickets = _csv(archive, "tickets.csv")
        assert [row["number"] for row in tickets] == [str(ticket.number),
                                                      str(second.ticket.number)]
        assert tickets[0]["subject"] == "'=1+1 breaks"  # a spreadsheet shows it as text
        assert _csv(archive, "contacts.csv")[0]["name"] == "'=HYPERLINK(1)"
        assert {row["message"] for row in _csv(archive, "messages.csv")} == {
            str(message.id), str(second.id)}
        folder = f"attachments/{ticket.number}/{message.id}-report.pdf"
        files = {row["file"] for row in _csv(archive, "attachments.csv")}
        assert len(files) == 2 and folder in files
        assert archive.read(folder) == report_bytes
        assert archive.read(f"mail/{ticket.number}/{message.id}.eml") == small
        assert archive.read(f"mail/{second.ticket.number}/{second.id}.eml") == large
        assert archive.read(f"mail/held/{held.id}.eml") == raw_mail(sender=contact.email,
                                                                    text="Held.")
        assert len([n for n in archive.namelist() if n.startswith("mail/held/")]) == 1
        assert "missing.txt" not in archive.namelist()


def test_a_file_lost_from_the_store_is_listed_in_missing_txt(app, tmp_path, now):
    contact, ticket, message, second, small, large = _acme_with_mail()
    lost = _attach(message, "lost.txt", b"gone")
    blob_store().path(lost.storage_path).unlink()
    big_mail = db.session.get(RawMail, second.raw_mail_id)
    blob_store().path(big_mail.blob_path).unlink()

    report = export_zip("acme", tmp_path / "acme.zip", now)

    names = [f"attachments/{ticket.number}/{message.id}-lost.txt",
             f"mail/{second.ticket.number}/{second.id}.eml"]
    assert report.missing == names
    with zipfile.ZipFile(tmp_path / "acme.zip") as archive:
        assert archive.read("missing.txt").decode().splitlines()[1:] == names
        assert set(names).isdisjoint(archive.namelist())
        assert archive.read(f"mail/{ticket.number}/{message.id}.eml") == small


def test_the_zip_export_is_audited_with_who_asked(app, tmp_path, now):
    organisation = make_organisation(slug="acme")
    manager = make_staff(email="m@desk.example")
    export_zip("acme", tmp_path / "acme.zip", now, by=manager, exported_by="manager")
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="export")).one()
    assert (entry.staff_id, entry.subject_type, entry.subject_id, entry.detail) == (
        manager.id, "organisation", organisation.id, "zip, manager")
