"""Every drill-down lists exactly what its figure counts, by the figure's own definition.

The desk is the hand-computed one (tests/fixtures/stats_dataset.py) plus the cases where a
list of tickets and a figure part easily: a late follow-up on a ticket from November, two late
responses on one ticket, a calamity missed and then cleared to bug, unassigned and new tickets.
"""
import html
import re

import pytest
import time_machine

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import month_period
from helpdesk.extensions import db
from helpdesk.models import Category, Channel
from helpdesk.models import TicketStatus as S
from helpdesk.services.escalation import sweep
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.conftest import sign_in
from tests.fixtures.stats_dataset import NOW, at, build_desk
from tests.web.manager.test_stats_views import DECEMBER, page_tables

DECEMBER_PERIOD = month_period(2026, 12)
LINK = re.compile(r'<a href="(/manage/stats/tickets/[^"]+)">([^<]+)</a>')


def _edge_cases(desk):
    eva = desk.tickets["T1"].raised_by
    anna, bob = desk.anna, desk.bob

    def ticket(subject, category, received, assignee=None):
        made, _ = lifecycle.open_ticket(raised_by=eva, subject=subject, category=category,
                                      channel=Channel.EMAIL, body_text="Help",
                                      received_at=received, now=received)
        if assignee is not None:
            lifecycle.assign(made, assignee, assignee, received)
        return made

    # From November, answered in time; its December follow-up is answered a day late.
    t11 = ticket("T11", Category.BUG, at(11, 20, 10), anna)
    lifecycle.reply(t11, anna, "Done", at(11, 20, 11))
    lifecycle.add_inbound_message(t11, eva, "Again", received_at=at(12, 15, 10),
                                now=at(12, 15, 10))
    lifecycle.reply(t11, anna, "Fixed now", at(12, 17, 12))
    # Two late responses on one ticket.
    t12 = ticket("T12", Category.QUESTION, at(12, 1, 10), bob)
    lifecycle.reply(t12, bob, "Late", at(12, 3, 10))
    lifecycle.add_inbound_message(t12, eva, "And?", received_at=at(12, 3, 11), now=at(12, 3, 11))
    lifecycle.reply(t12, bob, "Late again", at(12, 7, 10))
    # A calamity missed (the breach notice went out), then cleared to bug and answered.
    t13 = ticket("T13", Category.CALAMITY, at(12, 16, 10))
    sweep.sweep(at(12, 16, 11, 5))
    lifecycle.set_category(t13, Category.BUG, anna, at(12, 16, 11, 30))
    lifecycle.reply(t13, anna, "Sorted", at(12, 16, 12), status_after=S.OPEN)
    # New, unassigned, awaiting the desk and overdue.
    ticket("T14", Category.WISH, at(12, 21, 10))
    db.session.commit()


@pytest.fixture(params=["live", "rolled up"])
def desk(app, request):
    desk = build_desk()
    _edge_cases(desk)
    if request.param == "rolled up":
        assert rollup.refresh(NOW, BusinessCalendar().timezone) > 0
    return desk


@pytest.fixture
def manager_client(client, desk):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, desk.manager)
        yield client


def _listed(client, url: str) -> int:
    """How many rows the drill-down lists, over all its pages."""
    rows = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200, url
        rows += len(page_tables(page).tables["drilldown"]) - 1  # the header row
        following = re.search(r'<a href="([^"]+)">Next</a>', page.get_data(as_text=True))
        url = html.unescape(following[1]) if following else None
    return rows


@pytest.mark.parametrize("query", [DECEMBER, f"{DECEMBER}&category=bug",
                                   f"{DECEMBER}&organisation=acme", f"{DECEMBER}&agent=none"])
def test_every_drill_down_lists_as_many_as_its_figure_counts(manager_client, query):
    page = manager_client.get(f"/manage/stats?{query}").get_data(as_text=True)
    links = [(html.unescape(url), int(value.replace(",", "")))
             for url, value in LINK.findall(page)]
    linked = {url.split("?")[0].rsplit("/", 1)[1] for url, _ in links}
    assert linked == set(figures.DRILLDOWN_FIGURES)
    mismatches = [(url, value, listed) for url, value in links
                  if (listed := _listed(manager_client, url)) != value]
    assert mismatches == []


def test_the_late_responses_figure_lists_each_late_response(desk):
    board = figures.dashboard(figures.StatsFilter(DECEMBER_PERIOD), NOW, BusinessCalendar())
    # T2, T7, T11's December follow-up, T12 twice, T13's missed calamity response and T14.
    assert board.totals.responses.late == 7
    listed = figures.drilldown(board.filter, "late", NOW, board.timezone)
    assert listed.count == 7
    assert sorted(row.subject for row in listed.rows) == [
        "T11", "T12", "T12", "T13", "T14", "Ticket T2", "Ticket T7"]


def test_an_unknown_figure_or_band_is_not_found(manager_client):
    assert manager_client.get(f"/manage/stats/tickets/passwords?{DECEMBER}").status_code == 404
    assert manager_client.get("/manage/stats/tickets/overdue?band=9").status_code == 404
    assert manager_client.get("/manage/stats/tickets/late?page=0").status_code == 404


def test_a_drill_down_pages_through_its_list(manager_client, desk, monkeypatch):
    original = figures.drilldown
    monkeypatch.setattr(figures, "drilldown",
                        lambda *args, **kwargs: original(*args, **kwargs, per_page=2))
    assert _listed(manager_client, f"/manage/stats/tickets/received?{DECEMBER}") == 11
