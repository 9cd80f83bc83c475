"""A super-user sees only their own organisation's tickets."""
from helpdesk.models import OrganisationStatus
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_ticket


def test_super_user_gets_404_for_another_organisations_ticket(app, client):
    mine = make_ticket(raised_by=make_contact())
    theirs = make_ticket(raised_by=make_contact())
    sign_in(client, mine.raised_by)
    assert client.get(f"/portal/tickets/{mine.number}").status_code == 200
    assert client.get(f"/portal/tickets/{theirs.number}").status_code == 404
    assert client.get("/portal/tickets/999999").status_code == 404


def test_colleagues_of_the_same_organisation_see_the_same_tickets(app, client):
    organisation = make_organisation()
    ticket = make_ticket(raised_by=make_contact(organisation))
    sign_in(client, make_contact(organisation))
    assert client.get(f"/portal/tickets/{ticket.number}").status_code == 200
    assert f"#{ticket.number}" in client.get("/portal/").get_data(as_text=True)


def test_the_ticket_list_leaves_out_other_organisations(app, client):
    mine = make_ticket(raised_by=make_contact(), subject="Our export")
    make_ticket(raised_by=make_contact(), subject="Their secret")
    sign_in(client, mine.raised_by)
    page = client.get("/portal/").get_data(as_text=True)
    assert "Our export" in page and "Their secret" not in page


def test_a_contact_who_is_not_a_super_user_has_no_portal(app, client):
    contact = make_contact(is_super_user=False)
    sign_in(client, contact)
    assert client.get("/portal/").status_code in (302, 403)


def test_an_ended_organisation_has_no_portal_access(app, client):
    contact = make_contact(make_organisation(status=OrganisationStatus.ENDED))
    sign_in(client, contact)
    assert client.get("/portal/").status_code in (302, 403)


def test_the_portal_speaks_dutch_by_default_and_english_on_request(app, client):
    ticket = make_ticket(raised_by=make_contact(language="nl"))
    sign_in(client, ticket.raised_by)
    assert "Tickets van" in client.get("/portal/").get_data(as_text=True)
    from tests.conftest import post_form
    post_form(client, "/language", {"language": "en", "next": "/portal/"})
    assert "Tickets of" in client.get("/portal/").get_data(as_text=True)
