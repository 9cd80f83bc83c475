"""The auditor's replay: a hand-computed desk over October to December 2026, figure by figure.

Every expected number below was worked out by hand from the definitions the dashboard and the
report state (services/figures.py), not read back from the code. Each month is checked live, from
the rollup (rollup.refresh), and in the CSV downloads of the dashboard and the report.

Local times, Europe/Amsterdam: CEST (UTC+2) until Sunday 25 October 03:00, CET (UTC+1) after.
Office hours 09:00-17:00 on working days; Friday 13 November is a closing day; Friday 25
December is a public holiday. Standard categories promise 24 h on the working-day clock (it
starts at the next opening and counts working days whole), a calamity 60 min wall clock.
"""
import csv
import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from helpdesk.domain.periods import month_period, trend_buckets
from helpdesk.extensions import db
from helpdesk.models import Category, Channel, ClosingDay, StaffRole, Ticket
from helpdesk.models import TicketStatus as S
from helpdesk.services.escalation import sweep
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.stats import figures, rollup
from helpdesk.services.tickets import lifecycle
from tests.conftest import sign_in
from tests.fixtures.factories import make_contact, make_organisation, make_staff

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2027, 1, 7, 12, 0, tzinfo=AMS)  # every month below has ended and settled
OCTOBER, NOVEMBER, DECEMBER = (month_period(2026, month) for month in (10, 11, 12))
H = 3600


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=AMS)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Replay:
    numbers: dict[str, int]
    manager: object


def build_replay() -> Replay:
    """Sixteen tickets through the real service layer, in the order things happened."""
    db.session.add(ClosingDay(day=date(2026, 11, 13), closed=True, note="Team day"))
    acme = make_organisation(slug="acme", name="Acme Logistics")
    eva = make_contact(acme, name="Eva")
    anna = make_staff(StaffRole.AGENT, name="Anna")
    manager = make_staff(StaffRole.MANAGER, name="Mia")
    db.session.commit()
    made = {}

    def ticket(key, category, received, channel=Channel.EMAIL):
        made[key], _ = lifecycle.open_ticket(
            raised_by=eva, subject=f"Ticket {key}", category=category, channel=channel,
            body_text="Help", received_at=received, now=received)
        lifecycle.assign(made[key], anna, anna, received)
        db.session.commit()
        return made[key]

    def answer(key, moment):
        lifecycle.reply(made[key], anna, "Answer", moment)
        db.session.commit()

    def status(key, value, moment):
        lifecycle.set_status(made[key], value, anna, moment)
        db.session.commit()

    def customer_writes(key, moment):
        lifecycle.add_inbound_message(made[key], eva, "Again", received_at=moment, now=moment)
        db.session.commit()

    # October
    ticket("A1", Category.BUG, at(10, 1, 10))            # Thu, due Fri 10:00
    answer("A1", at(10, 1, 12))                           # 2 h, on time
    status("A1", S.RESOLVED, at(10, 1, 13))
    ticket("A2", Category.QUESTION, at(10, 23, 16))       # Fri 16:00 CEST, due Mon 16:00 CET
    ticket("A3", Category.BUG, at(10, 23, 17, 30))        # Fri 17:30 CEST: after hours
    ticket("A5", Category.CALAMITY, utc(10, 24, 23, 30),  # Sun 25 Oct 01:30 CEST, due 02:30
           Channel.PHONE)
    answer("A5", utc(10, 25, 0, 10))                      # 40 min, on time
    status("A5", S.RESOLVED, utc(10, 25, 3))              # Sun 04:00 CET
    ticket("A4", Category.BUG, at(10, 26, 8, 30), Channel.PHONE)  # Mon 08:30 CET: before hours
    answer("A4", at(10, 26, 10))                          # clock from 09:00: 1 h, on time
    answer("A2", at(10, 26, 15))                          # 8 h Fri + 15 h Mon = 23 h, on time
    answer("A3", at(10, 27, 9, 0, 30))                    # due Tue 09:00: 30 s late
    ticket("A6", Category.CALAMITY, at(10, 28, 10))       # Wed, due 11:00 on the wall clock
    sweep.sweep(at(10, 28, 11, 5))                   # the breach notice goes out
    db.session.commit()
    lifecycle.clear_calamity(made["A6"], Category.BUG, "Only one user", anna, at(10, 28, 11, 30))
    db.session.commit()
    answer("A6", at(10, 28, 12))                          # an hour after the missed 11:00
    ticket("A7", Category.WISH, at(10, 29, 10), Channel.PORTAL)
    status("A7", S.RESOLVED, at(10, 29, 12))              # no reply: the response was never owed
    ticket("A8", Category.QUESTION, at(10, 29, 14))
    answer("A8", at(10, 29, 15))                          # 1 h, on time
    status("A4", S.RESOLVED, at(10, 30, 10))              # resolved in October ...
    # November
    status("A2", S.RESOLVED, at(11, 1, 0, 30))            # 00:30 CET: 31 Oct 23:30 UTC
    customer_writes("A4", at(11, 2, 10))                  # ... reopened in November, due Tue
    lifecycle.set_category(made["A8"], Category.CONFIGURATION, anna, at(11, 2, 9, 30))
    db.session.commit()
    ticket("B1", Category.BUG, at(11, 2, 9, 15))          # Mon, due Tue 09:15
    answer("A4", at(11, 2, 11))                           # the reopen's response, on time
    status("A4", S.RESOLVED, at(11, 4, 10))               # ... and resolved again
    answer("B1", at(11, 4, 10))                           # 24 h 45 min late
    status("B1", S.RESOLVED, at(11, 4, 11))
    ticket("B2", Category.QUESTION, at(11, 13, 10))       # on the closing day: clock Mon 09:00
    answer("B2", at(11, 16, 11))                          # 2 h on the clock, on time
    ticket("B3", Category.CONFIGURATION, at(11, 18, 16, 59), Channel.PORTAL)
    answer("B3", at(11, 19, 16))                          # 23 h 01 min, on time
    ticket("B4", Category.OUTAGE, at(11, 26, 20))         # Thu 20:00: clock Fri 09:00, due Mon
    answer("B4", at(11, 30, 9, 10))                       # 10 min late
    status("B3", S.RESOLVED, at(11, 30, 16))              # resolved in November ...
    # December
    ticket("C0", Category.BUG, at(12, 1, 0, 30))          # 00:30 CET: 30 Nov 23:30 UTC
    answer("C0", at(12, 1, 9, 30))                        # clock from 09:00: 30 min
    customer_writes("B3", at(12, 1, 9, 30))               # ... reopened in December
    answer("B3", at(12, 1, 10))
    status("B3", S.RESOLVED, at(12, 2, 10))               # ... and resolved again
    ticket("C1", Category.BUG, at(12, 24, 14))            # Thu; Christmas counts nothing
    ticket("C2", Category.QUESTION, at(12, 25, 10), Channel.PORTAL)  # on Christmas Day
    ticket("C3", Category.BUG, at(12, 28, 10))            # due Tue 10:00, never answered
    answer("C1", at(12, 28, 13))                          # 10 h Thu + 13 h Mon = 23 h, on time
    answer("C2", at(12, 28, 10))                          # clock from Mon 09:00: 1 h
    return Replay({key: ticket.number for key, ticket in made.items()}, manager)


