"""The statistics rollup: which days it holds, and that an edit never leaves a stale figure.

tests/services/stats/test_stats.py checks every figure with and without the rollup; these tests pin
when a day is rolled up, and what happens when rolled-up data changes afterwards.
"""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import load_only

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.periods import Period, local_today, month_period
from helpdesk.extensions import db
from helpdesk.models import StatsChange, Ticket, TicketStatus
from helpdesk.services import demo
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.fixtures.stats_dataset import NOW, at, build_desk

DECEMBER = month_period(2026, 12)
ZONE = BusinessCalendar().timezone


@pytest.fixture
def desk(app):
    return build_desk()


def board(now=NOW, **filters):
    return figures.dashboard(figures.StatsFilter(DECEMBER, **filters), now, BusinessCalendar())


def live_board(now=NOW, **filters):
    """The same figures with every day computed from tickets and response records."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollup, "readable_spans",
                      lambda *args: rollup.ReadableSpans(months=[], days=[]))
        return board(now, **filters)


def test_only_settled_past_days_are_rolled_up(desk):
    rollup.refresh(NOW, ZONE)
    readable = rollup.readable_days(DECEMBER, ZONE, NOW)
    assert date(2026, 12, 4) in readable  # T2's day: its late answer decided it
    assert date(2026, 12, 30) in readable
    assert date(2026, 12, 31) not in readable  # today is not over


def test_a_day_with_a_response_owed_and_not_yet_due_waits(desk):
    # T8 arrives 31 Dec 11:00 and is due 4 Jan; seen from 2 January, 31 December is over
    # but its figures can still change.
    later = at(1, 2, 12, year=2027)
    rollup.refresh(later, ZONE)
    readable = rollup.readable_days(DECEMBER, ZONE, later)
    assert date(2026, 12, 30) in readable
    assert date(2026, 12, 31) not in readable


def test_a_rollup_made_after_the_moment_asked_about_is_not_read(desk):
    rollup.refresh(NOW, ZONE)
    assert rollup.readable_days(DECEMBER, ZONE, NOW - timedelta(hours=1)) == []


def test_a_rollup_in_another_time_zone_is_not_read(desk):
    rollup.refresh(NOW, "Europe/London")
    assert rollup.readable_days(DECEMBER, ZONE, NOW) == []


def received_by_agent(dashboard) -> dict:
    return {agent.name if agent else None: figures.received
            for agent, figures in dashboard.by_agent}


def test_reassigning_an_old_ticket_is_seen_at_once_and_rolled_up_again(desk):
    rollup.refresh(NOW, ZONE)
    before = received_by_agent(board())
    t2 = desk.tickets["T2"]  # Bob's, received Fri 4 Dec
    lifecycle.assign(t2, desk.anna, desk.anna, NOW)
    db.session.commit()
    readable = rollup.readable_days(DECEMBER, ZONE, NOW)
    assert date(2026, 12, 4) not in readable
    assert date(2026, 12, 7) in readable  # an untouched day stays rolled up
    after = received_by_agent(board())
    assert after == received_by_agent(live_board())
    assert (after["Anna"], after["Bob"]) == (before["Anna"] + 1, before["Bob"] - 1)

    assert rollup.refresh(NOW, ZONE) >= 1
    assert date(2026, 12, 4) in rollup.readable_days(DECEMBER, ZONE, NOW)
    assert board() == live_board()


def test_a_change_to_a_ticket_whose_moments_are_not_loaded_is_noted(desk):
    rollup.refresh(NOW, ZONE)
    ticket_id = desk.tickets["T1"].id  # received Tue 1 Dec, resolved Wed 2 Dec 09:00
    bob_id = desk.bob.id
    db.session.remove()
    t1 = db.session.get(Ticket, ticket_id, options=[load_only(Ticket.id)])
    t1.assignee_id = bob_id  # the stored moments were never loaded: the database has them
    db.session.commit()
    readable = rollup.readable_days(DECEMBER, ZONE, NOW)
    assert date(2026, 12, 1) not in readable
    assert date(2026, 12, 2) not in readable  # the day of its resolution event
    assert board() == live_board()


def test_reopening_a_resolved_ticket_keeps_the_day_it_was_resolved(desk):
    rollup.refresh(NOW, ZONE)
    t1 = desk.tickets["T1"]  # resolved Wed 2 Dec 09:00
    resolved_before = board().totals.resolved
    lifecycle.set_status(t1, TicketStatus.OPEN, desk.anna, NOW)
    db.session.commit()
    assert date(2026, 12, 2) in rollup.readable_days(DECEMBER, ZONE, NOW)
    assert board().totals.resolved == resolved_before
    assert board() == live_board()


def test_every_filter_reads_the_rollup_as_it_reads_the_tickets(desk):
    rollup.refresh(NOW, ZONE)
    for filters in ({"organisation_id": desk.acme.id}, {"assignee_id": desk.bob.id},
                    {"category": desk.tickets["T2"].category},
                    {"channel": desk.tickets["T2"].channel}):
        assert board(**filters) == live_board(**filters), filters


def test_folding_old_changes_keeps_what_is_readable(desk):
    rollup.refresh(NOW, ZONE)
    for hour in (9, 10, 11):
        lifecycle.assign(desk.tickets["T2"], desk.anna if hour % 2 else desk.bob, desk.anna,
                       at(12, 31, hour))
        db.session.commit()
    rollup.refresh(NOW, ZONE)
    readable = rollup.readable_days(DECEMBER, ZONE, NOW)
    total = db.session.scalar(sa.select(sa.func.sum(StatsChange.weight)))

    a_week_later = NOW + timedelta(days=7)
    rollup.refresh(a_week_later, ZONE)
    rows_per_day = db.session.execute(
        sa.select(StatsChange.utc_day, sa.func.count()).group_by(StatsChange.utc_day)).all()
    assert all(count == 1 for _, count in rows_per_day)
    assert db.session.scalar(sa.select(sa.func.sum(StatsChange.weight))) == total
    assert set(readable) <= set(rollup.readable_days(DECEMBER, ZONE, a_week_later))


def test_the_rollup_command_reports_the_days(app, desk):
    result = app.test_cli_runner().invoke(args=["stats", "rollup"])
    assert result.exit_code == 0
    assert result.output.startswith("Rolled up ") and result.output.endswith(" days.\n")


def test_a_settled_month_is_read_as_one_sum_of_its_days(desk):
    in_january = at(1, 11, 12, year=2027)  # T8, due 4 January, has settled December
    rollup.refresh(in_january, ZONE)
    spans = rollup.readable_spans(DECEMBER, ZONE, in_january, [DECEMBER])
    assert spans == rollup.ReadableSpans(months=[date(2026, 12, 1)], days=[])
    # Over a longer period the trend is monthly, and November and December are read whole.
    autumn = figures.StatsFilter(Period(date(2026, 10, 1), date(2027, 1, 10)))
    spans = rollup.readable_spans(autumn.period, ZONE, in_january,
                                        figures.trend_buckets(autumn.period)[1])
    assert spans.months == [date(2026, 11, 1), date(2026, 12, 1)]
    rolled = figures.dashboard(autumn, in_january, BusinessCalendar())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollup, "readable_spans",
                      lambda *args: rollup.ReadableSpans(months=[], days=[]))
        assert rolled == figures.dashboard(autumn, in_january, BusinessCalendar())
    assert rolled.totals.received == 10


def test_a_month_is_not_read_across_trend_buckets(desk):
    in_january = at(1, 11, 12, year=2027)
    rollup.refresh(in_january, ZONE)
    weeks = figures.trend_buckets(DECEMBER)[1]
    spans = rollup.readable_spans(DECEMBER, ZONE, in_january, weeks)
    assert spans.months == [] and len(spans.days) == 31


def test_a_change_in_a_summed_month_is_read_by_day_until_summed_again(desk):
    in_january = at(1, 11, 12, year=2027)
    rollup.refresh(in_january, ZONE)
    lifecycle.assign(desk.tickets["T2"], desk.anna, desk.anna, in_january)
    db.session.commit()
    spans = rollup.readable_spans(DECEMBER, ZONE, in_january, [DECEMBER])
    assert spans.months == [] and date(2026, 12, 4) not in spans.days
    assert board(in_january) == live_board(in_january)

    rollup.refresh(in_january, ZONE)
    spans = rollup.readable_spans(DECEMBER, ZONE, in_january, [DECEMBER])
    assert spans.months == [date(2026, 12, 1)]
    assert board(in_january) == live_board(in_january)


def test_tickets_added_in_bulk_make_their_days_live(desk):
    # The bulk seeder writes with SQL, past the session's change tracking, and notes them.
    rollup.refresh(NOW, ZONE)
    demo.seed_bulk_tickets(30, NOW, seed=3)
    db.session.commit()
    days = {local_today(created_at, ZONE) for created_at in db.session.scalars(
        sa.select(Ticket.created_at).where(Ticket.subject.not_like("Ticket T%")))}
    readable = rollup.readable_days(Period(min(days), max(days)), ZONE, NOW)
    assert days and not days & set(readable)


def test_the_worker_rolls_a_long_history_up_a_few_transactions_a_pass(desk):
    passes = []
    while not passes or passes[-1].more:
        passes.append(rollup.refresh_job(NOW, max_rolls=1))
        assert len(passes) < 50
    assert all(p.days <= rollup.DAYS_PER_ROLL for p in passes)
    assert len(passes) > 1 and not passes[-1].more
    assert board() == live_board()  # the rounds together hold what one pass to the end would
