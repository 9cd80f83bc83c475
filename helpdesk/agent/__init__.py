"""The agents' workspace: the queue and the ticket view."""
from flask import Blueprint

bp = Blueprint("agent", __name__)

from helpdesk.agent import views  # noqa: E402,F401