# The hand-computed figures per month. Promise and wall-clock seconds are of answered first
# responses; percentiles are nearest rank (rank ceil(p * n / 100) of the sorted values).
EXPECTED = {
    "2026-10": dict(
        received=8,       # A1-A8 arrived in October
        resolved=4,       # A1 (1 Oct), A5 (25 Oct), A7 (29 Oct), A4 (30 Oct; reopened later)
        on_time=5,        # A1, A2, A4, A5, A8 (A7 was resolved before anything was owed)
        late=2,           # A3 (30 s), A6 (the breached calamity, cleared to bug afterwards)
        first_on_time=5,  # every October response is a first response
        first_late=2,
        first_met=7,      # all but A7 were answered
        # promise: 2400 A5, 3600 A4, 3600 A8, 7200 A1, 7200 A6, 82800 A2, 86430 A3
        p50=7200,         # rank 4 of 7
        p90=86430,        # rank 7 of 7: A3, Mon 09:00 to Tue 09:00:30
        # wall: 2400 A5, 3600 A8, 5400 A4, 7200 A1, 7200 A6, 259200 A2 (72 h across the DST
        # change: Fri 14:00 UTC to Mon 14:00 UTC), 318630 A3 (88 h 30 min 30 s)
        p50_wall=7200,
        p90_wall=318630,
        outside=3,        # A3 Fri 17:30 CEST, A5 on a Sunday night, A4 Mon 08:30 CET
        calamities=1,     # A5; A6 is a bug now
        # category: (received, on time, late), under the category the ticket has now
        by_category={Category.BUG: (4, 2, 2),            # A1 A3 A4 A6
                     Category.QUESTION: (1, 1, 0),       # A2
                     Category.CALAMITY: (1, 1, 0),       # A5
                     Category.WISH: (1, 0, 0),           # A7
                     Category.CONFIGURATION: (1, 1, 0)},  # A8, re-categorised in November
        # late responses, latest due first: (ticket, due, seconds late)
        late_list=[("A6", at(10, 28, 11), 3600), ("A3", at(10, 27, 9), 30)],
    ),
    "2026-11": dict(
        received=4,       # B1-B4
        resolved=4,       # A2 (1 Nov 00:30 local, still 31 Oct in UTC), A4 again (4 Nov),
                          # B1 (4 Nov), B3 (30 Nov; reopened later)
        on_time=3,        # A4's reopen (2 Nov), B2, B3
        late=2,           # B1, B4
        first_on_time=2,  # B2, B3 (A4's reopen is no first response)
        first_late=2,     # B1, B4
        first_met=4,
        # promise: 7200 B2, 82860 B3, 87000 B4 (15 h Fri + 9 h 10 min Mon), 175500 B1
        p50=82860,        # rank 2 of 4
        p90=175500,       # rank 4 of 4
        # wall: 82860 B3, 175500 B1, 262800 B2 (Fri 10:00 to Mon 11:00), 306600 B4
        p50_wall=175500,
        p90_wall=306600,
        outside=2,        # B2 on the closing day, B4 at 20:00
        calamities=0,
        by_category={Category.BUG: (1, 1, 1),             # B1; A4's reopen counts here
                     Category.QUESTION: (1, 1, 0),        # B2
                     Category.CONFIGURATION: (1, 1, 0),   # B3
                     Category.OUTAGE: (1, 0, 1)},         # B4
        late_list=[("B4", at(11, 30, 9), 600), ("B1", at(11, 3, 9, 15), 89100)],
    ),
    "2026-12": dict(
        received=4,       # C0 (1 Dec 00:30 local, still 30 Nov in UTC), C1-C3
        resolved=1,       # B3 again (2 Dec)
        on_time=4,        # B3's reopen, C0, C1, C2
        late=1,           # C3: due Tue 29 Dec 10:00 and never answered
        first_on_time=3,  # C0, C1, C2
        first_late=1,     # C3
        first_met=3,      # C0, C1, C2
        # promise: 1800 C0, 3600 C2, 82800 C1
        p50=3600,         # C2: 1 h (rank 2 of 3)
        p90=82800,        # C1: 23 h (rank 3 of 3)
        # wall: 32400 C0 (00:30 to 09:30), 259200 C2 (Fri 10:00 to Mon 10:00), 342000 C1
        p50_wall=259200,
        p90_wall=342000,  # C1: Thu 14:00 to Mon 13:00
        outside=2,        # C0 at 00:30, C2 on Christmas Day at 10:00
        calamities=0,
        by_category={Category.BUG: (3, 2, 1),             # C0, C1, C3
                     Category.QUESTION: (1, 1, 0),        # C2
                     Category.CONFIGURATION: (0, 1, 0)},  # B3's reopen
        # still unanswered at NOW: 29 Dec 10:00 to 7 Jan 12:00 is 9 days 2 h
        late_list=[("C3", at(12, 29, 10), 218 * H)],
    ),
}
MONTHS = {"2026-10": OCTOBER, "2026-11": NOVEMBER, "2026-12": DECEMBER}


