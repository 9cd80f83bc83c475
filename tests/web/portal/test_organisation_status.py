"""A suspended organisation reads its tickets but cannot write; an ended one has no access."""
import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Message, OrganisationStatus, Ticket, TicketStatus
from helpdesk.services.people import directory
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import PASSWORD, make_contact, make_ticket

NOTICE = ("De toegang van uw organisatie is beperkt: u kunt uw tickets lezen, maar geen tickets "
          "openen of beantwoorden.")


def _suspend(contact) -> None:
    contact.organisation.status = OrganisationStatus.SUSPENDED
    db.session.commit()


def test_suspended_organisation_reads_its_tickets_with_a_notice(portal, super_user):
    ticket = make_ticket(raised_by=super_user, subject="Still readable")
    _suspend(super_user)
    listing = portal.get("/portal/").get_data(as_text=True)
    assert "Still readable" in listing and NOTICE in listing
    assert "/portal/tickets/new" not in listing
    page = portal.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "Steps: open the report, press export." in page
    assert 'id="message-form"' not in page and "Als opgelost markeren" not in page
    form = portal.get("/portal/tickets/new").get_data(as_text=True)
    assert 'id="new-ticket-form"' not in form and NOTICE in form


@pytest.mark.parametrize("action", ["reply", "reopen", "resolve"])
def test_suspended_organisation_cannot_write_on_a_ticket(portal, super_user, action):
    ticket = make_ticket(raised_by=super_user)
    if action == "reopen":
        post_form(portal, f"/portal/tickets/{ticket.number}/resolve")
    db.session.refresh(ticket)
    status_before = ticket.status
    _suspend(super_user)
    response = post_form(portal, f"/portal/tickets/{ticket.number}/{action}",
                         {"body": "Can I still write?"})
    assert response.status_code == 403
    assert NOTICE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == status_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1


def test_suspended_organisation_cannot_file_a_ticket(portal, super_user):
    _suspend(super_user)
    response = post_form(portal, "/portal/tickets/new", {
        "category": "question", "subject": "Hello", "question_question": "Anyone?"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_suspended_super_user_can_still_sign_in_to_read(client, super_user):
    _suspend(super_user)
    response = post_form(client, "/portal/sign-in",
                         {"email": super_user.email, "password": PASSWORD})
    assert response.location == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_ended_organisation_sees_a_clear_page_on_every_ticket_route(portal, super_user):
    ticket = make_ticket(raised_by=super_user)
    super_user.organisation.status = OrganisationStatus.ENDED
    db.session.commit()
    for url in ("/portal/", "/portal/tickets/new", f"/portal/tickets/{ticket.number}"):
        response = portal.get(url)
        assert response.status_code == 403
        page = response.get_data(as_text=True)
        assert "Het contract van uw organisatie met ons is beëindigd" in page
        assert "Export fails" not in page
    post_form(portal, f"/portal/tickets/{ticket.number}/reply", {"body": "Hello?"})
    assert db.session.get(Ticket, ticket.id).status == TicketStatus.NEW


def test_ending_an_organisation_ends_its_portal_sessions(portal, super_user, now):
    directory.set_organisation_status(super_user.organisation.slug, "ended", now)
    assert portal.get("/portal/").location.startswith("/portal/sign-in")


def test_a_super_user_demoted_while_signed_in_loses_access(client):
    contact = make_contact()
    sign_in(client, contact)
    contact.is_super_user = False
    db.session.commit()
    assert client.get("/portal/").location.startswith("/portal/sign-in")
