"""The response promise and its durations in words, as people read them in pages and mail.

Wording a due moment is presentation, not the clock: the promise package computes moments,
this module says them in the reader's language.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from babel import Locale, dates
from flask_babel import get_locale, get_timezone, ngettext
from flask_babel import gettext as _

from helpdesk.domain import languages
from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.domain.sla import SlaPolicy
from helpdesk.models import Category
from helpdesk.services.promise.calendar_settings import configured_calendar, configured_policy


@dataclass(frozen=True)
class DeskHours:
    """Whether the desk is staffed now and, if not, when it opens."""

    open_now: bool
    next_opening_at: datetime
    opens_at: str
    closes_at: str


def desk_hours(now: datetime, calendar: BusinessCalendar | None = None) -> DeskHours:
    calendar = calendar or configured_calendar()
    return DeskHours(open_now=calendar.is_open(now), next_opening_at=calendar.next_opening(now),
                     opens_at=calendar.opens_at.strftime("%H:%M"),
                     closes_at=calendar.closes_at.strftime("%H:%M"))


def moment_in_words(at: datetime) -> str:
    """A weekday, date and time in the current language: "dinsdag 1 december 09:00"."""
    return _formatted(at, "EEEE d MMMM HH:mm")


def _formatted(at: datetime, pattern: str) -> str:
    """Flask-Babel's format_datetime, in the current language and time zone."""
    return _format_in(at, pattern, get_locale(), get_timezone())


@lru_cache(maxsize=1024)
def _format_in(at: datetime, pattern: str, locale: Locale, zone: tzinfo) -> str:
    # Remembered: acknowledging a batch of mail names the same few moments again and again.
    return dates.format_datetime(at, pattern, tzinfo=zone, locale=locale)


def due_in_words(due_at: datetime) -> str:
    """"uiterlijk dinsdag 1 december 09:00" / "by Tuesday 1 December 09:00"."""
    return _("by %(moment)s", moment=moment_in_words(due_at))


def opening_in_words(hours: DeskHours, now: datetime) -> str:
    """"We are open now." or "We are closed now; we start Monday at 09:00." in words."""
    if hours.open_now:
        return _("We are open now, until %(time)s.", time=hours.closes_at)
    same_week = (hours.next_opening_at - now).days < 6
    day = _formatted(hours.next_opening_at, "EEEE" if same_week else "EEEE d MMMM")
    return _("We are closed now; we start %(day)s at %(time)s.", day=day,
             time=_formatted(hours.next_opening_at, "HH:mm"))


def promise_in_words(policy: SlaPolicy | None = None) -> str:
    """The terms' promise with the configured targets: "within 1 working day; a calamity ..."."""
    policy = policy or configured_policy()
    hours = int(policy.target_for(Category.QUESTION).total_seconds() // 3600)
    if hours % 24 == 0:
        within = ngettext("within %(num)d working day", "within %(num)d working days",
                          hours // 24)
    else:
        within = ngettext("within %(num)d hour on working days",
                          "within %(num)d hours on working days", hours)
    return _("We respond to your question %(within)s; to a calamity within %(minutes)d minutes, "
             "at any hour.", within=within, minutes=policy.calamity_target_minutes)


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else languages.DEFAULT


def duration_label(duration: timedelta | int) -> str:
    """A duration (or seconds) floored to the minute: "less than a minute", "12 min", "3 h 05 min".

    Every worded duration of a response goes through here, so none reads "0 min".
    """
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    hours, minutes = divmod(int(abs(seconds)) // 60, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)d min", minutes=minutes)
    return _("less than a minute")


def lateness_label(duration: timedelta | int) -> str:
    """How late a response is: "less than a minute late", "17 h 05 min late"."""
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else duration
    if abs(seconds) < 60:
        return _("less than a minute late")
    return _("%(duration)s late", duration=duration_label(duration))
