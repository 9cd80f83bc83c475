"""The portal speaks Dutch unless the super-user chooses English."""
import time_machine

from helpdesk.extensions import db
from helpdesk.models import Ticket
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact
from tests.web.portal.conftest import MONDAY_TEN, SATURDAY_ELEVEN

BUG = {"category": "bug", "subject": "Export fails", "bug_steps": "Click export",
       "bug_expected": "A file", "bug_actual": "An error"}


def test_the_portal_is_dutch_by_default_with_hours_phone_and_promise(client):
    with time_machine.travel(SATURDAY_ELEVEN, tick=False):
        page = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Aanmelden bij de servicedesk" in page
    assert "We zijn nu gesloten; we beginnen maandag om 09:00." in page
    assert "Telefonisch: +31 20 123 4567, op werkdagen van 10:00-17:00." in page
    assert ("We reageren op uw vraag binnen 1 werkdag; op een calamiteit binnen 60 minuten, "
            "op elk uur.") in page


def test_choosing_english_turns_the_portal_english(client):
    with time_machine.travel(MONDAY_TEN, tick=False):
        post_form(client, "/language", {"language": "en", "next": "/portal/sign-in"})
        page = client.get("/portal/sign-in").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in to the service desk" in page
    assert "We are open now, until 17:00." in page
    assert "By phone: +31 20 123 4567, 10:00-17:00 on working days." in page
    assert ("We respond to your question within 1 working day; to a calamity within 60 minutes, "
            "at any hour.") in page


def test_an_english_super_user_files_and_reads_a_ticket_in_english(client):
    contact = make_contact(language="en")
    with time_machine.travel(SATURDAY_ELEVEN, tick=False):
        sign_in(client, contact)
        form = client.get("/portal/tickets/new").get_data(as_text=True)
        errors = post_form(client, "/portal/tickets/new", {"category": "bug", "subject": "x"})
        response = post_form(client, "/portal/tickets/new", BUG)
        page = client.get(response.location).get_data(as_text=True)
    assert "What kind of question is it?" in form
    assert "Something in the product does not work as it should." in form
    assert "Please fill this in." in errors.get_data(as_text=True)
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert f"Thank you. Your ticket number is #{ticket.number}." in page
    assert "You will have our response by Tuesday 8 December 09:00." in page
    assert "We are closed now; we start Monday at 09:00." in page
    assert ticket.messages[0].body_text.startswith("Steps to reproduce\nClick export")


def test_a_dutch_super_user_writes_the_first_message_in_dutch(portal, super_user):
    post_form(portal, "/portal/tickets/new", BUG)
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert ticket.messages[0].body_text.startswith("Stappen om het na te bootsen\nClick export")
