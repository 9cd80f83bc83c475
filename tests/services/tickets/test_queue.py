"""The queue: urgency order, filters, time left on the working-day clock, new calamities."""
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.models import Category, Channel, TicketStatus
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.tickets import lifecycle
from helpdesk.services.tickets.queue import (
    QueueFilters,
    new_calamities,
    open_calamities,
    queue_page,
    time_left,
)
from tests.fixtures.factories import make_contact, make_organisation, make_staff, make_ticket

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 10:00 in Amsterdam


def _received(ticket_at: datetime, **fields):
    return make_ticket(now=ticket_at, received_at=ticket_at, **fields)


@pytest.fixture
def desk(app):
    """Tickets in every position of the queue, as of Monday 10:00."""
    agent = make_staff()
    acme = make_organisation(slug="acme", name="Acme")
    eva = make_contact(acme, name="Eva")
    other = make_contact(name="Olaf")
    made = {
        # Thursday 10:00: due Friday 10:00, so overdue now.
        "overdue": _received(datetime(2026, 11, 26, 9, 0, tzinfo=UTC), raised_by=eva,
                             subject="Overdue export"),
        # Friday 14:00: due Monday 14:00; due soon after 18 working hours (Monday 08:00).
        "due_soon": _received(datetime(2026, 11, 27, 13, 0, tzinfo=UTC), raised_by=other,
                              subject="Slow report"),
        "fresh": _received(NOW - timedelta(hours=1), raised_by=eva, subject="Fresh question",
                           category=Category.QUESTION),
        "calamity": _received(NOW - timedelta(minutes=5), raised_by=other,
                              subject="Everything down", category=Category.CALAMITY),
        "waiting": _received(NOW - timedelta(hours=2), raised_by=eva, subject="Waiting one"),
        "closed": _received(NOW - timedelta(hours=3), raised_by=eva, subject="Closed one"),
    }
    lifecycle.reply(made["waiting"], agent, "Can you send a screenshot?", NOW)
    lifecycle.assign(made["fresh"], agent, agent, NOW)
    lifecycle.set_status(made["closed"], TicketStatus.CLOSED, agent, NOW)
    db.session.commit()
    made["agent"] = agent
    return made


def _numbers(desk, **args):
    page = queue_page(QueueFilters.from_args(args), desk["agent"], NOW, configured_calendar())
    return [row.ticket.number for row in page.rows]


def _n(desk, *names):
    return [desk[name].number for name in names]


def test_open_work_is_ordered_calamity_first_then_overdue_then_by_due_moment(desk):
    assert _numbers(desk) == _n(desk, "calamity", "overdue", "due_soon", "fresh", "waiting")


def test_filters_select_mine_unassigned_category_organisation_and_status(desk):
    assert _numbers(desk, assignee="me") == _n(desk, "fresh")
    assert desk["fresh"].number not in _numbers(desk, assignee="none")
    assert _numbers(desk, assignee=str(desk["agent"].id)) == _n(desk, "fresh")
    assert _numbers(desk, category="question") == _n(desk, "fresh")
    assert _numbers(desk, organisation="acme") == _n(desk, "overdue", "fresh", "waiting")
    assert _numbers(desk, status="waiting") == _n(desk, "waiting")
    assert _numbers(desk, status="closed") == _n(desk, "closed")
    assert set(_numbers(desk, status="all")) == set(_n(desk, "calamity", "overdue", "due_soon",
                                                      "fresh", "waiting", "closed"))


def test_due_soon_and_breached_filters_follow_the_stored_due_moments(desk):
    assert _numbers(desk, due_soon="1") == _n(desk, "due_soon")
    assert _numbers(desk, breached="1") == _n(desk, "overdue")


def test_time_left_counts_the_working_day_clock_and_turns_amber_then_red(desk):
    calendar = configured_calendar()
    fresh = time_left(desk["fresh"], NOW, calendar)
    assert (fresh.state, fresh.left) == ("ok", timedelta(hours=23))
    soon = time_left(desk["due_soon"], NOW, calendar)
    assert (soon.state, soon.left) == ("due_soon", timedelta(hours=4))
    overdue = time_left(desk["overdue"], NOW, calendar)
    # Due Friday 10:00; Saturday and Sunday do not count: 14 h on Friday, 10 h on Monday.
    assert (overdue.state, overdue.left) == ("breached", -timedelta(hours=24))
    assert time_left(desk["waiting"], NOW, calendar).state == "none"


