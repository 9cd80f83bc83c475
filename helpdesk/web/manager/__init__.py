"""Managers' pages: organisations, statistics, and the SLA and calendar settings."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.web.manager import canned, settings_views, stats_views, views  # noqa: E402,F401
