"""The ticket page's selects show what the ticket has now, whatever that is."""
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from helpdesk.extensions import db
from helpdesk.models import Category, StaffRole, TicketStatus
from helpdesk.services.tickets import lifecycle
from tests.conftest import post_form
from tests.fixtures.factories import make_staff, make_ticket
from tests.web.agent.conftest import htmx

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class _Selects(HTMLParser):
    """Per select: its options and the value a browser shows (the selected, else the first)."""

    def __init__(self):
        super().__init__()
        self.options: dict[str, list[str]] = {}
        self.selected: dict[str, list[str]] = {}
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._current = attrs.get("id") or attrs.get("name")
            self.options[self._current], self.selected[self._current] = [], []
        elif tag == "option" and self._current:
            self.options[self._current].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.selected[self._current].append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._current = None

    def shown(self, select_id: str) -> str:
        selected = self.selected[select_id]
        assert len(selected) <= 1, f"{select_id} selects {selected}"
        return selected[0] if selected else self.options[select_id][0]


def _selects(client, ticket, **headers) -> _Selects:
    parser = _Selects()
    parser.feed(client.get(f"/desk/tickets/{ticket.number}", **headers).get_data(as_text=True))
    return parser


@pytest.mark.parametrize("status", list(TicketStatus))
def test_the_status_control_shows_the_tickets_status(agent_client, agent, status):
    ticket = make_ticket(now=NOW)
    lifecycle.set_status(ticket, status, agent, NOW)
    db.session.commit()
    assert _selects(agent_client, ticket).shown("status-select") == status.value


@pytest.mark.parametrize("category", [c for c in Category if c != Category.CALAMITY])
def test_the_category_control_shows_the_tickets_category(agent_client, category):
    ticket = make_ticket(now=NOW, category=category)
    assert _selects(agent_client, ticket).shown("category-select") == category.value


def test_the_assignee_control_shows_nobody_a_colleague_or_one_who_left(agent_client, agent):
    ticket = make_ticket(now=NOW)
    assert _selects(agent_client, ticket).shown("assign-select") == ""
    colleague = make_staff(StaffRole.AGENT, name="Bram")
    lifecycle.assign(ticket, colleague, agent, NOW)
    db.session.commit()
    assert _selects(agent_client, ticket).shown("assign-select") == str(colleague.id)
    colleague.active = False
    db.session.commit()
    assert _selects(agent_client, ticket).shown("assign-select") == str(colleague.id)


def test_saving_the_controls_unchanged_keeps_the_ticket_as_it_is(agent_client, agent):
    """A New ticket's status and a departed colleague are shown; sending them back is no change."""
    ticket = make_ticket(now=NOW)
    colleague = make_staff(StaffRole.AGENT, name="Bram")
    lifecycle.assign(ticket, colleague, agent, NOW)
    colleague.active = False
    db.session.commit()
    for action, data in (("status", {"status": "new"}),
                         ("assign", {"assignee": str(colleague.id)})):
        response = post_form(agent_client, f"/desk/tickets/{ticket.number}/{action}", data,
                             headers=htmx("ticket-controls"))
        assert 'role="alert"' not in response.get_data(as_text=True), action
    db.session.expire_all()
    assert ticket.status == TicketStatus.NEW and ticket.assignee_id == colleague.id
    # The departed colleague cannot be given a ticket anew.
    other = make_ticket(now=NOW)
    response = post_form(agent_client, f"/desk/tickets/{other.number}/assign",
                         {"assignee": str(colleague.id)}, headers=htmx("ticket-controls"))
    assert 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert other.assignee_id is None


def test_the_controls_fragment_shows_the_status_after_a_change(agent_client):
    ticket = make_ticket(now=NOW)
    response = post_form(agent_client, f"/desk/tickets/{ticket.number}/status",
                         {"status": "waiting"}, headers=htmx("ticket-controls"))
    parser = _Selects()
    parser.feed(response.get_data(as_text=True))
    assert parser.shown("status-select") == "waiting"


def test_clearing_a_calamity_offers_the_category_it_had_before(agent_client, agent):
    ticket = make_ticket(now=NOW, category=Category.QUESTION)
    lifecycle.mark_calamity(ticket, "Every till is down", agent, NOW)
    db.session.commit()
    assert _selects(agent_client, ticket).shown("calamity-category") == "question"


def test_a_ticket_that_arrived_as_a_calamity_asks_which_category_it_really_has(agent_client):
    ticket = make_ticket(now=NOW, category=Category.CALAMITY)
    assert _selects(agent_client, ticket).shown("calamity-category") == ""
    response = post_form(agent_client, f"/desk/tickets/{ticket.number}/calamity",
                         {"category": "", "reason": "Only one till"},
                         headers=htmx("ticket-controls"))
    assert 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert ticket.category == Category.CALAMITY
