"""Managers' pages: organisations, the SLA and calendar settings, and (later) statistics."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.manager import canned, settings_views, views  # noqa: E402,F401
