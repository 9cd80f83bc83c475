"""Managers' changes to the business calendar and the response targets.

Every change queues a background recompute of open tickets' due moments in the same
transaction; new tickets use the new settings at once.
"""
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.sla import DEFAULT_TARGET_HOURS, SlaPolicy
from helpdesk.extensions import db
from helpdesk.models import CalendarSettings, ClosingDay, ResponseTarget, StaffMember
from helpdesk.services import Refusal
from helpdesk.services.people import audit
from helpdesk.services.promise.calendar_settings import configured_calendar
from helpdesk.services.promise.recompute import request_recompute
from helpdesk.services.transaction import use_case

# The audit trail's subject for a change of the desk's calendar or targets.
SETTINGS = "settings"
CHANGED = "settings_change"

STANDARD_CATEGORIES = tuple(category for category, _hours in DEFAULT_TARGET_HOURS)


@dataclass(frozen=True)
class Holiday:
    day: date
    name: str
    reopened: bool


@dataclass(frozen=True)
class YearOfClosingDays:
    """One year as the settings page lists it: public holidays and the company's own days."""

    year: int
    holidays: list[Holiday]
    closing_days: list[ClosingDay]


def _desk_today(now: datetime, calendar: BusinessCalendar) -> date:
    return now.astimezone(ZoneInfo(calendar.timezone)).date()


def closing_days_by_year(now: datetime, language: str) -> list[YearOfClosingDays]:
    """This year and next: the listed public holidays and the closing days managers added."""
    calendar = configured_calendar()
    this_year = _desk_today(now, calendar).year
    added = db.session.scalars(sa.select(ClosingDay).where(ClosingDay.closed.is_(True))
                               .order_by(ClosingDay.day)).all()
    return [
        YearOfClosingDays(
            year=year,
            holidays=[Holiday(day, name, day in calendar.reopened_days)
                      for day, name in sorted(calendar.holidays_in(year, language).items())],
            closing_days=[row for row in added if row.day.year == year],
        )
        for year in (this_year, this_year + 1)
    ]


@use_case
def set_office_hours(opens_at: time, closes_at: time, by: StaffMember, now: datetime) -> None:
    if not opens_at < closes_at:
        raise Refusal("The desk must open before it closes.")
    settings = _settings_row()
    before = {"opens_at": settings.opens_at, "closes_at": settings.closes_at}
    settings.opens_at, settings.closes_at = opens_at, closes_at
    _changed(settings, by, now, audit.describe_changes(
        before, {"opens_at": opens_at, "closes_at": closes_at}))


@use_case
def set_response_targets(target_hours: dict[str, int], calamity_target_minutes: int,
                         by: StaffMember, now: datetime) -> None:
    """Working-day hours per standard category, and wall-clock minutes for a calamity."""
    if set(target_hours) != set(STANDARD_CATEGORIES):
        raise Refusal("Give a response target for every category.")
    if min(target_hours.values()) < 1 or calamity_target_minutes < 1:
        raise Refusal("Response targets must be at least 1.")
    settings = _settings_row()
    stored = dict(DEFAULT_TARGET_HOURS) | {
        target.category: target.target_hours
        for target in db.session.scalars(sa.select(ResponseTarget))}
    before = {f"{category}_hours": hours for category, hours in stored.items()}
    before["calamity_minutes"] = settings.calamity_target_minutes
    for category, hours in target_hours.items():
        db.session.merge(ResponseTarget(category=category, target_hours=hours))
    settings.calamity_target_minutes = calamity_target_minutes
    after = {f"{category}_hours": hours for category, hours in target_hours.items()}
    _changed(settings, by, now, audit.describe_changes(
        before, {**after, "calamity_minutes": calamity_target_minutes}))


@use_case
def add_closing_day(day: date, note: str, by: StaffMember, now: datetime) -> None:
    """Close the desk on a company day (today up to the end of next year)."""
    calendar = configured_calendar()
    _check_in_range(day, now, calendar)
    if day in calendar.holidays_in(day.year):
        raise Refusal("That is a public holiday; it is closed unless you reopen it.")
    if calendar.closed_reason(day) == "weekend":  # the calendar's rule, not a second copy
        raise Refusal("The desk is closed at weekends anyway.")
    if db.session.scalar(sa.select(ClosingDay.id).filter_by(day=day)) is not None:
        raise Refusal("That day is a closing day already.")
    db.session.add(ClosingDay(day=day, closed=True, note=note.strip()[:200]))
    _changed(_settings_row(), by, now, f"closing day {day.isoformat()}: open → closed")


@use_case
def remove_closing_day(day: date, by: StaffMember, now: datetime) -> None:
    row = db.session.scalar(sa.select(ClosingDay).filter_by(day=day, closed=True))
    if row is None:
        raise Refusal("That day is not a closing day.")
    db.session.delete(row)
    _changed(_settings_row(), by, now, f"closing day {day.isoformat()}: closed → open")


@use_case
def set_holiday_open(day: date, reopen: bool, by: StaffMember, now: datetime) -> None:
    """Reopen a listed public holiday, or close it again."""
    calendar = configured_calendar()
    _check_in_range(day, now, calendar)
    if day not in calendar.holidays_in(day.year):
        raise Refusal("That day is not a public holiday.")
    row = db.session.scalar(sa.select(ClosingDay).filter_by(day=day))
    if reopen and row is None:
        db.session.add(ClosingDay(day=day, closed=False, note=""))
    elif not reopen and row is not None and not row.closed:
        db.session.delete(row)
    else:
        return
    shown = ("closed → open" if reopen else "open → closed")
    _changed(_settings_row(), by, now, f"public holiday {day.isoformat()}: {shown}")


def _check_in_range(day: date, now: datetime, calendar: BusinessCalendar) -> None:
    today = _desk_today(now, calendar)
    if not today <= day <= date(today.year + 1, 12, 31):
        raise Refusal("Choose a day from today until the end of next year.")


def _settings_row() -> CalendarSettings:
    """The single settings row, created with the defaults of sla.md on the first change."""
    settings = db.session.scalar(sa.select(CalendarSettings).limit(1))
    if settings is None:
        defaults, policy = BusinessCalendar(), SlaPolicy()
        settings = CalendarSettings(
            timezone=defaults.timezone, opens_at=defaults.opens_at, closes_at=defaults.closes_at,
            public_holidays=defaults.public_holidays,
            calamity_target_minutes=policy.calamity_target_minutes)
        db.session.add(settings)
    return settings


def _changed(settings: CalendarSettings, by: StaffMember, now: datetime,
             detail: str | None) -> None:
    """A change goes with its audit entry (old → new) and the recompute job that applies it to
    open tickets, in one commit."""
    settings.updated_at = now
    if detail:
        audit.add_entry(CHANGED, now, by, SETTINGS, None, detail)
    request_recompute(now, requested_by=by)
