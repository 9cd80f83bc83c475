"""Outside office hours means outside the business calendar: holidays and closing days too.

The statistic asks the one calendar (helpdesk/domain/business_calendar.py) which days are
working days, and counts a moment inside office hours by the local time in force at that moment.
"""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period
from helpdesk.services.stats import figures, rollup
from tests.fixtures.factories import make_contact, make_ticket

AMS = ZoneInfo("Europe/Amsterdam")
COMPANY_DAY = date(2026, 5, 15)  # a Friday the desk closes
CALENDAR = BusinessCalendar(extra_closed_days=frozenset({COMPANY_DAY}))
SPRING = Period(date(2026, 3, 1), date(2026, 5, 31))
NOW = datetime(2026, 6, 10, 12, tzinfo=AMS)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=AMS)


ARRIVALS = {
    local(2026, 4, 27, 11): "outside",  # King's Day, a Monday: a public holiday
    local(2026, 5, 15, 11): "outside",  # the company's closing day
    local(2026, 4, 28, 11): "inside",  # the Tuesday after King's Day
    # Summer time began on Sunday 29 March: 09:30 CEST is 07:30 UTC (08:30 in winter time) and
    # 17:30 CEST is 15:30 UTC (16:30 in winter time); each is placed by the offset in force.
    local(2026, 3, 30, 9, 30): "inside",
    local(2026, 3, 30, 17, 30): "outside",
    local(2026, 3, 27, 16, 59): "inside",  # the Friday before, in winter time
    local(2026, 3, 27, 17, 0): "outside",  # closing time itself is after closing
}


@pytest.fixture(params=["live", "rolled up"])
def arrivals(app, request):
    contact = make_contact()
    for received_at in ARRIVALS:
        make_ticket(contact, received_at=received_at, now=received_at)
    if request.param == "rolled up":
        assert rollup.refresh(NOW, CALENDAR.timezone) > 0


def test_holidays_closing_days_and_hours_across_dst_count_as_outside(arrivals):
    board = figures.dashboard(figures.StatsFilter(SPRING), NOW, CALENDAR)
    assert board.totals.received == len(ARRIVALS)
    assert board.outside_office_hours == list(ARRIVALS.values()).count("outside")
    assert all(CALENDAR.is_open(at) == (where == "inside") for at, where in ARRIVALS.items())


def test_one_holiday_arrival_on_its_own(arrivals):
    kings_day = Period(date(2026, 4, 27), date(2026, 4, 27))
    board = figures.dashboard(figures.StatsFilter(kings_day), NOW, CALENDAR)
    assert board.outside_office_hours == 1


def test_hours_that_do_not_start_on_the_hour_are_counted_to_the_minute(arrivals):
    # Opening at 09:45: the 09:30 arrival on 30 March is outside too (the rollup holds whole
    # hours only, so these are read from the tickets).
    calendar = BusinessCalendar(opens_at=time(9, 45), extra_closed_days=CALENDAR.extra_closed_days)
    board = figures.dashboard(figures.StatsFilter(SPRING), NOW, calendar)
    assert board.outside_office_hours == list(ARRIVALS.values()).count("outside") + 1
