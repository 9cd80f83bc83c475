"""Defaults: the operator's settings from helpdesk/settings.py, and fixed Flask settings."""
from helpdesk.domain import languages
from helpdesk.settings import defaults


class DefaultConfig:
    """Defaults that make `make run` work on a fresh machine (SQLite in the instance folder)."""

    vars().update(defaults())  # every HELPDESK_* setting, declared once with its type

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: derived from DESK_URL (helpdesk/desk_url.py): an https desk gets Secure `__Host-`
    # cookies and HSTS, an http one (development) plain cookies.
    REMEMBER_COOKIE_SECURE = None
    REMEMBER_COOKIE_NAME = None
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (revocable) session

    # The choice itself, and the time zone (the business calendar's): helpdesk/web/i18n.py.
    BABEL_DEFAULT_LOCALE = languages.DEFAULT