@pytest.fixture(params=["live", "rolled up"])
def replay(app, request):
    built = build_replay()
    if request.param == "rolled up":
        assert rollup.refresh(NOW, configured_calendar().timezone) > 0
        db.session.commit()
    return built


def _board(period):
    return figures.dashboard(figures.StatsFilter(period), NOW, configured_calendar())


def _figures(board, numbers) -> dict:
    totals, times = board.totals, board.totals.times
    by_number = {number: key for key, number in numbers.items()}
    return dict(
        received=totals.received, resolved=totals.resolved, on_time=totals.on_time,
        late=totals.late, first_on_time=totals.first_on_time, first_late=totals.first_late,
        first_met=totals.first_responses_met, p50=times.p50, p90=times.p90,
        p50_wall=times.p50_wall, p90_wall=times.p90_wall,
        outside=board.outside_office_hours, calamities=board.calamity_count,
        by_category={category: (figures.received, figures.on_time, figures.late)
                     for category, figures in board.by_category},
        late_list=[(by_number[row.number], row.due_at, row.late_seconds)
                   for row in board.late_responses])


@pytest.mark.parametrize("month", MONTHS)
def test_every_dashboard_figure_equals_the_hand_computed_one(replay, month):
    assert _figures(_board(MONTHS[month]), replay.numbers) == EXPECTED[month]


