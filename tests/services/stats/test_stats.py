"""Every figure of the statistics for a desk whose answers were worked out by hand.

The desk is tests/fixtures/stats_dataset.py: ten tickets, December 2026, NOW = Thu 31 Dec 12:00.
Every figure is checked twice: computed live, and with the settled days read from the rollup.
"""
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period, month_period
from helpdesk.models import Category, Channel
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import desk as agent_desk
from helpdesk.services.tickets.desk import CallOutcome
from tests.fixtures.factories import make_contact, make_staff
from tests.fixtures.stats_dataset import NOW, at, build_desk

HOUR = 3600
DECEMBER = month_period(2026, 12)


@pytest.fixture(params=["live", "rolled up"])
def desk(app, request):
    """The desk, read live or with every settled day rolled up: the figures must not differ."""
    desk = build_desk()
    if request.param == "rolled up":
        assert rollup.refresh(NOW, BusinessCalendar().timezone) > 0
    return desk


def board(**filters):
    return figures.dashboard(figures.StatsFilter(DECEMBER, **filters), NOW, BusinessCalendar())


def test_received_and_resolved_count_by_their_own_moments(desk):
    totals = board().totals
    assert totals.received == 8  # T1-T8; T9 (November) and T10 (October) are outside
    assert totals.resolved == 4  # T1, T3, T6 and T9, which arrived in November


def test_compliance_counts_decided_responses_only(desk):
    totals = board().totals
    # On time: T1, T3 (calamity), T4 (holiday), T5 twice; late: T2 (weekend) and T7
    # (unanswered past due). T6 was resolved before it was due, T8 is not due yet.
    assert totals.responses == figures.Outcomes(on_time=5, late=2)
    assert totals.responses.share_on_time == Decimal("71.4")  # 5 of 7, rounded half up
    assert totals.first_responses == figures.Outcomes(on_time=4, late=2)
    assert totals.first_responses.share_on_time == Decimal("66.7")


def test_first_response_percentiles_on_both_clocks(desk):
    times = board().totals.times
    # Promise clock, sorted: T3 40 min (calamity, wall), T5 1.5 h, T1 2 h, T4 10 h, T2 41 h.
    # Wall clock, sorted: 40 min, 1.5 h, 3 h (T1 arrived at 08:00), 21 h (T4), 89 h (T2).
    assert times == figures.ResponseTimes(count=5, p50=2 * HOUR, p90=41 * HOUR,
                                        p50_wall=3 * HOUR, p90_wall=89 * HOUR)


def test_a_breach_over_the_weekend_counts_working_days_only(desk):
    late = {row.subject: row for row in board().late_responses}
    weekend = late["Ticket T2"]
    assert weekend.due_at == at(12, 7, 16, 30)  # Fri 16:30 + 24 working-day hours = Mon 16:30
    assert weekend.met_at == at(12, 8, 9, 30)
    assert weekend.late_seconds == 17 * HOUR


def test_late_responses_list_the_latest_due_first_with_the_unanswered_one(desk):
    rows = board().late_responses
    assert [row.subject for row in rows] == ["Ticket T7", "Ticket T2"]
    assert rows[0].met_at is None
    assert rows[0].late_seconds == 26 * HOUR  # due Wed 30 Dec 10:00, NOW Thu 12:00


def test_a_calamity_at_night_is_timed_on_the_wall_clock(desk):
    dashboard = board()
    assert dashboard.calamity_count == 1
    [calamity] = dashboard.calamities
    assert calamity.received_at == at(12, 12, 3)
    assert calamity.seconds_to_response == 40 * 60
    assert calamity.due_at == at(12, 12, 4)
    assert calamity.on_time is True


def test_trend_is_weekly_for_a_month_with_partial_edges(desk):
    dashboard = board()
    assert dashboard.granularity == "week"
    assert [(period.start.day, period.end.day) for period, _ in dashboard.trend] == [
        (1, 6), (7, 13), (14, 20), (21, 27), (28, 31)]
    assert [f.received for _, f in dashboard.trend] == [2, 2, 1, 1, 2]
    assert [f.resolved for _, f in dashboard.trend] == [2, 1, 1, 0, 0]
    assert [(f.responses.on_time, f.responses.late) for _, f in dashboard.trend] == [
        (1, 1), (3, 0), (0, 0), (1, 0), (0, 1)]


def test_breakdown_by_category(desk):
    by_category = {category: figures for category, figures in board().by_category}
    assert list(by_category) == [Category.BUG, Category.OUTAGE, Category.WISH,
                                 Category.CONFIGURATION, Category.QUESTION, Category.CALAMITY]
    assert {c: f.received for c, f in by_category.items()} == {
        Category.BUG: 2, Category.OUTAGE: 1, Category.WISH: 1, Category.CONFIGURATION: 1,
        Category.QUESTION: 2, Category.CALAMITY: 1}
    assert {c: (f.responses.on_time, f.responses.late) for c, f in by_category.items()} == {
        Category.BUG: (1, 1), Category.OUTAGE: (1, 0), Category.WISH: (0, 0),
        Category.CONFIGURATION: (2, 0), Category.QUESTION: (0, 1), Category.CALAMITY: (1, 0)}
    assert {c: f.first_responses_met for c, f in by_category.items()} == {
        Category.BUG: 1, Category.OUTAGE: 1, Category.WISH: 0, Category.CONFIGURATION: 1,
        Category.QUESTION: 1, Category.CALAMITY: 1}


