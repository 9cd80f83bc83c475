"""A breach stays a breach: a missed due moment counts as late in every figure for good.

Neither a re-categorisation (a calamity cleared to bug) nor a calendar change (a closing day
added) that moves the due moment later may turn a missed response into one met on time.
"""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, ClosingDay, StaffRole
from helpdesk.services.escalation import sweep
from helpdesk.services.promise import recompute, sla_settings
from helpdesk.services.promise.sla_settings import STANDARD_CATEGORIES
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=AMS)  # a working Monday
WEEK = Period(date(2026, 12, 7), date(2026, 12, 13))
LATER = datetime(2026, 12, 16, 12, 0, tzinfo=AMS)  # the week is settled and can be rolled up


def _board(now=LATER):
    return figures.dashboard(figures.StatsFilter(WEEK), now, BusinessCalendar())


def _assert_late(ticket, missed_due_at, late_seconds, rolled_up):
    db.session.commit()
    if rolled_up:
        assert rollup.refresh(LATER, BusinessCalendar().timezone) > 0
    board = _board()
    assert board.totals.responses == figures.Outcomes(on_time=0, late=1)
    assert board.totals.first_responses == figures.Outcomes(on_time=0, late=1)
    assert [category for category, figures in board.by_category if figures.late] == [
        ticket.category]
    [late] = board.late_responses
    assert late.number == ticket.number
    assert late.due_at == missed_due_at
    assert late.late_seconds == late_seconds


@pytest.fixture
def agent(app):
    return make_staff(StaffRole.AGENT, name="Anna")


def _calamity():
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Down", category=Category.CALAMITY,
        channel=Channel.PORTAL, body_text="Everything is down", received_at=MONDAY, now=MONDAY)
    db.session.commit()
    return ticket


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled up"])
def test_a_missed_calamity_cleared_to_bug_stays_late(agent, rolled_up):
    ticket = _calamity()  # due 11:00 on the wall clock
    sweep.sweep(MONDAY + timedelta(minutes=65))  # the breach notice goes out
    db.session.commit()
    # Cleared to bug: the new due moment (Tuesday 10:00) would be met by the 12:00 answer.
    lifecycle.set_category(ticket, Category.BUG, agent, MONDAY + timedelta(minutes=90))
    lifecycle.reply(ticket, agent, "Fixed", MONDAY + timedelta(hours=2))
    _assert_late(ticket, MONDAY + timedelta(hours=1), 3600, rolled_up)


def test_a_calamity_cleared_after_its_due_moment_before_the_sweep_stays_late(agent):
    ticket = _calamity()
    # No sweep has run yet: the due moment passed all the same.
    lifecycle.set_category(ticket, Category.BUG, agent, MONDAY + timedelta(minutes=61))
    lifecycle.reply(ticket, agent, "Fixed", MONDAY + timedelta(hours=2))
    _assert_late(ticket, MONDAY + timedelta(hours=1), 3600, rolled_up=False)


@pytest.mark.parametrize("rolled_up", [False, True], ids=["live", "rolled up"])
def test_a_missed_response_stays_late_when_a_closing_day_moves_its_due_moment(agent,
                                                                              rolled_up):
    ticket, _ = lifecycle.open_ticket(
        raised_by=make_contact(), subject="Bug", category=Category.BUG, channel=Channel.EMAIL,
        body_text="Broken", received_at=MONDAY, now=MONDAY)  # due Tuesday 10:00
    db.session.commit()
    tuesday = MONDAY + timedelta(days=1, minutes=30)
    # Tuesday becomes a closing day after its 10:00 passed: the due moment moves to Wednesday.
    db.session.add(ClosingDay(day=date(2026, 12, 8), closed=True, note="Outing"))
    recompute.request_recompute(tuesday)
    db.session.commit()
    recompute.run_pending(tuesday)
    lifecycle.reply(ticket, agent, "Fixed", MONDAY + timedelta(days=1, hours=2))
    _assert_late(ticket, MONDAY + timedelta(days=1), 2 * 3600, rolled_up)


def test_a_due_moment_moved_before_it_passed_is_the_one_that_counts(agent):
    ticket = _calamity()
    # Cleared to bug within the hour: the calamity's due moment was never missed.
    lifecycle.set_category(ticket, Category.BUG, agent, MONDAY + timedelta(minutes=30))
    lifecycle.reply(ticket, agent, "Fixed", MONDAY + timedelta(hours=2))
    db.session.commit()
    board = _board()
    assert board.totals.responses == figures.Outcomes(on_time=1, late=0)
    assert board.late_responses == []


def test_a_missed_response_still_unanswered_is_overdue_now(agent):
    ticket = _calamity()
    sweep.sweep(MONDAY + timedelta(minutes=65))
    lifecycle.set_category(ticket, Category.BUG, agent, MONDAY + timedelta(minutes=90))
    db.session.commit()
    board = _board(now=MONDAY + timedelta(hours=2))
    assert board.totals.responses == figures.Outcomes(on_time=0, late=1)
    assert [band.overdue for band in board.backlog] == [1, 0, 0, 0, 0]
    [late] = board.late_responses
    assert (late.due_at, late.met_at, late.late_seconds) == (MONDAY + timedelta(hours=1), None,
                                                             3600)


def test_a_missed_calamity_stays_late_when_its_target_is_raised(agent):
    ticket = _calamity()  # due 11:00, an hour after receipt
    manager = make_staff(StaffRole.MANAGER, name="Mia")
    later = MONDAY + timedelta(minutes=70)
    sla_settings.set_response_targets(dict.fromkeys(STANDARD_CATEGORIES, 24), 180, manager,
                                      later)  # three hours: the due moment moves to 13:00
    recompute.run_pending(later)
    lifecycle.reply(ticket, agent, "On it", MONDAY + timedelta(minutes=90))
    db.session.commit()
    board = _board()
    assert board.totals.responses == figures.Outcomes(on_time=0, late=1)
    [calamity] = board.calamities
    assert calamity.on_time is False and calamity.due_at == MONDAY + timedelta(hours=1)
