"""Managers' pages: organisations, statistics and (later) settings."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.manager import stats_views, views  # noqa: E402,F401
