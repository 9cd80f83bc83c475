"""Language choice (the switch on the page, else the person's own setting, else Dutch) and the
desk's time zone."""
from zoneinfo import ZoneInfo

from flask import g, has_request_context, session
from flask_login import current_user

from helpdesk.domain import languages
from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.services.promise.calendar_settings import configured_calendar, desk_timezone


def select_locale() -> str:
    if not has_request_context():  # the worker and the CLI: mail sets its own language
        return languages.DEFAULT
    chosen = session.get("language")
    if languages.is_supported(chosen):
        return chosen
    if (current_user and current_user.is_authenticated
            and languages.is_supported(current_user.language)):
        return current_user.language
    return languages.DEFAULT


def desk_calendar() -> BusinessCalendar:
    """The configured business calendar, read once per request; pages that show a clock take
    it from here, so the time zone below costs them no query of its own."""
    if "desk_calendar" not in g:
        g.desk_calendar = configured_calendar()
    return g.desk_calendar


def select_timezone() -> str:
    """The desk's time zone is the business calendar's (Flask-Babel asks once per context)."""
    if "desk_calendar" in g:
        return g.desk_calendar.timezone
    return desk_timezone()


def desk_zone() -> ZoneInfo:
    """The desk's time zone for arithmetic on wall-clock times (Flask-Babel's is pytz)."""
    return ZoneInfo(select_timezone())
