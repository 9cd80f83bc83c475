"""Filing a ticket in the portal: per-category questions, calamity, promise, mass assignment."""
import re

import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.extensions import db
from helpdesk.models import Category, Channel, OutboxMessage, Ticket, TicketStatus
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_staff
from tests.web.portal.conftest import SATURDAY_ELEVEN

REQUIRED = {
    Category.BUG: {"steps", "expected", "actual"},
    Category.OUTAGE: {"since", "affected"},
    Category.WISH: {"what", "why"},
    Category.CONFIGURATION: {"question"},
    Category.QUESTION: {"question"},
    Category.CALAMITY: {"affected", "since"},
}
OPTIONAL = {
    Category.BUG: {"where", "since"},
    Category.OUTAGE: {"users"},
    Category.CALAMITY: {"users"},
}
HTMX = {"HX-Request": "true", "HX-Target": "new-ticket-form"}


def _fields_with_errors(html: str) -> set[str]:
    """The names of the form fields that have an error shown right after them."""
    return set(re.findall(
        r'name="(\w+)"[^>]*>(?:[^<]*</textarea>)?[^<]*</label>\s*<span class="field-error"', html))


def _tickets() -> list[Ticket]:
    found = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    return found


def _answers(category: Category, names) -> dict:
    return {f"{category.value}_{name}": f"answer to {name}" for name in names}


def test_the_form_explains_each_category_in_one_line_in_dutch(portal):
    page = portal.get("/portal/tickets/new").get_data(as_text=True)
    assert "Wat voor vraag is het?" in page
    assert "Iets in het product werkt niet zoals het hoort." in page
    assert "Het product, of een deel ervan, is helemaal niet te gebruiken." in page
    assert "Stappen om het na te bootsen" in page
    assert page.count('class="category-option ') == len(Category)


@pytest.mark.parametrize("category", list(Category), ids=lambda c: c.value)
def test_each_category_requires_its_own_answers(portal, category):
    data = {"category": category.value, "subject": "Something", "confirm_calamity": "y"}
    response = post_form(portal, "/portal/tickets/new", data, headers=HTMX)
    assert response.status_code == 200
    expected = {f"{category.value}_{name}" for name in REQUIRED[category]}
    assert _fields_with_errors(response.get_data(as_text=True)) == expected
    assert _tickets() == []

    data |= _answers(category, REQUIRED[category])
    response = post_form(portal, "/portal/tickets/new", data)
    assert response.status_code == 303
    [ticket] = _tickets()
    assert ticket.category == category
    assert set(ticket.details) == REQUIRED[category]


@pytest.mark.parametrize("category", [c for c in Category if c in OPTIONAL],
                         ids=lambda c: c.value)
def test_optional_answers_are_kept_when_given(portal, category):
    names = REQUIRED[category] | OPTIONAL[category]
    data = {"category": category.value, "subject": "Something", "confirm_calamity": "y",
            **_answers(category, names)}
    assert post_form(portal, "/portal/tickets/new", data).status_code == 303
    assert set(_tickets()[0].details) == names


def test_bug_answers_are_stored_and_written_into_the_first_message(portal, super_user):
    post_form(portal, "/portal/tickets/new", {
        "category": "bug", "subject": "Export fails", "bug_steps": "1. Open report\n2. Export",
        "bug_expected": "A file", "bug_actual": "Error 500", "bug_where": "Reports",
        "wish_what": "not a bug answer", "question_question": "nor this"})
    [ticket] = _tickets()
    assert ticket.channel == Channel.PORTAL
    assert ticket.details == {"steps": "1. Open report\n2. Export", "expected": "A file",
                              "actual": "Error 500", "where": "Reports"}
    [message] = ticket.messages
    assert message.body_text == (
        "Stappen om het na te bootsen\n1. Open report\n2. Export\n\n"
        "Wat verwachtte u?\nA file\n\n"
        "Wat gebeurde er in plaats daarvan?\nError 500\n\n"
        "Waar in het product?\nReports")
    assert message.sender == super_user.email


def test_a_question_is_the_first_message_as_written(portal):
    post_form(portal, "/portal/tickets/new", {"category": "question", "subject": "Invoices",
                                              "question_question": "Where are my invoices?"})
    assert _tickets()[0].messages[0].body_text == "Where are my invoices?"


@pytest.mark.parametrize("subject", [{"subject": "  "}, {}], ids=["blank", "missing"])
def test_a_subject_is_required(portal, subject):
    response = post_form(portal, "/portal/tickets/new", {
        "category": "question", "question_question": "Where?", **subject})
    assert response.status_code == 200
    assert _fields_with_errors(response.get_data(as_text=True)) == {"subject"}
    assert _tickets() == []