def test_long_overdue_tickets_say_since_when_instead_of_counting_every_day(desk):
    later = NOW + timedelta(days=30)
    overdue = time_left(desk["overdue"], later, configured_calendar())
    assert overdue.state == "breached" and overdue.left is None
    assert overdue.due_at == desk["overdue"].response_due_at


def test_pages_hold_fifty_rows_and_say_whether_more_follow(desk):
    filters = QueueFilters.from_args({})
    first = queue_page(filters, desk["agent"], NOW, configured_calendar(), per_page=2)
    assert [r.ticket.number for r in first.rows] == _n(desk, "calamity", "overdue")
    assert first.has_next
    last = queue_page(QueueFilters.from_args({"page": "3"}), desk["agent"], NOW,
                      configured_calendar(), per_page=2)
    assert [r.ticket.number for r in last.rows] == _n(desk, "waiting") and not last.has_next


def test_filters_round_trip_through_the_url_and_ignore_nonsense():
    filters = QueueFilters.from_args({"q": " printer ", "assignee": "me", "category": "bug",
                                      "status": "all", "organisation": "acme",
                                      "due_soon": "1", "breached": "1", "page": "2"})
    assert QueueFilters.from_args(filters.to_args()) == filters
    assert filters.to_args()["q"] == "printer"
    junk = QueueFilters.from_args({"assignee": "drop table", "category": "nope",
                                   "status": "<b>", "page": "-1", "due_soon": "yes"})
    assert junk == QueueFilters()
    assert QueueFilters().to_args() == {}


def test_new_calamities_are_those_the_page_has_not_shown(desk):
    shown = {c.number for c in open_calamities(NOW)}
    assert shown == {desk["calamity"].number}
    assert new_calamities(shown, NOW) == []
    assert [c.number for c in new_calamities(set(), NOW)] == [desk["calamity"].number]


def test_statistics_drill_down_filters_by_channel_and_local_received_dates(app):
    from helpdesk.services.tickets.queue import QueueFilters, queue_query
    agent = make_staff()
    contact = make_contact()
    # 30 Nov 23:30 in Amsterdam is 22:30 UTC: a local-date filter must count it on the 30th.
    late_evening = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
    next_morning = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    by_phone = make_ticket(raised_by=contact, channel=Channel.PHONE, received_at=late_evening,
                           now=next_morning + timedelta(hours=1))
    make_ticket(raised_by=contact, channel=Channel.PORTAL, received_at=late_evening,
                now=next_morning + timedelta(hours=1))
    make_ticket(raised_by=contact, channel=Channel.PHONE, received_at=next_morning,
                now=next_morning + timedelta(hours=1))
    filters = QueueFilters.from_args({"status": "all", "channel": "phone",
                                      "received_from": "2026-11-30",
                                      "received_to": "2026-11-30"})
    numbers = [row.number for row in db.session.execute(queue_query(filters, agent, next_morning))]
    assert numbers == [by_phone.number]


def test_nonsense_drill_down_values_are_ignored(app):
    from helpdesk.services.tickets.queue import QueueFilters
    filters = QueueFilters.from_args({"channel": "fax", "received_from": "yesterday"})
    assert filters.channel == "" and filters.received_from == ""


@pytest.mark.parametrize("reference", ["{n}", "#{n}", " # {n} ", "[#{n}]", "ticket #{n}",
                                       "Re: [#{n}] Something else"])
def test_a_ticket_number_finds_the_ticket_whatever_its_status(desk, reference):
    resolved = desk["due_soon"]
    lifecycle.set_status(resolved, TicketStatus.RESOLVED, desk["agent"], NOW)
    db.session.commit()
    for ticket in (desk["closed"], resolved, desk["fresh"]):
        assert _numbers(desk, q=reference.format(n=ticket.number)) == [ticket.number]


def test_words_still_search_open_work_only_unless_the_status_says_otherwise(desk):
    assert _numbers(desk, q="closed one") == []
    assert _numbers(desk, q="closed one", status="all") == _n(desk, "closed")
    # An explicit status filter is the agent's choice, a number does not override it.
    assert _numbers(desk, q=f"#{desk['closed'].number}", status="waiting") == []
