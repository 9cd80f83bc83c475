"""Logging a phone call: find the super-user, fill in the call, the clock starts at the call."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Channel, Message, MessageKind, OutboxMessage, Ticket, TicketStatus
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_organisation
from tests.web.agent.conftest import htmx

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


def _call_form(contact, call_at, **overrides) -> dict:
    return {"contact_id": str(contact.id), "category": "bug", "subject": "Cannot print invoices",
            "summary": "Printer driver reinstalled together.", "call_at": _local(call_at),
            "duration_minutes": "12", "outcome": "follow-up", **overrides}


def _recent_call_at() -> datetime:
    return (datetime.now(AMSTERDAM) - timedelta(minutes=30)).replace(second=0, microsecond=0)


def test_a_logged_call_becomes_a_phone_ticket_whose_clock_starts_at_the_call(agent_client):
    eva = make_contact(name="Eva Jansen")
    call_at = _recent_call_at()
    response = post_form(agent_client, "/desk/phone", _call_form(eva, call_at))
    ticket = db.session.scalar(sa.select(Ticket))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/desk/tickets/{ticket.number}")
    assert ticket.channel == Channel.PHONE and ticket.raised_by == eva
    assert ticket.created_at == call_at and ticket.first_response_at is None
    [call] = ticket.messages
    assert call.kind == MessageKind.CALL
    assert call.body_text == "Printer driver reinstalled together."
    assert call.call_ended_at == call_at + timedelta(minutes=12)


def test_a_call_answered_on_the_phone_is_answered_at_its_end_and_queues_no_mail(agent_client):
    eva = make_contact(name="Eva Jansen")
    call_at = _recent_call_at()
    post_form(agent_client, "/desk/phone", _call_form(eva, call_at, outcome="answered-resolved",
                                                      internal_note="Knows the old driver."))
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.first_response_at == call_at + timedelta(minutes=12)
    assert ticket.status == TicketStatus.RESOLVED and ticket.response_due_at is None
    assert db.session.scalar(sa.select(OutboxMessage.id)) is None


def test_the_ticket_page_shows_the_call_with_caller_and_agent_and_the_internal_note(
        agent_client):
    eva = make_contact(name="Eva Jansen")
    post_form(agent_client, "/desk/phone", _call_form(eva, _recent_call_at(),
                                                      internal_note="Knows the old driver."))
    ticket = db.session.scalar(sa.select(Ticket))
    page = agent_client.get(f"/desk/tickets/{ticket.number}").get_data(as_text=True)
    assert "Phone call with Eva Jansen, logged by Anna Agent" in page
    ended = db.session.scalar(sa.select(Message.call_ended_at).filter_by(kind=MessageKind.CALL))
    assert f'<time datetime="{ended.isoformat()}">' in page
    assert "Printer driver reinstalled together." in page
    assert "Internal note" in page and "Knows the old driver." in page


def test_a_call_without_an_outcome_is_refused_in_the_form(agent_client):
    eva = make_contact()
    response = post_form(agent_client, "/desk/phone",
                         _call_form(eva, _recent_call_at(), outcome=""))
    assert response.status_code == 200
    assert "Choose the outcome of the call." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


def test_a_call_that_would_end_later_than_now_is_refused_in_the_form(agent_client):
    eva = make_contact()
    now = datetime.now(AMSTERDAM).replace(second=0, microsecond=0)
    response = post_form(agent_client, "/desk/phone",
                         _call_form(eva, now, duration_minutes="30"))
    assert response.status_code == 200
    assert "A call cannot take place in the future." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


def test_a_call_later_than_now_is_refused_in_the_form(agent_client):
    eva = make_contact()
    response = post_form(agent_client, "/desk/phone", {
        "contact_id": str(eva.id), "category": "bug", "subject": "Future", "outcome": "follow-up",
        "call_at": _local(datetime.now(AMSTERDAM) + timedelta(hours=2))})
    assert response.status_code == 200
    assert "A call cannot take place in the future." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


def test_a_call_needs_a_super_user(agent_client):
    response = post_form(agent_client, "/desk/phone", {
        "category": "bug", "subject": "Who?", "outcome": "follow-up",
        "call_at": _local(datetime.now(AMSTERDAM))})
    assert response.status_code == 200 and "super-user" in response.get_data(as_text=True)
