"""Within one row every column counts the same tickets: a ticket and all of its responses
count under the category (organisation, agent) the ticket has now, after any re-categorisation.
"""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, StaffRole
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.fixtures.factories import make_contact, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=AMS)
WEEK = Period(date(2026, 12, 7), date(2026, 12, 13))
LATER = datetime(2026, 12, 16, 12, 0, tzinfo=AMS)


@pytest.fixture(params=["live", "rolled up"])
def recategorised(app, request):
    """A calamity answered in time, then re-categorised to bug, and a plain question."""
    agent = make_staff(StaffRole.AGENT, name="Anna")
    contact = make_contact()
    calamity, _ = lifecycle.open_ticket(
        raised_by=contact, subject="Down", category=Category.CALAMITY, channel=Channel.PORTAL,
        body_text="Down", received_at=MONDAY, now=MONDAY)
    lifecycle.reply(calamity, agent, "On it", MONDAY + timedelta(minutes=20))
    lifecycle.set_category(calamity, Category.BUG, agent, MONDAY + timedelta(hours=3))
    question, _ = lifecycle.open_ticket(
        raised_by=contact, subject="How?", category=Category.QUESTION, channel=Channel.EMAIL,
        body_text="How?", received_at=MONDAY, now=MONDAY)
    lifecycle.reply(question, agent, "Like this", MONDAY + timedelta(hours=1))
    db.session.commit()
    if request.param == "rolled up":
        assert rollup.refresh(LATER, BusinessCalendar().timezone) > 0
    return calamity


def _board(**filters):
    return figures.dashboard(figures.StatsFilter(WEEK, **filters), LATER, BusinessCalendar())


def test_a_recategorised_ticket_counts_in_one_row_in_every_column(recategorised):
    rows = {category: (figures.received, figures.first_responses_met, figures.on_time)
            for category, figures in _board().by_category}
    assert rows == {Category.BUG: (1, 1, 1), Category.QUESTION: (1, 1, 1)}


def test_the_category_filter_counts_the_ticket_and_its_responses_alike(recategorised):
    bug = _board(category=Category.BUG)
    assert (bug.totals.received, bug.totals.first_responses_met, bug.totals.on_time) == (1, 1, 1)
    assert bug.totals.times.count == 1 and bug.totals.times.p50 == 20 * 60
    calamity = _board(category=Category.CALAMITY)
    assert (calamity.totals.received, calamity.totals.on_time) == (0, 0)
    assert calamity.calamity_count == 0 and calamity.calamities == []