def test_the_quarter_is_the_sum_of_its_months(replay):
    quarter = figures.dashboard(figures.StatsFilter(figures.Period(OCTOBER.start, DECEMBER.end)),
                              NOW, configured_calendar())
    for name in ("received", "resolved", "on_time", "late", "first_on_time", "first_late",
                 "first_met", "outside"):
        figure = _figures(quarter, replay.numbers)[name]
        assert figure == sum(expected[name] for expected in EXPECTED.values()), name
    # 92 days: weekly buckets, which add up to the quarter's figures
    assert sum(figures.received for _period, figures in quarter.trend) == 16
    assert sum(figures.resolved for _period, figures in quarter.trend) == 9


def test_the_backlog_now_holds_the_one_unanswered_ticket_as_overdue(replay):
    board = _board(DECEMBER)
    assert sum(band.overdue for band in board.backlog) == 1  # C3


def _csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    names = rows[0]
    return [dict(zip(names, row, strict=True)) for row in rows[2:]]


def _minutes(seconds: int) -> str:
    return str(seconds // 60)


@pytest.mark.parametrize("month", MONTHS)
def test_the_csv_downloads_hold_the_hand_computed_figures(replay, client, month):
    expected = EXPECTED[month]
    period = MONTHS[month]
    query = f"period=custom&start={period.start}&end={period.end}"
    with time_machine.travel(NOW, tick=False):
        sign_in(client, replay.manager)
        for url in (f"/manage/stats/summary.csv?{query}",
                    f"/manage/stats/organisations/acme/summary.csv?month={month}"):
            [summary] = _csv(client, url)
            assert summary["tickets_received"] == str(expected["received"])
            assert summary["tickets_resolved"] == str(expected["resolved"])
            assert summary["late_responses"] == str(expected["late"])
            assert summary["calamities"] == str(expected["calamities"])
            assert summary["first_response_p50_working_day_clock_minutes"] == _minutes(
                expected["p50"])
            assert summary["first_response_p90_wall_clock_minutes"] == _minutes(
                expected["p90_wall"])
            share = figures.percentage(expected["on_time"], expected["on_time"] + expected["late"])
            assert summary["responses_on_time_percent"] == f"{share:.1f}"
        by_category = _csv(client, f"/manage/stats/by_category.csv?{query}")
        assert len(by_category) == len(expected["by_category"])
        in_order = [expected["by_category"][category] for category in Category
                    if category in expected["by_category"]]
        for row, (received, on_time, late) in zip(by_category, in_order, strict=True):
            assert (row["received"], row["responses_on_time"], row["late"]) == (
                str(received), str(on_time), str(late))
        late_rows = _csv(client, f"/manage/stats/late_responses.csv?{query}")
        assert [(row["ticket"], row["late_minutes"]) for row in late_rows] == [
            (f"#{replay.numbers[key]}", _minutes(seconds))
            for key, _due, seconds in expected["late_list"]]
        assert [row["due"] for row in late_rows] == [
            due.astimezone(AMS).isoformat(timespec="seconds")
            for _key, due, _seconds in expected["late_list"]]


@pytest.mark.parametrize("month", MONTHS)
def test_every_drilldown_count_equals_its_figure(replay, month):
    period = MONTHS[month]
    expected = EXPECTED[month]
    zone = configured_calendar().timezone

    def count(figure, **narrower):
        stats_filter = figures.StatsFilter(period, **narrower)
        return figures.drilldown(stats_filter, figure, NOW, zone).count

    assert count("received") == expected["received"]
    assert count("late") == expected["late"]
    assert count("resolved") == expected["resolved"]  # by resolution events, reopens too
    for category, (received, _on_time, late) in expected["by_category"].items():
        assert count("received", category=category) == received
        assert count("late", category=category) == late


def test_late_by_seconds_reads_less_than_a_minute(replay, client):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, replay.manager)
        page = client.get("/manage/stats?period=custom&start=2026-10-01&end=2026-10-31")
    text = page.get_data(as_text=True)
    assert "less than a minute late" in text
    assert not re.search(r"\b0 min late|late by 0", text)


