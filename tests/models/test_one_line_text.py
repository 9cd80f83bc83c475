"""Subjects and names are stored on one line, without control characters, whoever enters them."""
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import (
    Attachment,
    CannedReply,
    ClosingDay,
    Contact,
    Organisation,
    StaffMember,
    StaffRole,
    Ticket,
)
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff

DIRTY = "Export\r\nBcc: all@example.com\x00\x1b "
CLEAN = "Export Bcc: all@example.com"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def stored(column, where) -> str:
    """The value as the database has it (not as the session remembers it)."""
    db.session.expire_all()
    return db.session.scalar(sa.select(column).where(where))


def test_a_name_set_in_code_is_stored_clean_on_the_object_and_in_the_database(app):
    contact = make_contact(name=DIRTY, job_title="Head\nof IT")
    assert contact.name == CLEAN
    assert stored(Contact.name, Contact.id == contact.id) == CLEAN
    assert stored(Contact.job_title, Contact.id == contact.id) == "Head of IT"


def test_a_bulk_update_cannot_store_control_characters_either(app):
    organisation = make_organisation()
    db.session.execute(sa.update(Organisation).where(Organisation.id == organisation.id)
                       .values(name=DIRTY))
    db.session.commit()
    assert stored(Organisation.name, Organisation.id == organisation.id) == CLEAN


def test_a_portal_ticket_subject_is_stored_clean(client):
    sign_in(client, make_contact())
    response = post_form(client, "/portal/tickets/new", {
        "category": "question", "subject": DIRTY, "question_question": "How?"})
    assert response.status_code == 303
    assert stored(Ticket.subject, sa.true()) == CLEAN


def test_a_phone_ticket_subject_is_stored_clean(client):
    sign_in(client, make_staff())
    eva = make_contact()
    call_at = (datetime.now(AMSTERDAM) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(client, "/desk/phone", {
        "contact_id": str(eva.id), "category": "bug", "subject": DIRTY, "summary": "Called.",
        "outcome": "follow-up",
        "call_at": call_at})
    assert response.status_code == 303
    assert stored(Ticket.subject, sa.true()) == CLEAN


def test_a_canned_reply_title_and_a_closing_day_note_are_stored_clean(client):
    manager = make_staff(StaffRole.MANAGER)
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=UTC), tick=False):
        sign_in(client, manager)
        post_form(client, "/manage/canned-replies",
                  {"title": DIRTY, "body": "Line one.\nLine two.", "language": "en"})
        response = post_form(client, "/manage/settings/closing-days",
                             {"day": "2026-12-01", "note": DIRTY})
    assert response.location == "/manage/settings"
    assert stored(CannedReply.title, sa.true()) == CLEAN
    assert stored(CannedReply.body, sa.true()) == "Line one.\nLine two."  # bodies keep lines
    assert stored(ClosingDay.note, sa.true()) == CLEAN


@pytest.mark.parametrize(("args", "column"), [
    (["orgs", "add", "acme", "--name", DIRTY], Organisation.name),
    (["staff", "add", "ann@desk.example", "--name", DIRTY, "--role", "agent"],
     StaffMember.name),
])
def test_names_given_on_the_command_line_are_stored_clean(runner, args, column):
    result = runner.invoke(args=args, input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert stored(column, sa.true()) == CLEAN


def test_a_contact_added_on_the_command_line_has_a_clean_name(runner):
    make_organisation(slug="acme")
    result = runner.invoke(args=["contacts", "add", "eva@acme.example", "--org", "acme",
                                 "--name", DIRTY])
    assert result.exit_code == 0, result.output
    assert stored(Contact.name, Contact.email == "eva@acme.example") == CLEAN


def test_an_uploaded_file_s_name_is_stored_on_one_line(client):
    # A line separator is no control character, yet it breaks the name over two lines.
    sign_in(client, make_contact())
    response = post_form(client, "/portal/tickets/new", {
        "category": "question", "subject": "Log", "question_question": "How?",
        "attachments": (io.BytesIO(b"log line\n"), "server\u2028log\u2029 2.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    assert stored(Attachment.filename, sa.true()) == "server log 2.txt"
