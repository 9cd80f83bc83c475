"""Staff sign-in with a second factor, sign-out and the language switch."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from helpdesk.web.auth import views  # noqa: E402,F401
