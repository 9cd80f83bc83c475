"""Staff sign-in with a second factor, accepting an invitation, sign-out and the language
switch."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from helpdesk.web.auth import invitation, views  # noqa: E402,F401