def test_an_unknown_category_is_refused(portal):
    response = post_form(portal, "/portal/tickets/new", {
        "category": "urgent", "subject": "Help", "question_question": "Where?"})
    assert response.status_code == 200
    assert _tickets() == []


def test_a_calamity_asks_for_confirmation_and_shows_the_phone_hours(portal, app):
    page = portal.get("/portal/tickets/new").get_data(as_text=True)
    calamity = page[page.index('id="fields-calamity"'):]
    assert (f"Voor directe hulp belt u ons op {app.config['PHONE_NUMBER']} "
            f"(op werkdagen van {app.config['PHONE_HOURS']})") in calamity

    data = {"category": "calamity", "subject": "Everything is down",
            **_answers(Category.CALAMITY, REQUIRED[Category.CALAMITY])}
    response = post_form(portal, "/portal/tickets/new", data, headers=HTMX)
    html = response.get_data(as_text=True)
    assert _fields_with_errors(html) == {"confirm_calamity"}
    assert "Bevestig dat dit een calamiteit is" in html
    assert _tickets() == []

    assert post_form(portal, "/portal/tickets/new",
                     {**data, "confirm_calamity": "y"}).status_code == 303
    assert _tickets()[0].category == Category.CALAMITY


def test_errors_re_render_the_form_in_place_for_htmx(portal):
    response = post_form(portal, "/portal/tickets/new",
                         {"category": "bug", "subject": "Kept subject"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="new-ticket-form"')
    assert "<html" not in html
    assert 'value="Kept subject"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_errors_re_render_the_whole_page_without_javascript(portal):
    response = post_form(portal, "/portal/tickets/new",
                         {"category": "bug", "subject": "Kept subject"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith("<!doctype html>")
    assert 'value="Kept subject"' in html
    assert "Kijk de gemarkeerde velden hieronder na." in html


def test_htmx_submission_navigates_to_the_new_ticket(portal):
    response = post_form(portal, "/portal/tickets/new", {
        "category": "question", "subject": "Invoices", "question_question": "Where?"},
        headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/portal/tickets/{_tickets()[0].number}"


def test_filing_queues_the_acknowledgement_in_the_same_transaction(portal, super_user):
    post_form(portal, "/portal/tickets/new", {
        "category": "bug", "subject": "Export fails", "bug_steps": "Click export",
        "bug_expected": "A file", "bug_actual": "An error"})
    [ticket] = _tickets()
    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert mail.kind == "acknowledgement"
    assert mail.ticket_id == ticket.id
    assert mail.to_address == super_user.email
    assert f"ticket #{ticket.number} (Bug)" in mail.body_text
    # The steps were given in the form, so the acknowledgement does not ask for them.
    assert "de stappen die tot de bug leidden" not in mail.body_text


def test_after_filing_on_saturday_the_page_gives_number_due_moment_and_monday_start(client):
    super_user = make_contact()
    with time_machine.travel(SATURDAY_ELEVEN, tick=False):
        sign_in(client, super_user)
        response = post_form(client, "/portal/tickets/new", {
            "category": "bug", "subject": "Export fails", "bug_steps": "Click export",
            "bug_expected": "A file", "bug_actual": "An error"})
        page = client.get(response.location).get_data(as_text=True)
    [ticket] = _tickets()
    assert ticket.created_at == SATURDAY_ELEVEN
    assert f"Dank u. Uw ticketnummer is #{ticket.number}." in page
    assert "U krijgt onze reactie uiterlijk dinsdag 8 december 09:00." in page
    assert "We zijn nu gesloten; we beginnen maandag om 09:00." in page


def test_posted_organisation_status_assignee_and_raiser_are_ignored(portal, super_user):
    other = make_contact()
    agent = make_staff()
    post_form(portal, "/portal/tickets/new", {
        "category": "question", "subject": "Invoices", "question_question": "Where?",
        "organisation_id": str(other.organisation_id), "organisation": other.organisation.slug,
        "raised_by_id": str(other.id), "status": "resolved", "assignee_id": str(agent.id),
        "assignee": agent.email, "channel": "phone", "number": "7", "breached": "true",
        "response_due_at": "2030-01-01T00:00:00Z", "details-steps": "x"})
    [ticket] = _tickets()
    assert ticket.organisation_id == super_user.organisation_id
    assert ticket.raised_by_id == super_user.id
    assert ticket.status == TicketStatus.NEW
    assert ticket.assignee_id is None
    assert ticket.channel == Channel.PORTAL
    assert ticket.number == 1000
    assert not ticket.breached
    assert ticket.details == {"question": "Where?"}
