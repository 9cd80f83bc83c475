"""Business calendar: office hours, closed days and working time in the desk's time zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

# A calendar with no working day within this many days is a configuration error, not a loop.
_MAX_DAYS_SEARCHED = 3700

# Holiday names are pinned to English: left unset, `holidays` guesses the language
# from the process locale, so names would differ between machines.
_HOLIDAY_LANGUAGE = "en_US"


@cache
def _listed_holidays(
    country: str, year: int, language: str = _HOLIDAY_LANGUAGE
) -> Mapping[date, str]:
    """Public holidays `holidays` lists for a country in one year, cached because hot loops ask."""
    # Neighbouring years are loaded too, so a holiday observed across New Year is not missed.
    listed = holidays.country_holidays(
        country, years=(year - 1, year, year + 1), language=language
    )
    return MappingProxyType(
        {day: name for day, name in sorted(listed.items()) if day.year == year}
    )


@lru_cache(maxsize=4096)
def _local_moment_utc(zone_name: str, day: date, at: time) -> datetime:
    """The UTC instant of a local wall-clock time on a day (fold=0 if ambiguous)."""
    local = datetime.combine(day, at, tzinfo=ZoneInfo(zone_name))
    return local.astimezone(UTC)


def as_utc(at: datetime, name: str = "at") -> datetime:
    """Return `at` in UTC, refusing naive datetimes."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {at!r}")
    return at.astimezone(UTC)


# The desk's time zone until a manager configures another: its pages, its mail and its clock.
DEFAULT_TIMEZONE = "Europe/Amsterdam"


@dataclass(frozen=True)
class BusinessCalendar:
    """When the desk is open, and which days count towards the working-day clock."""

    timezone: str = DEFAULT_TIMEZONE
    opens_at: time = time(9)
    closes_at: time = time(17)
    extra_closed_days: frozenset[date] = frozenset()
    reopened_days: frozenset[date] = frozenset()
    public_holidays: str | None = "NL"

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if self.opens_at.tzinfo is not None or self.closes_at.tzinfo is not None:
            raise ValueError("opens_at and closes_at are local wall-clock times, without tzinfo")
        if not self.opens_at < self.closes_at:
            raise ValueError("opens_at must be before closes_at")
        object.__setattr__(self, "extra_closed_days", frozenset(self.extra_closed_days))
        object.__setattr__(self, "reopened_days", frozenset(self.reopened_days))

    # --- days -------------------------------------------------------------------------------

    def holidays_in(self, year: int, language: str = _HOLIDAY_LANGUAGE) -> dict[date, str]:
        """The public holidays listed for a year, before reopened and extra closing days.

        `language` only changes the names ("nl"), where the `holidays` package has them.
        """
        if self.public_holidays is None:
            return {}
        return dict(_listed_holidays(self.public_holidays, year, language))

    def closed_reason(self, day: date) -> str | None:
        """Why the desk is closed on a day (holiday name, "closing day", "weekend"), else None."""
        if self.public_holidays is not None and day not in self.reopened_days:
            name = _listed_holidays(self.public_holidays, day.year).get(day)
            if name is not None:
                return name
        if day in self.extra_closed_days:
            return "closing day"
        if day.weekday() >= 5:
            return "weekend"
        return None

    def is_working_day(self, day: date) -> bool:
        """Whether a local day counts towards office hours and the working-day clock."""
        return self.closed_reason(day) is None

    # --- instants ---------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls in office hours [opens_at, closes_at) on a working day."""
        at = as_utc(at, "at")
        day = self._local_date(at)
        return (
            self.is_working_day(day)
            and self._opening(day) <= at < self._closing(day)
        )

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if the desk is open then, else the next office opening (UTC)."""
        at = as_utc(at, "at")
        day = self._local_date(at)
        if self.is_working_day(day):
            if at < self._opening(day):
                return self._opening(day)
            if at < self._closing(day):
                return at
        return self._opening(self._next_working_day(day))

    def clock_start(self, received_at: datetime) -> datetime:
        """When the standard response clock starts for a message received at `received_at`."""
        return self.next_opening(received_at)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which `duration` of working-day time has passed since `start`."""
        cursor = as_utc(start, "start")
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        remaining = duration
        if not remaining:
            return cursor
        day = self._local_date(cursor)
        for _ in range(_MAX_DAYS_SEARCHED + remaining.days):
            day_end = self._midnight(day + timedelta(days=1))
            if self.is_working_day(day):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = day_end
            day += timedelta(days=1)
        raise ValueError("no working day found; is every day closed?")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Time on working days within [start, end); zero when end is not after start."""
        start = as_utc(start, "start")
        end = as_utc(end, "end")
        total = timedelta(0)
        day = self._local_date(start)
        day_start = self._midnight(day)
        while day_start < end:
            day_end = self._midnight(day + timedelta(days=1))
            if self.is_working_day(day):
                span = min(end, day_end) - max(start, day_start)
                if span > timedelta(0):
                    total += span
            day, day_start = day + timedelta(days=1), day_end
        return total

    # --- helpers ----------------------------------------------------------------------------

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def _midnight(self, day: date) -> datetime:
        return _local_moment_utc(self.timezone, day, time(0))

    def _opening(self, day: date) -> datetime:
        return _local_moment_utc(self.timezone, day, self.opens_at)

    def _closing(self, day: date) -> datetime:
        return _local_moment_utc(self.timezone, day, self.closes_at)

    def _next_working_day(self, day: date) -> date:
        for _ in range(_MAX_DAYS_SEARCHED):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError("no working day found; is every day closed?")
