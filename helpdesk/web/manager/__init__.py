"""Managers' pages: the directory, staff and teams, statistics, settings, the breach register."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.web.manager import (  # noqa: E402,F401
    access_report,
    breaches,
    canned,
    contacts,
    erasures,
    settings_views,
    staff,
    stats_views,
    teams,
    views,
)
