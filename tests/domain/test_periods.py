"""Reporting periods: presets, trend buckets, local midnights and UTC offset segments."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.periods import (
    Period,
    month_period,
    offset_segments,
    preset_period,
    trend_buckets,
)

AMS = "Europe/Amsterdam"


@pytest.mark.parametrize(("name", "today", "start", "end"), [
    ("last_30_days", date(2026, 11, 30), date(2026, 11, 1), date(2026, 11, 30)),
    ("this_week", date(2026, 12, 3), date(2026, 11, 30), date(2026, 12, 3)),
    ("this_week", date(2026, 11, 30), date(2026, 11, 30), date(2026, 11, 30)),
    ("last_month", date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    ("last_month", date(2026, 1, 15), date(2025, 12, 1), date(2025, 12, 31)),
    ("this_quarter", date(2026, 11, 30), date(2026, 10, 1), date(2026, 11, 30)),
    ("this_quarter", date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
    ("this_year", date(2026, 11, 30), date(2026, 1, 1), date(2026, 11, 30)),
    ("last_12_months", date(2026, 11, 30), date(2025, 12, 1), date(2026, 11, 30)),
    ("last_12_months", date(2028, 2, 29), date(2027, 3, 1), date(2028, 2, 29)),
])
def test_presets_are_whole_local_days_ending_today_or_last_month(name, today, start, end):
    assert preset_period(name, today) == Period(start, end)


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown period"):
        preset_period("yesterday", date(2026, 11, 30))


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Period(date(2026, 12, 2), date(2026, 12, 1))


def test_month_period_covers_the_whole_month_including_leap_day():
    assert month_period(2028, 2) == Period(date(2028, 2, 1), date(2028, 2, 29))
    assert month_period(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_utc_bounds_start_at_local_midnight_on_both_sides_of_dst():
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert march.utc_bounds(AMS) == (datetime(2026, 2, 28, 23, tzinfo=UTC),
                                     datetime(2026, 3, 31, 22, tzinfo=UTC))


def test_a_fortnight_is_bucketed_by_day():
    granularity, buckets = trend_buckets(Period(date(2026, 11, 30), date(2026, 12, 13)))
    assert granularity == "day"
    assert len(buckets) == 14 and all(b.start == b.end for b in buckets)


def test_weeks_start_on_monday_and_the_edges_are_partial():
    granularity, buckets = trend_buckets(Period(date(2026, 12, 1), date(2026, 12, 31)))
    assert granularity == "week"
    assert [(b.start.day, b.end.day) for b in buckets] == [(1, 6), (7, 13), (14, 20),
                                                           (21, 27), (28, 31)]


def test_a_year_is_bucketed_by_calendar_month():
    granularity, buckets = trend_buckets(Period(date(2025, 12, 15), date(2026, 11, 30)))
    assert granularity == "month"
    assert buckets[0] == Period(date(2025, 12, 15), date(2025, 12, 31))
    assert buckets[-1] == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert len(buckets) == 12


@given(st.dates(date(2020, 1, 1), date(2035, 12, 31)), st.integers(0, 800))
def test_buckets_tile_the_period_without_gaps(start, length):
    period = Period(start, start + timedelta(days=length))
    _, buckets = trend_buckets(period)
    assert buckets[0].start == period.start and buckets[-1].end == period.end
    for earlier, later in zip(buckets, buckets[1:], strict=False):
        assert later.start == earlier.end + timedelta(days=1)


def test_offset_segments_find_both_dst_changes_to_the_second():
    segments = offset_segments(AMS, datetime(2026, 1, 1, tzinfo=UTC),
                               datetime(2027, 1, 1, tzinfo=UTC))
    assert segments == [(datetime(2026, 1, 1, tzinfo=UTC), 3600),
                        (datetime(2026, 3, 29, 1, tzinfo=UTC), 7200),
                        (datetime(2026, 10, 25, 1, tzinfo=UTC), 3600)]


def test_a_period_without_a_change_has_one_segment():
    assert offset_segments(AMS, datetime(2026, 12, 1, tzinfo=UTC),
                           datetime(2026, 12, 31, tzinfo=UTC)) == [
        (datetime(2026, 12, 1, tzinfo=UTC), 3600)]


@given(st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1), timezones=st.just(UTC)),
       st.integers(1, 24 * 800))
def test_every_instant_gets_the_offset_zoneinfo_gives_it(start, hours):
    end = start + timedelta(hours=hours)
    segments = offset_segments(AMS, start, end)
    for index, (segment_start, offset) in enumerate(segments):
        segment_end = segments[index + 1][0] if index + 1 < len(segments) else end
        for probe in (segment_start, segment_end - timedelta(seconds=1)):
            if start <= probe < end:
                local = probe.astimezone(ZoneInfo(AMS))
                assert local.utcoffset().total_seconds() == offset
