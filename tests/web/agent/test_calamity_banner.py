"""The calamity banner: on every staff page, and as a fragment that refreshes itself."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import Category, StaffRole
from helpdesk.services.tickets import lifecycle
from helpdesk.services.tickets.queue import open_calamities
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_staff, make_ticket

NOW = datetime(2026, 12, 5, 2, 12, tzinfo=UTC)  # Saturday night, 03:12 in Amsterdam
BANNER = {"HX-Request": "true", "HX-Target": "calamity-banner"}


@pytest.fixture
def agent(app, client):
    with time_machine.travel(NOW, tick=False):
        person = make_staff(StaffRole.AGENT)
        sign_in(client, person)
        yield person


def _calamity(subject="Orders gone", minutes_ago=12):
    return make_ticket(category=Category.CALAMITY, subject=subject, now=NOW,
                       received_at=NOW - timedelta(minutes=minutes_ago))


def _banner(page: str) -> str:
    start = page.index('<div id="calamity-banner"')
    return page[start:page.index("</div>", start)]


def test_queue_shows_an_open_calamity_with_its_age_and_a_link(agent, client):
    ticket = _calamity()
    banner = _banner(client.get("/desk/").get_data(as_text=True))
    assert f'href="/desk/tickets/{ticket.number}"' in banner and "Orders gone" in banner
    assert "12 min" in banner and ticket.organisation.name in banner
    assert "hidden" not in banner.split(">")[0]


def test_banner_polls_its_own_fragment_in_the_background(agent, client):
    banner = _banner(client.get("/desk/").get_data(as_text=True))
    assert 'hx-get="/desk/calamities"' in banner and 'hx-trigger="every 15s"' in banner
    assert 'hx-swap="outerHTML"' in banner and '"X-Helpdesk-Background": "1"' in banner


def test_every_staff_page_shows_the_banner(app, client):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, make_staff(StaffRole.MANAGER))
        ticket = _calamity()
        for url in ("/desk/", f"/desk/tickets/{ticket.number}", "/manage/organisations",
                    "/manage/settings", "/desk/calamities"):
            assert f"#{ticket.number}" in _banner(client.get(url).get_data(as_text=True)), url


def test_without_open_calamities_the_banner_is_hidden_but_keeps_polling(agent, client):
    make_ticket(category=Category.OUTAGE, now=NOW)
    banner = _banner(client.get("/desk/").get_data(as_text=True))
    assert " hidden" in banner.split(">")[0] and 'hx-trigger="every 15s"' in banner
    assert "<li>" not in banner


def test_an_answered_calamity_leaves_the_banner(agent, client):
    ticket = _calamity()
    lifecycle.reply(ticket, agent, "We are on it.", NOW)
    db.session.commit()
    assert f"#{ticket.number}" not in _banner(client.get("/desk/").get_data(as_text=True))


def test_fragment_request_gets_only_the_banner(agent, client):
    _calamity(subject="Orders gone", minutes_ago=40)
    _calamity(subject="Data leak", minutes_ago=5)
    response = client.get("/desk/calamities", headers=BANNER)
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="calamity-banner"') and "<html" not in text
    assert text.index("Orders gone") < text.index("Data leak")  # oldest first
    assert "40 min" in text and "5 min" in text and "2 calamities" in text
    assert "HX-Request" in response.headers["Vary"]


def test_calamities_page_without_htmx_is_a_full_page(agent, client):
    _calamity()
    page = client.get("/desk/calamities").get_data(as_text=True)
    assert "<html" in page and "<h1 " in page and "Orders gone" in page


def test_banner_speaks_dutch_to_a_dutch_agent(app, client):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, make_staff(StaffRole.AGENT, language="nl"))
        _calamity()
        _calamity(subject="Second", minutes_ago=90)
        banner = _banner(client.get("/desk/").get_data(as_text=True))
    assert "2 calamiteiten zonder antwoord" in banner and "2 uur" in banner


def test_super_users_cannot_poll_the_banner(app, client):
    sign_in(client, make_contact())
    assert client.get("/desk/calamities", headers=BANNER).status_code == 403
    assert 'id="calamity-banner"' not in client.get("/portal/").get_data(as_text=True)


def test_the_banner_is_one_query_however_many_calamities(app):
    statements = []

    def count(*args):
        statements.append(args)

    _calamity()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert len(open_calamities(NOW)) == 1
        one = len(statements)
        _calamity(subject="Two")
        _calamity(subject="Three")
        statements.clear()
        db.session.expire_all()
        assert len(open_calamities(NOW)) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert one == len(statements) == 1
