"""A refusal becomes a response in one place: a page, an htmx fragment, or problem JSON."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpdesk.extensions import db
from helpdesk.models import Contact
from tests.conftest import post_form, sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff
from tests.fixtures.held import make_held_message, raw_mail
from tests.web.agent.conftest import htmx

MISSING_TICKET = "/desk/tickets/424242"


@pytest.fixture
def agent_client(client):
    """An agent who reads the desk in Dutch."""
    sign_in(client, make_staff(name="Anna Agent", language="nl"))
    return client


def test_a_refusal_is_a_page_with_its_status_and_the_sentence_in_dutch(agent_client):
    response = agent_client.get(MISSING_TICKET)
    assert response.status_code == 404 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Er is geen ticket met dat nummer." in page and 'id="messages"' in page


def test_for_htmx_a_refusal_is_a_fragment_swapped_into_the_messages_area(agent_client):
    response = agent_client.get(MISSING_TICKET, headers=htmx("ticket"))
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#messages"
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = response.get_data(as_text=True)
    assert "Er is geen ticket met dat nummer." in body and "<html" not in body


def test_asked_for_json_a_refusal_is_problem_json(agent_client):
    response = agent_client.get(MISSING_TICKET, headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {"type": "about:blank", "status": 404,
                                   "title": "Not Found",
                                   "detail": "Er is geen ticket met dat nummer."}


def test_html_preferred_over_json_keeps_the_page(agent_client):
    response = agent_client.get(
        MISSING_TICKET, headers={"Accept": "text/html,application/json;q=0.9"})
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_registering_a_held_sender_who_is_a_contact_already_says_so_in_dutch(agent_client):
    make_organisation(slug="acme", name="Acme")
    make_contact(email="stranger@elsewhere.example")
    held = make_held_message(raw_mail(), received_at=datetime.now(UTC) - timedelta(hours=1))
    response = post_form(agent_client, f"/desk/held/{held.id}/register",
                         {"organisation": "acme", "name": "Stan Ger"})
    page = response.get_data(as_text=True)
    assert ("Er bestaat al een contactpersoon met e-mailadres stranger@elsewhere.example."
            in page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1