def test_the_resolved_figure_opens_the_resolutions_it_counts(replay, client):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, replay.manager)
        page = client.get("/manage/stats?period=custom&start=2026-11-01&end=2026-11-30")
        link = re.search(r'<a href="(/manage/stats/tickets/resolved\?[^"]+)">4</a>',
                         page.get_data(as_text=True))
        assert link, "Tickets resolved links to its drill-down"
        listed = client.get(html.unescape(link[1])).get_data(as_text=True)
    # A2 (1 Nov 00:30), A4's second resolution (4 Nov), B1 (4 Nov), B3's first (30 Nov): A4
    # resolved in October too is listed once, for its November resolution.
    assert "4 in all." in listed
    for key in ("A2", "A4", "B1", "B3"):
        assert f"#{replay.numbers[key]}<" in listed
    assert f"#{replay.numbers['A1']}<" not in listed


def test_the_late_drill_down_says_how_late_in_the_one_wording(replay, client):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, replay.manager)
        listed = client.get("/manage/stats/tickets/late?period=custom&start=2026-10-01"
                            "&end=2026-10-31").get_data(as_text=True)
    assert "2 in all." in listed
    assert "less than a minute late" in listed  # A3, 30 s
    assert "1 h 00 min late" in listed  # A6, judged by the missed calamity due moment
    assert not re.search(r"\b0 min late|late by 0", listed)


# --- live and rolled up: every figure of the same period is the same -------------------------

FILTERS = {
    "all": {}, "bug": {"category": Category.BUG}, "calamity": {"category": Category.CALAMITY},
    "phone": {"channel": Channel.PHONE}, "unassigned": {"unassigned": True},
}
PERIODS = {**MONTHS, "quarter": figures.Period(OCTOBER.start, DECEMBER.end),
           "dst week": figures.Period(date(2026, 10, 19), date(2026, 10, 25)),
           "across months": figures.Period(date(2026, 10, 26), date(2026, 11, 8)),
           # a year is counted per month: the whole months are read from the month rollup
           "year": figures.Period(date(2026, 1, 1), date(2026, 12, 31))}


def _every_figure(period, **narrower) -> dict:
    """Every figure of a dashboard, the moment it was made at aside."""
    board = figures.dashboard(figures.StatsFilter(period, **narrower), NOW, configured_calendar())
    return {name: value for name, value in vars(board).items() if name not in ("now",)}


def _all_boards() -> dict:
    anna = db.session.scalar(sa.select(Ticket.assignee_id).where(Ticket.assignee_id.is_not(None))
                             .limit(1))
    organisation = db.session.scalar(sa.select(Ticket.organisation_id).limit(1))
    filters = {**FILTERS, "anna": {"assignee_id": anna},
               "acme": {"organisation_id": organisation}}
    return {(period, selection): _every_figure(PERIODS[period], **filters[selection])
            for period in PERIODS for selection in filters}


def test_every_figure_is_the_same_live_and_from_the_rollup(app):
    build_replay()
    live = _all_boards()
    assert rollup.refresh(NOW, configured_calendar().timezone) > 0
    db.session.commit()
    assert rollup.readable_days(PERIODS["quarter"], configured_calendar().timezone, NOW)
    rolled = _all_boards()
    months = rollup.readable_spans(PERIODS["year"], configured_calendar().timezone, NOW,
                                         trend_buckets(PERIODS["year"])[1]).months
    assert date(2026, 11, 1) in months  # the year reads November from the month rollup
    for key in live:
        for name in live[key]:
            assert rolled[key][name] == live[key][name], (key, name)


def test_changes_after_the_rollup_are_seen_before_and_after_the_next_refresh(app):
    replay = build_replay()
    zone = configured_calendar().timezone
    rollup.refresh(NOW, zone)
    db.session.commit()
    later = NOW + timedelta(days=1)
    a8, a1 = (db.session.scalar(sa.select(Ticket).where(Ticket.number == replay.numbers[key]))
              for key in ("A8", "A1"))
    anna = a8.assignee
    lifecycle.set_category(a8, Category.WISH, anna, later)      # October's row moves
    lifecycle.assign(a1, None, anna, later)                      # October's agent moves
    db.session.commit()
    changed = _all_boards()
    rollup.refresh(NOW + timedelta(days=2), zone)
    db.session.commit()
    assert _all_boards() == changed
    october = changed[("2026-10", "all")]
    assert {category: figures.received for category, figures in october["by_category"]}[
        Category.WISH] == 2  # A7 and A8 now
    assert changed[("2026-10", "unassigned")]["totals"].received == 1  # A1
