"""Managers' pages: organisations and (later) statistics and settings."""
from flask import Blueprint

bp = Blueprint("manager", __name__)

from helpdesk.manager import canned, views  # noqa: E402,F401
