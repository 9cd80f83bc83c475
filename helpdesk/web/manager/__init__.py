"""Managers' pages: organisations and contacts, statistics, and the SLA and calendar settings."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.web.manager import (  # noqa: E402,F401
    canned,
    contacts,
    settings_views,
    stats_views,
    views,
)
