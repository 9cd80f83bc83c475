"""No portal route shows or changes another organisation's ticket, file or internal note.

The routes are walked from the portal blueprint's URL rules, so a new route is covered (or the
walk fails until it says how to fill the new route's arguments).
"""
import re

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Attachment, Message, OrganisationStatus
from helpdesk.services.tickets import lifecycle
from helpdesk.services.tickets.uploads import Upload, attach
from helpdesk.web.access import SUPER_USER
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket
from tests.fixtures.images import make_png
from tests.web.portal.routes import PORTAL_ROUTES

THEIR_SUBJECT = "Their confidential subject"
# Arguments that name something outside any ticket (a one-time token) rather than an object.
NOT_TICKET_SCOPED = {"token"}
ROUTE_IDS = [f"{method} {rule}" for rule, method, _, _ in PORTAL_ROUTES]


@pytest.fixture
def world(app):
    """Our super-user, our ticket, and another organisation's ticket with a file."""
    ours = make_contact()
    theirs = make_contact()
    our_ticket = make_ticket(raised_by=ours)
    their_ticket = make_ticket(raised_by=theirs, subject=THEIR_SUBJECT)
    [their_file] = attach(their_ticket.messages[0], [Upload("theirs.png", "image/png",
                                                            make_png())])
    db.session.commit()
    return {"ours": ours, "our_ticket": our_ticket, "their_ticket": their_ticket,
            "their_file": their_file}


def _request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return post_form(client, url, {"body": "Hello", "email": "someone@example.com",
                                   "password": "a long enough password",
                                   "repeat": "a long enough password"})


def _state(ticket) -> tuple:
    db.session.expire_all()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Message)
                              .where(Message.ticket_id == ticket.id))
    return ticket.status, count, ticket.updated_at


def test_the_walk_covers_every_kind_of_portal_route():
    endpoints = {endpoint for _, _, endpoint, _ in PORTAL_ROUTES}
    assert {"portal.ticket", "portal.reply", "portal.resolve", "portal.reopen",
            "portal.attachment", "portal.tickets", "portal.new_ticket"} <= endpoints


@pytest.mark.parametrize(("rule", "method", "endpoint", "arguments"), PORTAL_ROUTES,
                         ids=ROUTE_IDS)
def test_no_portal_route_reveals_or_changes_another_organisations_ticket(
        client, world, rule, method, endpoint, arguments):
    sign_in(client, world["ours"])
    their_ticket = world["their_ticket"]
    fill = {"number": their_ticket.number, "attachment_id": world["their_file"].id,
            "token": "not-a-token"}
    unknown = arguments - fill.keys()
    assert not unknown, f"tell this walk how to fill {unknown} for {rule}"
    url = rule
    for name in arguments:
        url = url.replace(f"<int:{name}>", str(fill[name])).replace(f"<{name}>", str(fill[name]))
    before = _state(their_ticket)

    response = _request(client, method, url)

    if arguments - NOT_TICKET_SCOPED:
        assert response.status_code == 404
    assert THEIR_SUBJECT not in response.get_data(as_text=True)
    assert _state(their_ticket) == before


def test_a_file_of_another_organisation_is_not_found_under_our_ticket_number(portal, world):
    sign_in(portal, world["ours"])
    url = (f"/portal/tickets/{world['our_ticket'].number}"
           f"/attachments/{world['their_file'].id}")
    assert portal.get(url).status_code == 404


def test_a_file_on_an_internal_note_is_not_found(client, world):
    sign_in(client, world["ours"])
    ticket = world["our_ticket"]
    note = lifecycle.add_note(ticket, make_staff(), "Internal only", ticket.created_at)
    [note_file] = attach(note, [Upload("internal.png", "image/png", make_png())])
    db.session.commit()
    url = f"/portal/tickets/{ticket.number}/attachments/{note_file.id}"
    assert client.get(url).status_code == 404
    assert db.session.get(Attachment, note_file.id) is not None


def test_a_ticket_number_that_does_not_exist_gets_the_same_answer(client, world):
    sign_in(client, world["ours"])
    number = world["their_ticket"].number
    missing = client.get("/portal/tickets/999999")
    theirs = client.get(f"/portal/tickets/{number}")
    assert missing.status_code == theirs.status_code == 404
    assert 'class="desk-panel"' in missing.get_data(as_text=True)
    # Alike but for the address itself, which the page repeats in its language switch, and the
    # CSRF token, which carries the second it was signed in.
    assert (_without_csrf_token(missing.get_data(as_text=True)).replace("999999", "N")
            == _without_csrf_token(theirs.get_data(as_text=True)).replace(str(number), "N"))


def _without_csrf_token(page: str) -> str:
    """The page with every CSRF token (form fields and the htmx header) replaced by one word."""
    page = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken": "T"', page)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="T"', page)


@pytest.mark.parametrize(("rule", "method", "endpoint", "arguments"), PORTAL_ROUTES,
                         ids=ROUTE_IDS)
def test_ticket_routes_need_a_signed_in_super_user(app, client, world, rule, method, endpoint,
                                                   arguments):
    if app.view_functions[endpoint].access_policy != SUPER_USER:
        assert endpoint.startswith(("portal.sign_in", "portal.request_", "portal.follow_",
                                    "portal.use_", "portal.reset_"))
        return
    url = (rule.replace("<int:number>", str(world["our_ticket"].number))
           .replace("<int:attachment_id>", "1"))
    anonymous = _request(client, method, url)
    assert anonymous.status_code == 302
    assert anonymous.location.startswith("/portal/sign-in")
    sign_in(client, make_contact(world["ours"].organisation, is_super_user=False))
    assert _request(client, method, url).location.startswith("/portal/sign-in")
    sign_in(client, make_staff())
    assert _request(client, method, url).status_code == 302


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
    post_form(client, "/language", {"language": "en", "next": "/portal/"})
    assert "Tickets of" in client.get("/portal/").get_data(as_text=True)
