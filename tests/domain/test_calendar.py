"""Tests for the business calendar: closed days, office hours and working time."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain.business_calendar import BusinessCalendar

AMS = ZoneInfo("Europe/Amsterdam")
CAL = BusinessCalendar()
DAY = timedelta(hours=24)


def local(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=AMS, fold=fold)


def iso_local(at: datetime) -> str:
    return at.astimezone(AMS).isoformat()


# --- closed days ----------------------------------------------------------------------------

# What `holidays` lists for NL: Good Friday is included (the package lists it, though in the
# Netherlands it is not a general day off), and so are Easter Sunday and Whit Sunday.
NL_2026 = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 5): "Easter Sunday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 4, 27): "King's Day",
    date(2026, 5, 14): "Ascension Day",
    date(2026, 5, 24): "Pentecost",
    date(2026, 5, 25): "Pentecost Monday",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 26): "Second Day of Christmas",
}
NL_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 28): "Easter Sunday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 4, 27): "King's Day",
    date(2027, 5, 6): "Ascension Day",
    date(2027, 5, 16): "Pentecost",
    date(2027, 5, 17): "Pentecost Monday",
    date(2027, 12, 25): "Christmas Day",
    date(2027, 12, 26): "Second Day of Christmas",
}


@pytest.mark.parametrize(("year", "expected"), [(2026, NL_2026), (2027, NL_2027)])
def test_holidays_in_lists_the_dutch_public_holidays(year, expected):
    assert CAL.holidays_in(year) == expected


@pytest.mark.parametrize(("day", "name"), sorted({**NL_2026, **NL_2027}.items()))
def test_each_dutch_holiday_is_closed_with_its_name(day, name):
    assert not CAL.is_working_day(day)
    assert CAL.closed_reason(day) == name


def test_holiday_on_a_weekend_is_named_after_the_holiday():
    assert date(2027, 12, 25).weekday() == 5
    assert CAL.closed_reason(date(2027, 12, 25)) == "Christmas Day"


def test_weekend_without_holiday_is_closed_as_weekend():
    assert CAL.closed_reason(date(2026, 12, 5)) == "weekend"
    assert CAL.closed_reason(date(2026, 12, 6)) == "weekend"


def test_ordinary_weekday_is_a_working_day():
    assert CAL.closed_reason(date(2026, 11, 30)) is None
    assert CAL.is_working_day(date(2026, 11, 30))


@pytest.mark.parametrize("year", [2025, 2031])
def test_kings_day_on_a_sunday_moves_to_the_saturday_before(year):
    assert date(year, 4, 27).weekday() == 6
    listed = CAL.holidays_in(year)
    assert listed[date(year, 4, 26)] == "King's Day"
    assert date(year, 4, 27) not in listed


@pytest.mark.parametrize(("year", "listed"), [(2025, True), (2026, False), (2027, False),
                                              (2029, False), (2030, True)])
def test_liberation_day_is_closed_only_in_years_the_package_lists_it(year, listed):
    # `holidays` lists 5 May for NL only every fifth year (lustrum years: 2025, 2030, ...).
    assert (date(year, 5, 5) in CAL.holidays_in(year)) is listed


def test_liberation_day_2026_is_an_ordinary_working_day():
    assert CAL.is_working_day(date(2026, 5, 5))


def test_manager_added_closing_day_is_closed():
    company_day = date(2026, 12, 1)
    calendar = BusinessCalendar(extra_closed_days=frozenset({company_day}))
    assert calendar.closed_reason(company_day) == "closing day"
    assert CAL.is_working_day(company_day)


def test_reopened_holiday_is_a_working_day_but_still_listed():
    kings_day = date(2026, 4, 27)
    calendar = BusinessCalendar(reopened_days=frozenset({kings_day}))
    assert calendar.is_working_day(kings_day)
    assert kings_day in calendar.holidays_in(2026)


def test_reopening_a_holiday_on_a_weekend_leaves_it_closed():
    calendar = BusinessCalendar(reopened_days=frozenset({date(2027, 12, 25)}))
    assert calendar.closed_reason(date(2027, 12, 25)) == "weekend"


def test_no_public_holidays_when_country_is_none():
    calendar = BusinessCalendar(public_holidays=None)
    assert calendar.holidays_in(2026) == {}
    assert calendar.is_working_day(date(2026, 12, 25))


def test_holidays_in_returns_a_copy_that_callers_may_change():
    CAL.holidays_in(2026).clear()
    assert CAL.holidays_in(2026) == NL_2026


# --- office hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (local(2026, 11, 30, 8, 59, 59), False),
        (local(2026, 11, 30, 9, 0, 0), True),
        (local(2026, 11, 30, 16, 59, 59), True),
        (local(2026, 11, 30, 17, 0, 0), False),
        (local(2026, 12, 5, 11, 0), False),  # Saturday
        (local(2026, 12, 25, 11, 0), False),  # Christmas Day
    ],
)
def test_office_hours_are_half_open_from_nine_to_five(at, is_open):
    assert CAL.is_open(at) is is_open


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(2026, 11, 30, 8, 59, 59), "2026-11-30T09:00:00+01:00"),
        (local(2026, 11, 30, 9, 0, 0), "2026-11-30T09:00:00+01:00"),
        (local(2026, 11, 30, 16, 59, 59), "2026-11-30T16:59:59+01:00"),
        (local(2026, 11, 30, 17, 0, 0), "2026-12-01T09:00:00+01:00"),
        (local(2026, 12, 4, 17, 0), "2026-12-07T09:00:00+01:00"),
        (local(2026, 12, 31, 17, 30), "2027-01-04T09:00:00+01:00"),
        (local(2026, 10, 25, 2, 30, fold=0), "2026-10-26T09:00:00+01:00"),
        (local(2026, 10, 25, 2, 30, fold=1), "2026-10-26T09:00:00+01:00"),
    ],
)
def test_next_opening_is_now_when_open_else_the_next_opening(at, expected):
    assert iso_local(CAL.next_opening(at)) == expected


def test_returned_instants_are_utc():
    opening = CAL.next_opening(local(2026, 12, 5, 11, 0))
    assert opening.tzinfo is UTC
    assert opening == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_is_open_compares_instants_not_wall_clock_in_another_zone():
    assert CAL.is_open(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # 09:00 local
    assert not CAL.is_open(datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 17:00 local


def test_custom_office_hours():
    calendar = BusinessCalendar(opens_at=time(8, 30), closes_at=time(12))
    assert calendar.is_open(local(2026, 11, 30, 8, 30))
    assert not calendar.is_open(local(2026, 11, 30, 12, 0))


def test_opening_after_closing_is_rejected():
    with pytest.raises(ValueError):
        BusinessCalendar(opens_at=time(17), closes_at=time(9))


# --- working time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # DST starts Sun 2026-03-29: +01:00 before, +02:00 after, the same 16:30 local.
        (local(2026, 3, 27, 16, 30), "2026-03-30T16:30:00+02:00"),
        # DST ends Sun 2026-10-25: +02:00 before, +01:00 after.
        (local(2026, 10, 23, 16, 30), "2026-10-26T16:30:00+01:00"),
        # New Year's Day closed, then the weekend.
        (local(2026, 12, 31, 16, 0), "2027-01-04T16:00:00+01:00"),
    ],
)
def test_add_working_time_of_a_day_lands_on_the_same_local_time(start, expected):
    assert iso_local(CAL.add_working_time(start, DAY)) == expected


def test_dst_weekends_keep_utc_instants_a_real_weekend_apart():
    spring = CAL.add_working_time(local(2026, 3, 27, 16, 30), DAY)
    autumn = CAL.add_working_time(local(2026, 10, 23, 16, 30), DAY)
    assert spring == datetime(2026, 3, 30, 14, 30, tzinfo=UTC)
    assert autumn == datetime(2026, 10, 26, 15, 30, tzinfo=UTC)


def test_add_working_time_from_a_closed_day_starts_at_the_next_working_midnight():
    due = CAL.add_working_time(local(2026, 12, 5, 11, 0), timedelta(hours=10))
    assert iso_local(due) == "2026-12-07T10:00:00+01:00"


def test_add_zero_working_time_returns_the_start():
    start = local(2026, 12, 5, 11, 0)
    assert CAL.add_working_time(start, timedelta(0)) == start


def test_add_negative_working_time_is_rejected():
    with pytest.raises(ValueError):
        CAL.add_working_time(local(2026, 11, 30, 10), timedelta(hours=-1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local(2026, 11, 30, 10), local(2026, 11, 30, 14, 30), timedelta(hours=4, minutes=30)),
        (local(2026, 11, 30, 10), local(2026, 12, 1, 10), DAY),
        # Fri 16:30 to Mon 10:00: 7.5 h of Friday, none at the weekend, 10 h of Monday.
        (local(2026, 12, 4, 16, 30), local(2026, 12, 7, 10), timedelta(hours=17, minutes=30)),
        # Thu 24 Dec 14:00 to Mon 28 Dec 14:00 over Christmas and a Sunday.
        (local(2026, 12, 24, 14), local(2026, 12, 28, 14), DAY),
        # Over the spring DST weekend: Sunday does not count, so no hour is gained or lost.
        (local(2026, 3, 27, 16, 30), local(2026, 3, 30, 16, 30), DAY),
        (local(2026, 12, 5, 9), local(2026, 12, 6, 17), timedelta(0)),  # weekend only
        (local(2026, 11, 30, 10), local(2026, 11, 30, 10), timedelta(0)),
        (local(2026, 11, 30, 12), local(2026, 11, 30, 10), timedelta(0)),  # end before start
    ],
)
def test_working_time_between_counts_only_working_days(start, end, expected):
    assert CAL.working_time_between(start, end) == expected


def test_working_time_over_2026_is_its_working_days_times_24_hours():
    # 261 weekdays, less seven holidays on a weekday (Boxing Day 2026 is a Saturday).
    elapsed = CAL.working_time_between(local(2026, 1, 1), local(2027, 1, 1))
    assert elapsed == 254 * DAY


def test_reopened_holiday_counts_as_working_time():
    calendar = BusinessCalendar(reopened_days=frozenset({date(2026, 4, 27)}))
    span = (local(2026, 4, 27), local(2026, 4, 28))
    assert calendar.working_time_between(*span) == DAY
    assert CAL.working_time_between(*span) == timedelta(0)


@pytest.mark.parametrize(
    "call",
    [
        lambda at: CAL.is_open(at),
        lambda at: CAL.next_opening(at),
        lambda at: CAL.clock_start(at),
        lambda at: CAL.add_working_time(at, DAY),
        lambda at: CAL.working_time_between(at, local(2026, 12, 1)),
        lambda at: CAL.working_time_between(local(2026, 11, 1), at),
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError):
        call(datetime(2026, 11, 30, 10, 0))


# --- properties -----------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2032, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))
fast = settings(max_examples=300, deadline=None)


@fast
@given(instants, durations)
def test_working_time_between_undoes_add_working_time(start, duration):
    assert CAL.working_time_between(start, CAL.add_working_time(start, duration)) == duration


@fast
@given(instants, instants)
def test_add_working_time_reaches_end_no_later_than_end(a, b):
    start, end = min(a, b), max(a, b)
    reached = CAL.add_working_time(start, CAL.working_time_between(start, end))
    assert reached <= end
    # Nothing between the two instants is working time.
    assert CAL.working_time_between(reached, end) == timedelta(0)


@fast
@given(instants)
def test_next_opening_is_open_and_not_before_the_instant(at):
    opening = CAL.next_opening(at)
    assert opening >= at
    assert CAL.is_open(opening)
