"""Attachment limits in the portal: size, count, type, content, and the whole request."""
import io

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Attachment, Ticket
from tests.conftest import post_form
from tests.fixtures.images import make_png

HTMX = {"HX-Request": "true", "HX-Target": "new-ticket-form"}


def _file_ticket(client, files, headers=None):
    data = {"category": "question", "subject": "With files", "question_question": "See files",
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return post_form(client, "/portal/tickets/new", data, content_type="multipart/form-data",
                     headers=headers or {})


def _nothing_stored() -> bool:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
            and db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0)


def test_files_within_the_limits_are_stored_with_their_digest(portal):
    png = make_png()
    response = _file_ticket(portal, [("shot.png", png), ("notes.txt", b"line one\n"),
                                     ("../../etc/report.pdf", b"%PDF-1.7 x")])
    assert response.status_code == 303
    stored = db.session.scalars(sa.select(Attachment).order_by(Attachment.id)).all()
    assert [(a.filename, a.content_type) for a in stored] == [
        ("shot.png", "image/png"), ("notes.txt", "text/plain"), ("report.pdf", "application/pdf")]
    assert all(len(a.sha256) == 64 for a in stored)


@pytest.mark.parametrize(("name", "content", "error"), [
    ("tool.exe", b"MZ\x90\x00", "tool.exe: bestanden van dit type nemen we niet aan."),
    ("drawing.svg", b"<svg onload=alert(1)>", "drawing.svg: bestanden van dit type nemen we"),
    ("page.html", b"<html></html>", "page.html: bestanden van dit type nemen we niet aan."),
    ("no-extension", b"data", "no-extension: bestanden van dit type nemen we niet aan."),
    ("fake.png", b"<script>alert(1)</script>",
     "fake.png is niet het soort bestand dat de naam zegt."),
    ("empty.txt", b"", "empty.txt is leeg."),
], ids=["executable", "svg", "html", "no-extension", "renamed", "empty"])
def test_a_file_of_the_wrong_kind_is_refused_with_a_clear_error(portal, name, content, error):
    response = _file_ticket(portal, [(name, content)], headers=HTMX)
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert _nothing_stored()


def test_a_file_over_the_size_limit_is_refused(app, portal):
    app.config["MAX_ATTACHMENT_BYTES"] = 1024 * 1024
    response = _file_ticket(portal, [("big.txt", b"x" * (1024 * 1024 + 1))], headers=HTMX)
    assert "big.txt is groter dan 1 MB." in response.get_data(as_text=True)
    assert _nothing_stored()
    assert _file_ticket(portal, [("fits.txt", b"x" * 1024 * 1024)]).status_code == 303


def test_more_files_than_allowed_are_refused(app, portal):
    app.config["MAX_ATTACHMENTS_PER_MESSAGE"] = 2
    files = [(f"note{n}.txt", b"text") for n in range(3)]
    response = _file_ticket(portal, files, headers=HTMX)
    assert "U kunt hoogstens 2 bestanden aan één bericht toevoegen." in response.get_data(
        as_text=True)
    assert _nothing_stored()


def test_a_request_over_the_total_limit_gets_a_clear_page(app, portal):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = _file_ticket(portal, [("big.txt", b"x" * 70 * 1024)])
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Deze bestanden zijn samen te groot." in page
    assert "Hoogstens 10 bestanden van elk 25 MB" in page
    assert _nothing_stored()


def test_the_form_states_the_limits(portal):
    page = portal.get("/portal/tickets/new").get_data(as_text=True)
    assert "Hoogstens 10 bestanden van elk 25 MB en samen 60 MB" in page
