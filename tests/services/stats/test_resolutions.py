"""Resolved in a period: each resolution event counts in the period it happened.

A monthly report once sent may not change: a reopen and a second resolution add a resolution
to the later month and take none away from the earlier one, live and from the rollup alike.
"""
import pytest

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import month_period
from helpdesk.extensions import db
from helpdesk.models import TicketStatus
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.fixtures.stats_dataset import at, build_desk

OCTOBER, NOVEMBER, DECEMBER = (month_period(2026, month) for month in (10, 11, 12))
CALENDAR = BusinessCalendar()
LATER = at(12, 15, 12)


def resolved(period, now=LATER) -> int:
    return figures.dashboard(figures.StatsFilter(period), now, CALENDAR).totals.resolved


@pytest.fixture(params=["live", "rolled up"])
def rolled(app, request):
    """Whether the ended months are read from the rollup (refreshed after every change)."""
    def refresh():
        if request.param == "rolled up":
            assert rollup.refresh(LATER, CALENDAR.timezone) > 0
    return refresh


def test_a_reopen_and_second_resolution_keep_the_first_month_its_resolution(rolled):
    desk = build_desk()
    t10 = desk.tickets["T10"]  # received 15 October, still open with the desk
    lifecycle.set_status(t10, TicketStatus.RESOLVED, desk.anna, at(10, 20, 10))
    db.session.commit()
    rolled()
    october_as_sent = resolved(OCTOBER)
    november_before = resolved(NOVEMBER)
    assert october_as_sent == 1

    lifecycle.set_status(t10, TicketStatus.OPEN, desk.anna, at(11, 3, 10))  # reopened
    lifecycle.set_status(t10, TicketStatus.RESOLVED, desk.anna, at(11, 10, 10))
    db.session.commit()
    rolled()
    assert resolved(OCTOBER) == october_as_sent
    assert resolved(NOVEMBER) == november_before + 1  # the second resolution counts there


def test_closing_a_resolved_ticket_is_no_second_resolution(rolled):
    desk = build_desk()
    t1 = desk.tickets["T1"]  # resolved Wed 2 December 09:00
    before = resolved(DECEMBER)
    lifecycle.set_status(t1, TicketStatus.CLOSED, desk.anna, at(12, 9, 9))
    db.session.commit()
    rolled()
    assert resolved(DECEMBER) == before
    assert t1.resolved_at == at(12, 2, 9)  # closing keeps the moment it was resolved


def test_a_ticket_closed_while_open_is_resolved_then(rolled):
    desk = build_desk()
    t10 = desk.tickets["T10"]
    lifecycle.set_status(t10, TicketStatus.CLOSED, desk.anna, at(11, 4, 10))
    db.session.commit()
    rolled()
    assert resolved(NOVEMBER) == 1
