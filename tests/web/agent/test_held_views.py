"""Held mail in the browser: the list, the source, and each decision as page and fragment."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import AuditEntry, Contact, Ticket
from tests.conftest import post_form
from tests.fixtures.factories import make_contact, make_organisation, make_ticket
from tests.fixtures.held import make_held_message as make_held_at
from tests.fixtures.held import raw_mail
from tests.web.agent.conftest import htmx

TARGET = "held-message"


def make_held_message(raw=None, **fields):
    """Held an hour ago: decisions are made now, with the real clock."""
    return make_held_at(raw, **{"received_at": datetime.now(UTC) - timedelta(hours=1), **fields})


def _url(held, action=""):
    return f"/desk/held/{held.id}" + (f"/{action}" if action else "")


def test_the_list_shows_reasons_and_hides_handled_mail_unless_asked(agent_client, agent):
    waiting = make_held_message(subject="Please help")
    handled = make_held_message(subject="Out of office", resolved_at=waiting.received_at,
                                resolved_by_id=agent.id, resolution="dismissed")
    page = agent_client.get("/desk/held").get_data(as_text=True)
    assert "Please help" in page and "Unknown sender" in page
    assert "Out of office" not in page
    everything = agent_client.get("/desk/held?all=1").get_data(as_text=True)
    assert "Out of office" in everything and handled.resolution in everything


def test_the_message_page_shows_text_and_links_the_source(agent_client):
    held = make_held_message(raw_mail(text="The export fails badly."))
    page = agent_client.get(_url(held)).get_data(as_text=True)
    assert "The export fails badly." in page and 'id="held-message"' in page
    source = agent_client.get(_url(held, "source")).get_data(as_text=True)
    assert "Subject: [bug] Export is broken" in source
    download = agent_client.get(_url(held, "source.eml"))
    assert download.headers["Content-Disposition"] == f'attachment; filename="held-{held.id}.eml"'
    assert download.mimetype == "application/octet-stream"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2


@pytest.mark.parametrize("with_htmx", [False, True])
def test_open_a_ticket_for_a_super_user_as_page_and_as_fragment(agent_client, with_htmx):
    held, contact = make_held_message(), make_contact(name="Eva Jansen")
    response = post_form(agent_client, _url(held, "open"),
                         {"contact_id": str(contact.id), "category": "bug"},
                         headers=htmx(TARGET) if with_htmx else {})
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.raised_by == contact
    if with_htmx:
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and body.startswith(f'<section id="{TARGET}"')
        assert f"opened ticket #{ticket.number}" in body
    else:
        assert response.status_code == 303 and response.headers["Location"].endswith("/desk/held")


def test_the_contact_search_button_works_without_javascript(agent_client):
    held, eva = make_held_message(), make_contact(name="Eva Jansen")
    response = post_form(agent_client, _url(held, "open"),
                         {"contact_q": "jansen", "search": "1", "category": "bug"})
    assert response.status_code == 200 and f'value="{eva.id}"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Ticket.id)) is None


@pytest.mark.parametrize("with_htmx", [False, True])
def test_add_to_a_ticket_as_page_and_as_fragment(agent_client, with_htmx):
    held, ticket = make_held_message(), make_ticket()
    response = post_form(agent_client, _url(held, "add"), {"number": f"#{ticket.number}"},
                         headers=htmx(TARGET) if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert len(ticket.messages) == 2 and held.resolved_at is not None


@pytest.mark.parametrize("with_htmx", [False, True])
def test_register_the_sender_as_page_and_as_fragment(agent_client, with_htmx):
    make_organisation(slug="acme", name="Acme")
    held = make_held_message()
    response = post_form(agent_client, _url(held, "register"),
                         {"organisation": "acme", "name": "Stan Ger", "super_user": "y"},
                         headers=htmx(TARGET) if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    contact = db.session.scalar(sa.select(Contact))
    assert (contact.email, contact.name, contact.is_super_user) == (
        "stranger@elsewhere.example", "Stan Ger", True)


@pytest.mark.parametrize("with_htmx", [False, True])
def test_dismiss_as_page_and_as_fragment(agent_client, with_htmx):
    held = make_held_message()
    response = post_form(agent_client, _url(held, "dismiss"),
                         headers=htmx(TARGET) if with_htmx else {})
    assert response.status_code == (200 if with_htmx else 303)
    db.session.expire_all()
    assert held.resolution == "dismissed"
    assert "dismissed" in agent_client.get(_url(held)).get_data(as_text=True)


def test_a_refused_decision_re_renders_with_the_reason_and_status_200(agent_client):
    held = make_held_message()
    response = post_form(agent_client, _url(held, "add"), {"number": "424242"},
                         headers=htmx(TARGET))
    assert response.status_code == 200
    assert "There is no ticket with that number." in response.get_data(as_text=True)


def test_decisions_need_a_csrf_token(agent_client):
    held = make_held_message()
    for action in ("open", "add", "register", "dismiss"):
        assert agent_client.post(_url(held, action)).status_code == 400
    db.session.expire_all()
    assert held.resolved_at is None
