"""Language choice (an explicit one, else the person's own, else the browser's, else Dutch)
and the desk's time zone."""
from zoneinfo import ZoneInfo

from flask import g, has_request_context, request, session
from flask_login import current_user

from helpdesk import desk_url
from helpdesk.domain import languages
from helpdesk.domain.business_calendar import BusinessCalendar
from helpdesk.services.promise.calendar_settings import configured_calendar, desk_timezone

# Where the language chosen in this browser is kept: by the switch, or by a link from a mail.
LANGUAGE_KEY = "language"


def select_locale() -> str:
    """The locale of this request's language (English is British): see `page_language`."""
    return languages.locale_for(page_language())


def page_language() -> str:
    """The language this request's page speaks."""
    if not has_request_context():  # the worker and the CLI: mail sets its own language
        return languages.DEFAULT
    chosen = chosen_language()
    if chosen is not None:
        return chosen
    if current_user and current_user.is_authenticated:
        if languages.is_supported(current_user.language):
            return current_user.language
        return languages.DEFAULT
    # Anonymous and no choice made: the browser's preference, if the desk speaks it.
    return request.accept_languages.best_match(languages.SUPPORTED) or languages.DEFAULT


def chosen_language() -> str | None:
    """The language explicitly chosen in this browser, if any: signing in makes it the
    person's own."""
    language = session.get(LANGUAGE_KEY)
    return language if languages.is_supported(language) else None


def choose_language(language: str) -> None:
    session[LANGUAGE_KEY] = language


def follow_the_links_language() -> None:
    """A link from a mail names its reader's language (`lang`): this page and the next speak
    it, as if chosen with the switch, so a mail and the page it opens agree."""
    language = request.args.get(desk_url.LANGUAGE_PARAMETER)
    if languages.is_supported(language) and session.get(LANGUAGE_KEY) != language:
        choose_language(language)


def fresh_session() -> None:
    """Empty the session but for the language chosen in it: a choice, not a credential."""
    language = chosen_language()
    session.clear()
    if language is not None:
        choose_language(language)


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
