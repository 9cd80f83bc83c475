"""The agents' workspace: the queue, tickets, phone calls and held mail."""
from flask import Blueprint

bp = Blueprint("agent", __name__)

from helpdesk.web.agent import actions, files, formatting, held, phone, views  # noqa: E402,F401

formatting.register(bp)