def test_breakdown_by_organisation(desk):
    by_organisation = {o.slug: f for o, f in board().by_organisation}
    assert list(by_organisation) == ["acme", "bakery"]  # by name
    acme, bakery = by_organisation["acme"], by_organisation["bakery"]
    assert (acme.received, acme.responses, acme.first_responses, acme.first_responses_met) == (
        4, figures.Outcomes(3, 2), figures.Outcomes(2, 2), 3)
    assert (bakery.received, bakery.responses, bakery.first_responses) == (
        4, figures.Outcomes(2, 0), figures.Outcomes(2, 0))
    assert acme.responses.share_on_time == Decimal("60.0")


def test_breakdown_by_assigned_agent_lists_unassigned_last(desk):
    rows = board().by_agent
    assert [agent.name if agent else None for agent, _ in rows] == ["Anna", "Bob", None]
    anna, bob, unassigned = (figures for _, figures in rows)
    assert (anna.received, anna.responses) == (4, figures.Outcomes(4, 0))
    assert (bob.received, bob.responses) == (2, figures.Outcomes(0, 1))
    assert (unassigned.received, unassigned.responses) == (2, figures.Outcomes(1, 1))


def test_first_responses_by_time_band(desk):
    assert board().time_bands == [("within_1_hour", 1), ("1_to_4_hours", 2),
                                  ("4_to_8_hours", 0), ("8_to_24_hours", 1),
                                  ("over_24_hours", 1)]


def test_heatmap_places_arrivals_in_local_weekday_and_hour(desk):
    dashboard = board()
    cells = {(day, hour): count for day, counts in enumerate(dashboard.heatmap)
             for hour, count in enumerate(counts) if count}
    assert cells == {(1, 8): 1, (4, 16): 1, (5, 3): 1, (3, 14): 1, (0, 9): 1, (0, 10): 1,
                     (1, 10): 1, (3, 11): 1}
    assert dashboard.outside_office_hours == 2  # T1 at 08:00 and the calamity on Saturday


def test_backlog_now_by_age_with_overdue_tickets(desk):
    backlog = {band.key: (band.awaiting_desk, band.waiting_on_customer, band.overdue)
               for band in board().backlog}
    assert backlog == {
        "under_1_day": (1, 0, 0),  # T8
        "1_to_3_days": (1, 0, 1),  # T7, overdue since Wed 10:00
        "3_to_7_days": (0, 1, 0),  # T4 (6 days 22 hours)
        "7_to_30_days": (0, 2, 0),  # T2, T5
        "30_days_or_more": (1, 0, 0),  # T10, answered and still open
    }


def test_filters_combine(desk):
    email = board(channel=Channel.EMAIL).totals
    assert (email.received, email.responses) == (4, figures.Outcomes(2, 1))  # T1 T4 T6 T7
    bakery_calamity = board(organisation_id=desk.bakery.id, category=Category.CALAMITY).totals
    assert (bakery_calamity.received, bakery_calamity.times.p50) == (1, 40 * 60)
    anna = board(assignee_id=desk.anna.id).totals
    assert anna.times == figures.ResponseTimes(count=3, p50=HOUR + HOUR // 2, p90=2 * HOUR,
                                             p50_wall=HOUR + HOUR // 2, p90_wall=3 * HOUR)


def test_a_category_filter_other_than_calamity_lists_no_calamities(desk):
    dashboard = board(category=Category.BUG)
    assert dashboard.calamities == [] and dashboard.calamity_count == 0


def test_an_empty_period_has_no_figures(desk):
    empty = figures.dashboard(figures.StatsFilter(Period(date(2027, 6, 1), date(2027, 6, 30))),
                            NOW, BusinessCalendar())
    assert empty.totals.received == 0
    assert empty.totals.times == figures.ResponseTimes(count=0)
    assert empty.totals.responses.share_on_time is None


def test_a_single_day_is_one_bucket(desk):
    day = figures.dashboard(figures.StatsFilter(Period(date(2026, 12, 4), date(2026, 12, 4))),
                          NOW, BusinessCalendar())
    assert day.granularity == "day"
    [(_, day_figures)] = day.trend
    assert (day_figures.received, day_figures.responses) == (1, figures.Outcomes(0, 1))


def test_organisation_tickets_for_the_monthly_report(desk):
    rows, count = figures.organisation_tickets(desk.acme.id, DECEMBER, "Europe/Amsterdam", 3)
    assert count == 4
    assert [(row.subject, row.promise_seconds) for row in rows] == [
        ("Ticket T1", 2 * HOUR), ("Ticket T2", 41 * HOUR), ("Ticket T5", HOUR + HOUR // 2)]


def test_a_call_answered_on_the_phone_is_a_first_response_in_time_at_the_calls_end(app):
    agent, caller = make_staff(name="Anna"), make_contact(name="Sanne")
    weekday = datetime(2026, 12, 8, 13, 0, tzinfo=UTC)  # Tue 14:00 in Amsterdam
    saturday = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)  # the desk is closed
    for call_at in (weekday, saturday):
        agent_desk.log_call(agent, caller.id, category=Category.QUESTION, subject="A question",
                            summary="Answered.", call_at=call_at,
                            call_ended_at=call_at + timedelta(minutes=10),
                            outcome=CallOutcome.ANSWERED, now=call_at + timedelta(hours=1))
    for rolled_up in (False, True):
        if rolled_up:
            assert rollup.refresh(NOW, BusinessCalendar().timezone) > 0
        totals = board().totals
        assert totals.first_responses == figures.Outcomes(on_time=2, late=0)
        # Ten minutes on the promise's clock on a Tuesday; none on a Saturday (from Monday).
        assert (totals.times.count, totals.times.p90) == (2, 10 * 60)
        assert totals.times.p90_wall == 10 * 60
