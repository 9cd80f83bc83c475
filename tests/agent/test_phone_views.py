"""Logging a phone call: find the super-user, fill in the call, the clock starts at the call."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Channel, Ticket
from tests.agent.conftest import htmx
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_organisation

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _local(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")


def test_super_users_are_found_by_name_email_or_organisation(agent_client):
    eva = make_contact(make_organisation(name="Bakkerij Brood"), name="Eva Jansen",
                       email="eva@brood.example")
    make_contact(name="Not Super", is_super_user=False)
    for query in ("jansen", "brood.example", "bakkerij"):
        fragment = agent_client.get("/desk/contacts", query_string={"contact_q": query},
                                    headers=htmx("contact-results")).get_data(as_text=True)
        assert fragment.startswith('<div id="contact-results"')
        assert f'value="{eva.id}"' in fragment
    page = agent_client.get("/desk/contacts?contact_q=super").get_data(as_text=True)
    assert "<html" in page and "Not Super" not in page


def test_without_javascript_the_search_button_fills_the_list(agent_client):
    eva = make_contact(name="Eva Jansen")
    response = post_form(agent_client, "/desk/phone", {"contact_q": "eva", "search": "1",
                                                       "category": "bug", "subject": "",
                                                       "call_at": "2026-11-30T10:00"})
    assert response.status_code == 200
    assert f'value="{eva.id}"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


def test_a_logged_call_becomes_a_phone_ticket_whose_clock_starts_at_the_call(agent_client):
    eva = make_contact(name="Eva Jansen")
    call_at = (datetime.now(AMSTERDAM) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    response = post_form(agent_client, "/desk/phone", {
        "contact_id": str(eva.id), "category": "bug", "subject": "Cannot print invoices",
        "notes": "Called at lunch.", "call_at": _local(call_at)})
    ticket = db.session.scalar(sa.select(Ticket))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/tickets/{ticket.number}")
    assert ticket.channel == Channel.PHONE and ticket.raised_by == eva
    assert ticket.created_at == call_at
    assert ticket.messages[0].body_text == "Called at lunch."


def test_a_call_later_than_now_is_refused_in_the_form(agent_client):
    eva = make_contact()
    response = post_form(agent_client, "/desk/phone", {
        "contact_id": str(eva.id), "category": "bug", "subject": "Future",
        "call_at": _local(datetime.now(AMSTERDAM) + timedelta(hours=2))})
    assert response.status_code == 200
    assert "later than now" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


def test_a_call_needs_a_super_user(agent_client):
    response = post_form(agent_client, "/desk/phone", {
        "category": "bug", "subject": "Who?", "call_at": _local(datetime.now(AMSTERDAM))})
    assert response.status_code == 200 and "super-user" in response.get_data(as_text=True)
