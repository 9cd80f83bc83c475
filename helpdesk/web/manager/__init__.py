"""Managers' pages: the directory, staff and teams, statistics, SLA and calendar settings."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.web.manager import (  # noqa: E402,F401
    canned,
    contacts,
    settings_views,
    staff,
    stats_views,
    teams,
    views,
)
