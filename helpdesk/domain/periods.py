"""Reporting periods in the desk's time zone: presets, trend buckets and UTC offset segments."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from helpdesk.domain.business_calendar import as_utc

PRESETS = ("last_30_days", "this_week", "last_month", "this_quarter", "this_year",
           "last_12_months")
# Dates a person may ask about (a report, a filter) are in this century; other years are typing
# errors, and near the calendar's ends a local day cannot even be turned into UTC.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
# Trend granularity: days for a fortnight or less, weeks up to about a quarter, else months.
_DAY_BUCKETS_UP_TO = 14
_WEEK_BUCKETS_UP_TO = 92
# Offsets are sampled this far apart; zones never change offset twice within it.
_OFFSET_SAMPLE = timedelta(hours=12)


@dataclass(frozen=True)
class Period:
    """Whole local days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period cannot end before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, zone: str) -> tuple[datetime, datetime]:
        """The half-open UTC interval [first midnight, midnight after the last day)."""
        return local_midnight(self.start, zone), local_midnight(self.end + timedelta(days=1), zone)


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant at which a local day starts."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_today(now: datetime, zone: str) -> date:
    return as_utc(now, "now").astimezone(ZoneInfo(zone)).date()


def preset_period(name: str, today: date) -> Period:
    """A named period ending today (or the last complete month for `last_month`)."""
    if name == "last_30_days":
        return Period(today - timedelta(days=29), today)
    if name == "this_week":
        return Period(today - timedelta(days=today.weekday()), today)
    if name == "last_month":
        last_day = today.replace(day=1) - timedelta(days=1)
        return Period(last_day.replace(day=1), last_day)
    if name == "this_quarter":
        return Period(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    if name == "this_year":
        return Period(date(today.year, 1, 1), today)
    if name == "last_12_months":
        return Period(_add_months(today, -12) + timedelta(days=1), today)
    raise ValueError(f"unknown period {name!r}")


def month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    return Period(first, _add_months(first, 1) - timedelta(days=1))


def _add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (or earlier), clamped to the month's end."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month_index + 1, min(day.day, monthrange(year, month_index + 1)[1]))


def trend_buckets(period: Period) -> tuple[str, list[Period]]:
    """The granularity ("day", "week", "month") and the buckets that tile the period."""
    if period.days <= _DAY_BUCKETS_UP_TO:
        granularity = "day"
    elif period.days <= _WEEK_BUCKETS_UP_TO:
        granularity = "week"
    else:
        granularity = "month"
    buckets, start = [], period.start
    while start <= period.end:
        if granularity == "day":
            next_start = start + timedelta(days=1)
        elif granularity == "week":
            next_start = start + timedelta(days=7 - start.weekday())
        else:
            next_start = _add_months(start.replace(day=1), 1)
        end = min(next_start - timedelta(days=1), period.end)
        buckets.append(Period(start, end))
        start = next_start
    return granularity, buckets


def offset_segments(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (seconds) over [start, end): (segment start, offset) pairs.

    Statistics add the offset to epoch seconds in SQL, so weekday and hour come out in local
    time on both databases, also across a DST change inside the period.
    """
    tz = ZoneInfo(zone)
    start, end = as_utc(start, "start"), as_utc(end, "end")

    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds())

    segments = [(start, offset(start))]
    cursor = start
    while cursor < end:
        step = min(cursor + _OFFSET_SAMPLE, end)
        if offset(step) != segments[-1][1]:
            segments.append(_first_instant_with_offset(offset, cursor, step))
        cursor = step
    return [segment for segment in segments if segment[0] < end] or segments[:1]


def _first_instant_with_offset(offset, low: datetime, high: datetime) -> tuple[datetime, int]:
    """Bisect (low, high] to the whole second at which the offset at `high` begins."""
    target = offset(high)
    low_second, high_second = int(low.timestamp()), int(-(-high.timestamp() // 1))
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        if offset(datetime.fromtimestamp(middle, UTC)) == target:
            high_second = middle
        else:
            low_second = middle
    at = max(datetime.fromtimestamp(high_second, UTC), low)
    return at, target
