"""Defaults: the operator's settings from helpdesk/settings.py, and fixed Flask settings."""
from helpdesk.settings import defaults


class DefaultConfig:
    """Defaults that make `make run` work on a fresh machine (SQLite in the instance folder)."""

    vars().update(defaults())  # every HELPDESK_* setting, declared once with its type

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (revocable) session

    # Languages.
    LANGUAGES = ("nl", "en")
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
